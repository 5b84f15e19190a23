import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../lib/cli/context';
import { main } from '../../lib/cli/main';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hvkit-simulate-'));
  writeFileSync(join(dir, 'trace.csv'), 'vmid,cpu,mem,at,lt\nA,2,1,0,3\nB,3,1,0,100\nC,1,1,1,100\nD,2,1,2,100\nE,2,1,3,100\n');
  writeFileSync(join(dir, 'unsorted.csv'), 'vmid,cpu,mem,at,lt\nA,2,1,5,3\nB,3,1,4,100\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t), isTty: false, cwd: dir, env: { ...process.env, NO_COLOR: '1' } };
  const code = await main(['node', 'hvkit', 'simulate', ...args], io);
  return { code, out, err };
}

const HOST = ['--host', 'cpus=4,memory=8GiB', '--overcommit', '1', '--reserve', '0'];

describe('hvkit simulate', () => {
  it('--json has exactly the documented keys, references included', async () => {
    const r = await run(['trace.csv', ...HOST, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(['peakHosts', 'peakLowerBound', 'meanHostsOverLowerBound', 'decisionsPerSecond', 'reference']);
    expect(Object.keys(j.reference)).toEqual(['firstFit', 'bestFit']);
    expect(j).toMatchObject({ peakHosts: 2, peakLowerBound: 2, reference: { firstFit: { peakHosts: 3 }, bestFit: { peakHosts: 2 } } });
    const fixed = JSON.parse((await run(['trace.csv', ...HOST, '--hosts', '2', '--rebalance', '--json'])).out);
    expect(Object.keys(fixed)).toEqual(['peakHosts', 'peakLowerBound', 'meanHostsOverLowerBound', 'migrations', 'failedPlacements', 'placedBeforeFirstFailure', 'decisionsPerSecond', 'reference']);
    expect(Object.keys(fixed.reference.firstFit)).toEqual(['peakHosts', 'meanHostsOverLowerBound', 'failedPlacements', 'placedBeforeFirstFailure', 'decisionsPerSecond']);
  });

  it('defaults to textbook bin packing: a VM of all 4 CPUs and all 8 GiB fills one host, two need two', async () => {
    writeFileSync(join(dir, 'whole.csv'), 'vmid,cpu,mem,at,lt\nA,4,8,0,10\nB,4,8,1,10\n');
    const r = await run(['whole.csv', '--host', 'cpus=4,memory=8GiB', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ peakHosts: 2, peakLowerBound: 2 });
    // hvkit's own capacity model keeps 512 MiB: the same VM no longer fits an empty host.
    const real = await run(['whole.csv', '--host', 'cpus=4,memory=8GiB', '--reserve', '512MiB', '--json']);
    expect(real.code).toBe(0);
    expect(JSON.parse(real.out)).toMatchObject({ peakHosts: 0, peakLowerBound: 0, oversized: { count: 2, first: 'whole.csv:2', vmid: 'A' } });
  });

  it('leaves out requests larger than an empty host, counts them and says where the first is', async () => {
    writeFileSync(join(dir, 'big.csv'), 'vmid,cpu,mem,at,lt\nA,2,1,0,10\nHUGE,2,64,1,10\nB,2,1,2,10\n');
    const r = await run(['big.csv', '--host', 'cpus=4,memory=8GiB']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Left out: 1 request larger than an empty host (first: VM HUGE at big.csv:3)');
    expect(JSON.parse((await run(['big.csv', '--host', 'cpus=4,memory=8GiB', '--json'])).out)).toMatchObject({ peakHosts: 1, peakLowerBound: 1, oversized: { count: 1 } });
  });

  it('on a fixed fleet says its lower bound is of the placed demand, never above the fleet', async () => {
    // One 4-CPU host: A (2) placed, B (3) no room, C (1) placed, D (2) no room, A leaves, E (2) placed: at most 3 vCPUs placed, bound 1 (all 8 asked would say 2).
    const r = await run(['trace.csv', ...HOST, '--hosts', '1']);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Lower bound: 1 host (the busiest moment's placed demand over one host's capacity");
  });

  it('prints a table with hvkit, First-Fit and Best-Fit and what to buy', async () => {
    const r = await run(['trace.csv', ...HOST]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/│ hvkit +│ 2 +│ 1\.0000 +│/);
    expect(r.out).toMatch(/│ first-fit +│ 3 +│ 1\.2000 +│/);
    expect(r.out).toContain('Buy 2 hosts for this demand with hvkit placement (0.0% over the bound; Best-Fit needs 2, First-Fit 3)');
  });

  it('an unsorted trace is a one-line error naming the file and line, exit 1', async () => {
    const r = await run(['unsorted.csv', ...HOST]);
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toBe("Error: unsorted.csv:3: arrival 4 comes before the previous row's 5: sort the trace by arrival (sort -t, -k4,4n)\n");
  });

  it('an empty trace (header only) says it has no requests: 0 hosts, no NaN', async () => {
    writeFileSync(join(dir, 'empty.csv'), 'vmid,cpu,mem,at,lt\n');
    const r = await run(['empty.csv', ...HOST]);
    expect(r.code).toBe(0);
    expect(r.out).not.toContain('NaN');
    expect(r.out).toContain('The trace has no requests: nothing to place, 0 hosts.');
  });

  it('a bad --host or a missing file is a one-line error', async () => {
    expect((await run(['trace.csv', '--host', 'cpus=4'])).err).toBe('Error: --host cpus=4 needs both cpus and memory: cpus=80,memory=180GiB\n');
    expect((await run(['trace.csv', '--host', 'cores=4,memory=8GiB'])).err).toBe('Error: --host cores=4,memory=8GiB: give the host as cpus=N,memory=SIZE (e.g. cpus=80,memory=180GiB)\n');
    expect((await run(['trace.csv', '--host', 'cpu=4,memory=8GiB'])).err).toBe("Error: --host cpu=4,memory=8GiB: no key 'cpu' (did you mean 'cpus'?); give the host as cpus=N,memory=SIZE (e.g. cpus=80,memory=180GiB)\n");
    expect((await run(['trace.csv', '--host', 'cpus=4,cpus=8,memory=8GiB'])).err).toBe('Error: --host cpus=4,cpus=8,memory=8GiB: cpus is given twice; give the host as cpus=N,memory=SIZE (e.g. cpus=80,memory=180GiB)\n');
    expect((await run(['nope.csv', ...HOST])).err).toBe('Error: cannot read the trace nope.csv: no such file\n');
    expect((await run(['nope.csv', '--host', 'cpus=4,memory=8GiB', '--reserve', '8GiB'])).err).toBe("Error: --reserve 8GiB is not less than the host's memory (cpus=4,memory=8GiB): a host would have no memory left for guests\n");
  });
});
