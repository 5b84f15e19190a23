import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../helpers/project';

describe('hvkit plan and rebuild: what is lost, and protected guests (example fleet, local provider)', () => {
  let p: TempProject;
  let stack: string;
  beforeAll(async () => {
    p = tempProject();
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    stack = readFileSync(join(p.dir, 'stacks', 'main.ts'), 'utf8');
  });
  afterAll(() => p.cleanup());

  /** The example stack with `edit` applied; the edit must change it. */
  function edited(edit: (s: string) => string): string {
    const out = edit(stack);
    expect(out).not.toBe(stack);
    return out;
  }
  const hvmWeb = (s: string) => s.replace("role: 'web', vcpus: 2, memory: upgraded ? '5.5GiB' : '3.5GiB',", "role: 'web', vcpus: 2, memory: upgraded ? '5.5GiB' : '3.5GiB', mode: 'hvm',");
  const noWeb03 = (s: string) => s.replace(/new Guest\(dbHost, 'web-03', \{[\s\S]*?\n\}\);/, '');
  const protectDb = (s: string) => s.replace("role: 'db', vcpus: 2, memory: '14GiB',", "role: 'db', vcpus: 2, memory: '14GiB', lifecycle: { preventDestroy: true },");

  it('text and markdown name every disk a replace and a delete destroy, and count them in the summary', async () => {
    p.writeStack(edited((s) => noWeb03(hvmWeb(s))));
    try {
      const text = await p.run(['plan']);
      expect(text.code, text.err).toBe(0);
      expect(text.out).toContain('  ± replace web-01 on web-host-01  (tokyo/web-host-01/web-01)\n      DATA LOSS: destroys 20GiB on sda of web-host-01\n      mode pv → hvm cannot change on an existing domain');
      expect(text.out).toContain('  - destroy web-03 on db-host-01  (tokyo/db-host-01/web-03)\n      DATA LOSS: destroys 20GiB on sda of db-host-01\n');
      expect(text.out.trimEnd().split('\n').pop()).toBe('Plan: 0 to create, 0 to update in place, 2 to replace (destroys 40GiB), 0 to migrate, 1 to destroy (destroys 20GiB).');

      const md = (await p.run(['plan', '--markdown'])).out;
      expect(md.startsWith([
        '### hvkit plan: fleet `tokyo`',
        '',
        '**Plan: 0 to create, 0 to update in place, 2 to replace (destroys 40GiB), 0 to migrate, 1 to destroy (destroys 20GiB).**',
        '',
        '> [!WARNING]',
        '> **These 3 changes lose guest data:**',
        '> - `±` **replace web-01 on web-host-01** — **destroys 20GiB on sda of web-host-01**; mode pv → hvm cannot change on an existing domain; bootloader: pygrub → \\(none\\); mode: pv → hvm',
        '> - `±` **replace web-02 on web-host-02** — **destroys 20GiB on sda of web-host-02**; mode pv → hvm cannot change on an existing domain; bootloader: pygrub → \\(none\\); mode: pv → hvm',
        '> - `-` **destroy web-03 on db-host-01** — **destroys 20GiB on sda of db-host-01**; web, 2 vCPUs, 1GiB memory, 20GiB on sda',
        '',
        '#### Fit',
      ].join('\n')), md).toBe(true);
    } finally {
      p.writeStack(stack);
    }
  });

  it('refuses to plan the loss of a protected guest’s data, and to rebuild it, but applies the protection itself as a state-only update', async () => {
    p.writeStack(edited(protectDb));
    try {
      const record = await p.run(['apply', '--auto-approve']);
      expect(record.code, record.err).toBe(0);
      expect(record.out).toContain('lifecycle (state only, no hypervisor change)');

      p.writeStack(edited((s) => s.replace(/new Guest\(dbHost, 'db-01', \{[\s\S]*?\n\}\);/, '')));
      const gone = await p.run(['plan', '--detailed-exitcode']);
      expect(gone.code).toBe(1);
      expect(gone.out).toContain('Error: tokyo/db-host-01/db-01: db-01 has lifecycle.preventDestroy: this plan would destroy its data (destroy: no longer in code; destroys 200GiB on sda of db-host-01); to delete it, put it back in code with lifecycle.preventDestroy: false and apply, then remove it\n');
      expect(gone.out).toContain('This plan has errors and cannot be applied.');

      p.writeStack(edited(protectDb));
      const rebuild = await p.run(['rebuild', 'db-host-01']);
      expect(rebuild.code).toBe(1);
      expect(rebuild.out).toMatch(/Error: tokyo\/db-host-01\/db-01: db-01 has lifecycle.preventDestroy: this plan would destroy its data \(replace: rebuild; .*; destroys 200GiB on sda of db-host-01\); remove the setting or change the plan\n/);
    } finally {
      p.writeStack(stack);
      expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    }
  });

  it('refuses a typo in ignoreChanges in one line naming the construct path', async () => {
    p.writeStack(edited((s) => s.replace("role: 'db', vcpus: 2, memory: '14GiB',", "role: 'db', vcpus: 2, memory: '14GiB', lifecycle: { ignoreChanges: ['memroy' as never] },")));
    try {
      const r = await p.run(['plan']);
      expect(r.code).toBe(1);
      expect(r.err).toContain("tokyo/db-host-01/db-01: lifecycle.ignoreChanges[0] 'memroy' is not a prop hvkit can ignore: did you mean 'memory'?");
      expect(r.err).not.toMatch(/\n\s+at /);
    } finally {
      p.writeStack(stack);
    }
  });
});
