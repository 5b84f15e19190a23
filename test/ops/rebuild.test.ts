import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadPlan } from '../../lib/plan/plan-file';
import { localDomains, localHostDir, stateGuests, tempProject, type TempProject } from '../helpers/project';

/** web-host-01 does not answer: its provider's facts fail, as for a host that is off. */
const HOST_01_DOWN = { HVKIT_LOCAL_FAULTS: JSON.stringify([{ verb: 'facts', host: 'web-host-01', fail: 255, message: 'ssh: connect to host web-host-01: No route to host' }]) };

/** web-host-01 answers, but its provider's facts is broken: that says nothing about whether it is down. */
const HOST_01_FACTS_BROKEN = { HVKIT_LOCAL_FAULTS: JSON.stringify([{ verb: 'facts', host: 'web-host-01', fail: 1, message: 'xl info: permission denied' }]) };

/** A copy of the local provider in `lying/` whose create prints the ok line and creates nothing. */
function lyingCreate(p: TempProject): NodeJS.ProcessEnv {
  cpSync(join(p.dir, 'providers'), join(p.dir, 'lying'), { recursive: true });
  writeFileSync(join(p.dir, 'lying', 'local', 'create'), '#!/bin/sh\ncat > /dev/null\necho "{\\"ok\\":true,\\"domain\\":\\"$4\\"}"\n');
  chmodSync(join(p.dir, 'lying', 'local', 'create'), 0o755);
  return { HVKIT_PROVIDERS_DIR: 'lying' };
}

