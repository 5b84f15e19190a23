import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project';

describe('operator look-ups on the applied example fleet', () => {
  let p: TempProject;
  beforeAll(async () => {
    p = tempProject();
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    // Code now moves web-03 off the DB host.
    const src = readFileSync(join(p.dir, 'stacks', 'main.ts'), 'utf8');
    p.writeStack(src
      .replace(/new Guest\(dbHost, 'web-03'[\s\S]*?\}\);\n/, '')
      .replace('app.synth();', "new Guest(fleet.node.findChild('spare-host-01') as Host, 'web-03', { role: 'web', vcpus: 2, memory: '1GiB' });\napp.synth();"));
  });
  afterAll(() => p.cleanup());

  it('parent: prints the deployed host', async () => {
    const r = await p.run(['parent', 'web-01']);
    expect(r).toMatchObject({ code: 0, out: 'web-01: web-host-01\n' });
  });

  it('parent: says where code moves a guest', async () => {
    expect((await p.run(['parent', 'web-03'])).out).toBe('web-03: db-host-01 (moving to spare-host-01 in code)\n');
    expect(JSON.parse((await p.run(['parent', 'web-03', '--json'])).out)).toEqual({ guest: 'web-03', host: 'db-host-01', codeHost: 'spare-host-01', moving: true });
  });

  it('parent: an unknown guest exits 1 with the nearest names', async () => {
    const r = await p.run(['parent', 'web-3']);
    expect(r.code).toBe(1);
    expect(r.err).toBe("Error: unknown guest 'web-3'; did you mean web-03, web-01, web-02?\n");
  });

  it('hosts: used of capacity and guest count per host', async () => {
    const r = await p.run(['hosts']);
    expect(r.out).toMatch(/│ web-host-01 +│ local +│ 8GiB \/ 8GiB \(100%\) +│ 3 \/ 32 \(9%\) +│ 20GiB \/ 500GiB \(4%\) +│ 2 +│/);
    const rows = JSON.parse((await p.run(['hosts', '--json'])).out);
    expect(rows.find((h: { host: string }) => h.host === 'db-host-01')).toEqual({
      host: 'db-host-01', provider: 'local', guests: 2, memoryUsedMiB: 15872, memoryMiB: 16384, vcpusUsed: 4, vcpus: 32, diskUsedMiB: 225280, diskMiB: 1048576,
    });
  });

  it('guests: host, role, vcpus, memory and state, optionally for one host', async () => {
    const rows = JSON.parse((await p.run(['guests', '--host', 'web-host-02', '--json'])).out);
    expect(rows).toEqual([
      { guest: 'memcached-02', host: 'web-host-02', role: 'memcached', vcpus: 1, memoryMiB: 2048, state: 'deployed' },
      { guest: 'web-02', host: 'web-host-02', role: 'web', vcpus: 2, memoryMiB: 5632, state: 'deployed' },
    ]);
    expect((await p.run(['guests'])).out).toMatch(/│ db-01 +│ db-host-01 +│ db +│ 2 +│ 14GiB +│ deployed │/);
    const bad = await p.run(['guests', '--host', 'web-host-9']);
    expect(bad.err).toBe("Error: unknown host 'web-host-9'; did you mean web-host-01, web-host-02?\n");
  });
});
