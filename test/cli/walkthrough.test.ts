import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, tempProject, type TempProject } from '../helpers/project';

/** The commands of a README code block that follows `heading`, as written, with the comment after each. */
function commandsAfter(heading: string): { line: string; comment: string }[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const from = readme.indexOf(heading);
  expect(from, `README has "${heading}"`).toBeGreaterThanOrEqual(0);
  const open = readme.indexOf('```sh\n', from) + '```sh\n'.length;
  const block = readme.slice(open, readme.indexOf('```', open));
  return block.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#')).map((l) => {
    const hash = l.indexOf(' #');
    return { line: (hash >= 0 ? l.slice(0, hash) : l).trim(), comment: hash >= 0 ? l.slice(hash + 2).trim() : '' };
  });
}

/** Runs one README command in the project: `npx hvkit` through the CLI, anything else as a process; `&&` chains. */
async function runLine(p: TempProject, line: string): Promise<{ code: number; out: string; err: string }> {
  let all = { code: 0, out: '', err: '' };
  for (const part of line.split(' && ')) {
    const words = part.trim().split(/\s+/);
    const env: NodeJS.ProcessEnv = {};
    while (/^[A-Z_]+=/.test(words[0])) {
      const [k, v] = words.shift()!.split('=');
      env[k] = v;
    }
    let r: { code: number; out: string; err: string };
    if (words[0] === 'npm') continue; // npm install: the test project links the installed modules
    if (words[0] === 'npx' && words[1] === 'hvkit') r = await p.run(words.slice(2), { env });
    else {
      const s = spawnSync(join(p.dir, words[0]), words.slice(1), { cwd: p.dir, env: { ...process.env, ...env }, encoding: 'utf8' });
      r = { code: s.status ?? 1, out: s.stdout, err: s.stderr };
    }
    all = { code: r.code, out: all.out + r.out, err: all.err + r.err };
    if (r.code !== 0) break;
  }
  return all;
}

describe('README walk-through: the memory upgrade, run verbatim right after the main job', () => {
  let p: TempProject;
  const results: { line: string; comment: string; code: number; out: string; err: string }[] = [];
  beforeAll(async () => {
    p = tempProject();
    const [main] = commandsAfter('**Run the main job on the example fleet**');
    const r = await runLine(p, main.line);
    expect(r.code, r.err).toBe(0);
    for (const c of commandsAfter("## Walk-through: the memory upgrade")) results.push({ ...c, ...(await runLine(p, c.line)) });
  }, 120_000);
  afterAll(() => p.cleanup());

  const result = (line: string, nth = 0) => results.filter((r) => r.line === line)[nth];

  it('takes the hosts back to 2007: a checked memory downgrade', () => {
    const r = result('HVKIT_EXAMPLE=before-upgrade npx hvkit apply --auto-approve');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('check web-host-01 has exactly 4GiB installed (memory downgrade)');
    expect(r.out).toContain(r.comment);
  });

  it('plans the upgrade: growth after the upgrade step', () => {
    const r = result('npx hvkit plan');
    expect(r.code).toBe(0);
    expect(r.out).toContain('upgrade memory web-host-01');
    expect(r.out).toContain('memory upgrade: 4×1GiB → 4×2GiB (4GiB → 8GiB)');
    expect(r.out).toContain('create memcached-01 on web-host-01');
  });

  it('stops at the upgrade step before anyone fitted the DIMMs', () => {
    const r = result('npx hvkit apply --auto-approve', 0);
    expect(r.code).toBe(1);
    expect(r.err).toContain('web-host-01 reports 4GiB installed, the code needs 8GiB: fit the new DIMMs (2GiB, 2GiB, 2GiB, 2GiB), boot the host, then run `hvkit apply` again');
  });

  it('completes once the DIMMs are in, and the look-ups say what the comments say', () => {
    for (const h of ['web-host-01', 'web-host-02']) expect(result(`providers/local/install-dimms ${h} 2GiB 2GiB 2GiB 2GiB`).code).toBe(0);
    const done = result('npx hvkit apply --auto-approve', 1);
    expect(done.code, done.err).toBe(0);
    expect(done.out).toContain(done.comment);
    const hosts = result('npx hvkit hosts');
    expect(hosts.out).toMatch(/web-host-01 .* 8GiB \/ 8GiB \(100%\)/);
    expect(hosts.out).toMatch(/web-host-02 .* 8GiB \/ 8GiB \(100%\)/);
    const parent = result('npx hvkit parent memcached-01');
    expect(parent.out.trim()).toBe(parent.comment);
  });
});
