import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDomains, tempProject, type TempProject } from '../helpers/project';

const HOST = `{ cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['2GiB', '2GiB', '2GiB', '2GiB'] }, disks: [{ name: 'sda', size: '500GiB' }] }`;

/*
 * Three 8GiB hosts (7.5GiB for guests after the 512MiB reserve). p1 is pinned
 * on a; u1 and u2 (3GiB each) are placed by hvkit. While p1 takes 6GiB, a has
 * 1.5GiB free, so placement puts u1 on b (empty hosts tie: by name) and u2 beside
 * it on b (a host in use first). Then p1 shrinks to 1GiB: a has 6.5GiB free, room
 * for both, and --rebalance empties b onto a. The migrations onto a must wait for
 * p1's shrink: before it, a would hold 6 + 6 = 12GiB.
 */
function stack(p1: string): string {
  return [
    "import { App } from 'cdktf';",
    "import { Fleet, Guest, Host } from 'hvkit';",
    'const app = new App();',
    "const fleet = new Fleet(app, 'tokyo', { provider: 'local' });",
    `const a = new Host(fleet, 'a', ${HOST});`,
    `new Host(fleet, 'b', ${HOST});`,
    `new Host(fleet, 'c', ${HOST});`,
    `new Guest(a, 'p1', { role: 'db', vcpus: 1, memory: '${p1}', maxMemory: '6GiB' });`,
    "new Guest(fleet, 'u1', { role: 'web', vcpus: 1, memory: '3GiB' });",
    "new Guest(fleet, 'u2', { role: 'web', vcpus: 1, memory: '3GiB' });",
    'app.synth();',
    '',
  ].join('\n');
}

describe('hvkit plan --rebalance on the local provider', () => {
  let p: TempProject;
  beforeAll(async () => {
    p = tempProject();
    p.writeStack(stack('6GiB'));
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    expect(localDomains(p.dir)).toEqual(['p1@a', 'u1@b', 'u2@b']);
    p.writeStack(stack('1GiB'));
  });
  afterAll(() => p.cleanup());

  it('rejects a --max-moves that is not a whole number of at least 1, or without --rebalance, in one line', async () => {
    expect(await p.run(['plan', '--rebalance', '--max-moves', '0'])).toMatchObject({ code: 1, err: "Error: --max-moves '0' must be a whole number of at least 1 (the most migrations --rebalance may plan)\n" });
    expect(await p.run(['plan', '--max-moves', '2'])).toMatchObject({ code: 1, err: 'Error: --max-moves limits --rebalance: add --rebalance, or leave --max-moves out\n' });
  });

  it('honours --max-moves: one migration cannot empty b', async () => {
    const json = JSON.parse((await p.run(['plan', '--rebalance', '--max-moves', '1', '--json'])).out);
    expect(json.hvkit.rebalance.maxMoves).toBe(1);
    expect(json.hvkit.rebalance.emptied).toEqual([]);
    expect(json.hvkit.rebalance.moves.length).toBeLessThanOrEqual(1);
  });

  it('empties b, shrinking p1 first, never moves p1, applies, and plans nothing afterwards', async () => {
    // Without --rebalance, placement is sticky: u1 and u2 stay on b.
    const plain = JSON.parse((await p.run(['plan', '--json'])).out);
    expect(plain.hvkit.steps.map((s: { id: string }) => s.id)).toEqual(['update-live:p1']);

    const r = await p.run(['plan', '--rebalance', '--out', 'plan.bin']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('→ migrate u1 b → a');
    expect(r.out).toContain('→ migrate u2 b → a');
    expect(r.out).toMatch(/rebalance, move \d of \d: moves b → a to empty b/);
    expect(r.out).toContain('  ○ b is emptied: free to retire or power off once the plan is applied');
    const json = JSON.parse((await p.run(['plan', '--rebalance', '--json'])).out);
    const steps: { id: string; dependsOn: string[] }[] = json.hvkit.steps;
    expect(steps.map((s) => s.id)).toEqual(['update-live:p1', 'migrate:u1', 'migrate:u2']);
    // The step machinery makes each migration onto a wait for p1's shrink.
    for (const s of steps.slice(1)) expect(s.dependsOn).toContain('update-live:p1');
    expect(json.hvkit.rebalance).toMatchObject({ emptied: ['b'], moves: [{ guest: 'u1', from: 'b', to: 'a' }, { guest: 'u2', from: 'b', to: 'a' }] });

    expect((await p.run(['apply', 'plan.bin'])).code).toBe(0);
    expect(localDomains(p.dir)).toEqual(['p1@a', 'u1@a', 'u2@a']);
    const again = await p.run(['plan', '--detailed-exitcode']);
    expect(again.code).toBe(0);
    expect(JSON.parse((await p.run(['plan', '--rebalance', '--json'])).out).hvkit.steps).toEqual([]);
  });
});