describe('hvkit rebuild on the local provider', () => {
  let p: TempProject;
  const hostDir = (h: string) => localHostDir(p.dir, h);
  const domainConfigs = (h: string) => Object.fromEntries(readdirSync(hostDir(h)).filter((f) => f !== 'host.json').map((f) => [f, JSON.parse(readFileSync(join(hostDir(h), f), 'utf8')).config as string]));
  beforeEach(async () => {
    p = tempProject();
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
  });
  afterEach(() => p.cleanup());

  it('recreates a wiped host’s guests byte for byte, and says so per guest', async () => {
    const before = domainConfigs('web-host-01');
    expect(Object.keys(before)).toEqual(['memcached-01.json', 'web-01.json']);
    // The disk was replaced: the simulated host lost its domains.
    for (const f of Object.keys(before)) rmSync(join(hostDir('web-host-01'), f));
    const r = await p.run(['rebuild', 'web-host-01', '--out', 'rebuild.plan']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('  ± replace web-01 on web-host-01  (tokyo/web-host-01/web-01)\n      DATA LOSS: destroys 20GiB on sda of web-host-01\n      rebuild; config byte-identical to the one last applied');
    expect(r.out).toContain('Rebuild of web-host-01: 2 guests\n  memcached-01: config byte-identical to the one last applied\n  web-01: config byte-identical to the one last applied\n');
    expect(r.out).toContain('Plan: 0 to create, 0 to update in place, 2 to replace (destroys 20GiB), 0 to migrate, 0 to destroy.');
    expect(r.out).toContain('apply it with: hvkit apply --rebuild web-host-01 rebuild.plan');
    const a = await p.run(['apply', '--rebuild', 'web-host-01', 'rebuild.plan']);
    expect(a.code, a.err).toBe(0);
    expect(a.out).toContain('0 destroyed, 2 replaced');
    expect(domainConfigs('web-host-01')).toEqual(before);
    expect((await p.run(['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('shows the unified diff where code changed since the last apply', async () => {
    const src = readFileSync(join(p.dir, 'stacks/main.ts'), 'utf8');
    p.writeStack(src.replace("role: 'memcached', vcpus: 1, memory: '2GiB',", "role: 'memcached', vcpus: 1, memory: '2GiB', cpuWeight: 128,"));
    const r = await p.run(['rebuild', 'web-host-01']);
    expect(r.out).toContain('  memcached-01: config differs from the one last applied (code changed since):');
    expect(r.out).toContain('-  "cpuWeight": null,');
    expect(r.out).toContain('+  "cpuWeight": 128,');
    expect(r.out).toContain('  web-01: config byte-identical to the one last applied');
  });

  it('plans a down host’s guests onto another host with --to, where they fit', async () => {
    const r = await p.run(['rebuild', 'web-host-01', '--to', 'spare-host-01', '--out', 'rb.plan'], { env: HOST_01_DOWN });
    expect(r.code, r.err + r.out).toBe(0);
    expect(r.out).toContain('recreate web-01 on spare-host-01 from code (web-host-01 is down)');
    expect(r.out).toContain('rebuild on spare-host-01: web-host-01 is down, so recreated from code, not migrated');
    expect(r.out).not.toContain('destroy the copy');
    // The host is down: its domains are out of reach. Nothing is asked of it.
    rmSync(hostDir('web-host-01'), { recursive: true });
    const a = await p.run(['apply', '--rebuild', 'web-host-01', '--to', 'spare-host-01', 'rb.plan']);
    expect(a.code, a.err + a.out).toBe(0);
    expect(localDomains(p.dir).filter((d) => d.endsWith('@spare-host-01'))).toEqual(['memcached-01@spare-host-01', 'web-01@spare-host-01']);
    expect(stateGuests(p.dir)).toContain('web-01@spare-host-01');
  });

  it('refuses --to a host where they do not fit, with fit errors', async () => {
    const r = await p.run(['rebuild', 'web-host-01', '--to', 'web-host-02'], { env: HOST_01_DOWN });
    expect(r.code).toBe(1);
    expect(r.out).toContain('Error: tokyo/web-host-02: memory 15.5GiB committed');
  });

  it('refuses --to while the host is up and runs the guests, and says what to do', async () => {
    const r = await p.run(['rebuild', 'web-host-01', '--to', 'spare-host-01']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: web-host-01 is up and runs memcached-01, web-01: recreating them on spare-host-01 would run each on two hosts. To move them, place them on spare-host-01 in code and `hvkit apply` (a migration), or stop web-host-01 first; pass --force-while-up to recreate anyway (the copies on web-host-01 are destroyed once the new ones run)\n');
    expect(localDomains(p.dir).filter((d) => d.endsWith('@spare-host-01'))).toEqual([]);
  });

  it('with --force-while-up, destroys the copies on the host only after the new ones run', async () => {
    const r = await p.run(['rebuild', 'web-host-01', '--to', 'spare-host-01', '--force-while-up', '--out', 'rb.plan']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('rebuild on spare-host-01: web-host-01 is up: forced, recreated from code, then its copy on web-host-01 destroyed');
    // The planner gives the forced guests their reason as data; nothing rewrites display text afterwards.
    const forced = loadPlan(join(p.dir, 'rb.plan')).plan.changes.filter((c) => c.kind === 'guest' && c.action === 'replace').map((c) => [c.name, c.reason]);
    expect(forced).toEqual([
      ['memcached-01', { code: 'rebuild-forced', detail: { host: 'web-host-01', to: 'spare-host-01', config: 'changed' } }],
      ['web-01', { code: 'rebuild-forced', detail: { host: 'web-host-01', to: 'spare-host-01', config: 'changed' } }],
    ]);
    const lines = r.out.split('\n');
    const num = (text: string) => lines.find((l) => l.includes(text))!.trim().split('.')[0];
    const recreate = num('recreate web-01 on spare-host-01 from code (web-host-01 is up: forced)');
    expect(r.out).toContain(`destroy the copy of web-01 left on web-host-01 (after it runs on spare-host-01) after #${recreate}`);
    const a = await p.run(['apply', '--rebuild', 'web-host-01', '--to', 'spare-host-01', '--force-while-up', 'rb.plan']);
    expect(a.code, a.err + a.out).toBe(0);
    expect(localDomains(p.dir).filter((d) => d.includes('web-host-01') || d.includes('spare-host-01'))).toEqual(['memcached-01@spare-host-01', 'web-01@spare-host-01']);
    expect((await p.run(['refresh', '--no-stats'])).out).toContain('No drift');
  });

  it('keeps the original when the recreate fails, with --force-while-up', async () => {
    const r = await p.run(['rebuild', 'web-host-01', '--to', 'spare-host-01', '--force-while-up', '--out', 'rb.plan']);
    expect(r.code, r.err).toBe(0);
    const a = await p.run(['apply', '--rebuild', 'web-host-01', '--to', 'spare-host-01', '--force-while-up', 'rb.plan'], { env: { HVKIT_LOCAL_FAULTS: JSON.stringify([{ verb: 'create', guest: 'web-01', fail: 9 }]) } });
    expect(a.code).toBe(1);
    expect(a.err).toContain('not started because a step they depend on failed: destroy-copy:web-01');
    expect(localDomains(p.dir)).toContain('web-01@web-host-01');
    expect(stateGuests(p.dir)).toContain('web-01@web-host-01');
  });

  it('applies a saved rebuild only when the command asks for that rebuild: a file cannot ask for it itself', async () => {
    expect((await p.run(['rebuild', 'web-host-01', '--out', 'rb.plan'])).code).toBe(0);
    const plain = await p.run(['apply', 'rb.plan']);
    expect(plain.code).toBe(1);
    expect(plain.err).toBe('Error: the saved plan is a rebuild of web-host-01 (hvkit rebuild --out), which is not what this command asks to apply. Nothing was applied; if that is the plan you reviewed, apply it with `hvkit apply --rebuild web-host-01 FILE`\n');
    const other = await p.run(['apply', '--rebuild', 'web-host-02', 'rb.plan']);
    expect(other.code).toBe(1);
    expect(other.err).toContain('is not what this command asks to apply');
    expect((await p.run(['plan', '--out', 'plain.plan'])).code).toBe(0);
    const asked = await p.run(['apply', '--rebuild', 'web-host-01', 'plain.plan']);
    expect(asked.code).toBe(1);
    expect(asked.err).toContain('the saved plan is an ordinary plan (hvkit plan --out), which is not what this command asks to apply');
    expect(localDomains(p.dir)).toContain('web-01@web-host-01');
  });

  it('keeps the copies and state when a recreate’s create claims success but created nothing, with --force-while-up', async () => {
    const r = await p.run(['rebuild', 'web-host-01', '--to', 'spare-host-01', '--force-while-up', '--out', 'rb.plan']);
    expect(r.code, r.err).toBe(0);
    const a = await p.run(['apply', '--rebuild', 'web-host-01', '--to', 'spare-host-01', '--force-while-up', 'rb.plan'], { env: lyingCreate(p) });
    expect(a.code).toBe(1);
    expect(a.err).toContain('destroy-copy:web-01 failed: web-01 is not running on spare-host-01 (its recreate claimed success): the copy on web-host-01 was kept');
    expect(a.err).toContain('destroy-copy:memcached-01 failed: memcached-01 is not running on spare-host-01 (its recreate claimed success): the copy on web-host-01 was kept');
    expect(a.out).not.toContain('2 destroyed');
    expect(localDomains(p.dir).filter((d) => d.includes('web-host-01') || d.includes('spare-host-01'))).toEqual(['memcached-01@web-host-01', 'web-01@web-host-01']);
    expect(stateGuests(p.dir)).toEqual(expect.arrayContaining(['memcached-01@web-host-01', 'web-01@web-host-01']));
  });

  it('refuses --to when the host’s facts fails other than as unreachable (exit 255), naming the failure', async () => {
    const r = await p.run(['rebuild', 'web-host-01', '--to', 'spare-host-01'], { env: HOST_01_FACTS_BROKEN });
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: cannot tell whether web-host-01 is down: facts failed (exit 1: facts: xl info: permission denied); fix the provider or pass --force-while-up\n');
    expect(localDomains(p.dir).filter((d) => d.endsWith('@spare-host-01'))).toEqual([]);
  });

  it('with --force-while-up and a broken facts, still asks `list` and destroys the copies only after the new ones run', async () => {
    const r = await p.run(['rebuild', 'web-host-01', '--to', 'spare-host-01', '--force-while-up'], { env: HOST_01_FACTS_BROKEN });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('destroy the copy of web-01 left on web-host-01 (after it runs on spare-host-01)');
  });

  it('names the hosts it knows when asked for one that is not in state', async () => {
    const r = await p.run(['rebuild', 'web-host-9']);
    expect(r.err).toBe("Error: host 'web-host-9' is not in state (it has db-host-01, spare-host-01, web-host-01, web-host-02): there is nothing deployed there to rebuild\n");
  });
});
