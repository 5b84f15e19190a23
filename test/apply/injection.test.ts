import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderRunner } from '../../lib/apply/provider';
import { readState, stackSource, tempProject, type TempProject } from '../helpers/project';

const HOST = `{ cpu: { cores: 2 }, memory: { slots: 2, maxDimm: '4GiB', dimms: ['4GiB'] }, disks: [{ name: 'sda', size: '100GiB' }] }`;

describe('hostile values never reach a shell', () => {
  let p: TempProject;
  beforeEach(() => {
    p = tempProject();
  });
  afterEach(() => p.cleanup());

  it.each([['the spawn helper', {}], ["Node's spawn", { HVKIT_SPAWN: 'node' }]])('passes free-text values as JSON on stdin and names as plain arguments (%s)', async (_how, spawnEnv) => {
    const evil = '$(touch PWNED-1); `touch PWNED-2` && touch PWNED-3 \' " <x>';
    p.writeStack(stackSource(`
const h = new Host(fleet, 'h1', ${HOST});
new Guest(h, 'g1', { role: 'web', vcpus: 1, memory: '256MiB', tags: { note: ${JSON.stringify(evil)} } });
`));
    // A recording stand-in for every verb of a provider named 'local'.
    const dir = join(p.dir, 'recording', 'local');
    mkdirSync(dir, { recursive: true });
    for (const v of ['facts', 'create']) {
      writeFileSync(join(dir, v), `#!/bin/sh\nprintf '%s\\n' "$@" > "${p.dir}/argv-${v}"\ncat > "${p.dir}/stdin-${v}"\necho '{"memoryMiB": 4096, "domain": "g1"}'\n`);
      chmodSync(join(dir, v), 0o755);
    }
    const r = await p.run(['apply', '--auto-approve'], { env: { HVKIT_PROVIDERS_DIR: 'recording', ...spawnEnv } });
    expect(r.code, r.err).toBe(0);
    expect(readFileSync(join(p.dir, 'argv-create'), 'utf8')).toBe('--host\nh1\n--guest\ng1\n');
    expect(JSON.parse(readFileSync(join(p.dir, 'stdin-create'), 'utf8')).guest.tags.note).toBe(evil);
    for (const n of [1, 2, 3]) expect(existsSync(join(p.dir, `PWNED-${n}`))).toBe(false);
    expect(readState(p.dir).guests.g1.spec.tags.note).toBe(evil);
  });

  it('refuses to call a provider with a name that is not a DNS label, even if validation were bypassed', async () => {
    const runner = new ProviderRunner(join(p.dir, 'providers'), p.dir);
    await expect(runner.call('local', 'create', { host: { name: 'h1' }, guest: { name: 'g1; rm -rf /' } }, { timeoutMs: 1000 })).rejects.toThrow(
      'refusing to call a provider with guest name "g1; rm -rf /": names must be DNS labels',
    );
  });

  it('rejects a hostile guest name at synth, before anything renders or runs', async () => {
    p.writeStack(stackSource(`
const h = new Host(fleet, 'h1', ${HOST});
new Guest(h, "g1'$(reboot)", { role: 'web', vcpus: 1, memory: '256MiB' });
`));
    const r = await p.run(['plan']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("tokyo/h1/g1'$(reboot): guest name 'g1'$(reboot)' is not a DNS label");
  });
});
