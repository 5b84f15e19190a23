import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCAL_HOST, spawnCli, stackSource, stateGuests, tempProject, type TempProject } from '../helpers/project';

const FLEET = stackSource(`
const a = new Host(fleet, 'host-a', ${LOCAL_HOST});
for (const n of ['web-01', 'web-02', 'web-03']) new Guest(a, n, { role: 'web', vcpus: 1, memory: '512MiB' });
`);

describe('an apply whose stdout reader goes away', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
    p.writeStack(FLEET);
  });
  afterEach(() => p.cleanup());

  for (const json of [false, true]) {
    it(`finishes every step and records it (${json ? '--json' : 'text'}), as \`hvkit apply | head -1\` would leave it`, async () => {
      const { child } = spawnCli(p.dir, ['apply', '--auto-approve', '--parallelism', '1', ...(json ? ['--json'] : [])]);
      // The reader takes the first chunk, then closes the pipe, as `head -1` does.
      child.stdout.once('data', () => child.stdout.destroy());
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const code = await new Promise<number | null>((r) => child.on('close', r));
      expect(err).not.toMatch(/EPIPE|at .*\(/);
      expect(code).toBe(0);
      expect(stateGuests(p.dir)).toEqual(['web-01@host-a', 'web-02@host-a', 'web-03@host-a']);
    });
  }
});
