import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stackSource, tempProject, type TempProject } from '../helpers/project';

const HOST = `{ cpu: { cores: 2 }, memory: { slots: 2, maxDimm: '4GiB', dimms: ['4GiB'] }, disks: [{ name: 'sda', size: '100GiB' }] }`;
const SPAWNS = [['the spawn helper', {}], ["Node's spawn", { HVKIT_SPAWN: 'node' }]] as const;

/** Provider scripts are trusted code, but what they print and whether they start at all is not under hvkit's control. */
describe('provider scripts that misbehave', () => {
  let p: TempProject;
  const provider = (scripts: Record<string, string>) => {
    const dir = join(p.dir, 'odd', 'local');
    mkdirSync(dir, { recursive: true });
    for (const [verb, text] of Object.entries({ facts: `#!/bin/sh\necho '{"memoryMiB": 4096}'\n`, ...scripts })) {
      writeFileSync(join(dir, verb), text);
      chmodSync(join(dir, verb), 0o755);
    }
  };
  beforeEach(() => {
    p = tempProject();
    p.writeStack(stackSource(`
const h = new Host(fleet, 'h1', ${HOST});
new Guest(h, 'g1', { role: 'web', vcpus: 1, memory: '256MiB' });
`));
  });
  afterEach(() => p.cleanup());

  it.each(SPAWNS)('says a script with a missing #! interpreter could not be started, and why (%s)', async (_how, spawnEnv) => {
    provider({ create: '#!/nonexistent/node\nconsole.log("never")\n' });
    const r = await p.run(['apply', '--auto-approve'], { env: { HVKIT_PROVIDERS_DIR: 'odd', ...spawnEnv } });
    expect(r.code).toBe(1);
    expect(r.err).toContain('create:g1 failed: create could not be started: its interpreter /nonexistent/node was not found\n');
    expect(r.err).not.toContain('exited with null');
    // Said once, not again as the script's "output".
    expect(r.err.match(/could not be started/g)).toHaveLength(1);
  });

  it.each(SPAWNS)('keeps apply’s memory bounded when a step prints 120 MB, and logs all of it (%s)', (_how, spawnEnv) => {
    provider({
      create: `#!/bin/sh\nyes 'a chatty provider line of output, 0123456789 0123456789 0123456789' | head -c 120000000\nyes 'and on stderr too, 0123456789' | head -c 20000000 >&2\necho\necho '{"ok":true,"domain":"g1"}'\n`,
    });
    // The CLI in a child process, so its peak RSS is its own; an exit hook reports it.
    const hook = join(p.dir, 'rss-hook.mjs');
    writeFileSync(hook, `import { writeFileSync } from 'node:fs';\nprocess.on('exit', () => writeFileSync(${JSON.stringify(join(p.dir, 'rss'))}, String(process.resourceUsage().maxRSS)));\n`);
    const r = spawnSync(process.execPath, ['--import', hook, join(p.dir, 'bin', 'hvkit.mjs'), 'apply', '--auto-approve'], {
      cwd: p.dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', HVKIT_PROVIDERS_DIR: 'odd', ...spawnEnv },
    });
    expect(r.status, r.stderr).toBe(0);
    const peakMiB = Number(readFileSync(join(p.dir, 'rss'), 'utf8')) / 1024;
    expect(peakMiB).toBeLessThan(250);
    const runs = readdirSync(join(p.dir, '.hvkit/logs'));
    const log = join(p.dir, '.hvkit/logs', runs[0], 'create_g1.log');
    expect(statSync(log).size).toBeGreaterThan(140_000_000);
    expect(readFileSync(log, 'utf8').includes('{"ok":true,"domain":"g1"}\n')).toBe(true);
  });
});
