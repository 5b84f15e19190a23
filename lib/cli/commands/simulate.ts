import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SIMULATION_DEFAULTS, simulate, type HostShape } from '../../capacity/simulate';
import { HvkitError } from '../../errors';
import { nearestName } from '../../manifest/check';
import { DEFAULT_CAPACITY, DEFAULT_RESERVE_MIB } from '../../manifest/defaults';
import { printable } from '../../manifest/names';
import { parseSize } from '../../manifest/size';
import { simulationText } from '../../render/simulation';
import type { Io } from '../context';
import { withUsage } from '../help';
import { table } from './lookups';

interface SimulateCliOptions {
  host: string;
  overcommit?: string;
  reserve?: string;
  hosts?: string;
  rebalance?: boolean;
  json?: boolean;
}

export function registerSimulate(program: Command, io: Io): void {
  withUsage(
    program
      .command('simulate <trace>')
      .description('replay a VM request trace (CSV vmid,cpu,mem,at,lt) through hvkit placement on identical hosts: how many hosts this demand needs')
      .requiredOption('--host <shape>', 'the host to buy: cpus=N,memory=SIZE (cpus are hardware threads)')
      .option('--overcommit <n>', `vCPUs per hardware thread (default ${SIMULATION_DEFAULTS.overcommit}: a trace's vCPUs against physical CPUs; hvkit's capacity model uses ${DEFAULT_CAPACITY.cpuOvercommit})`)
      .option('--reserve <size>', `memory each host keeps for the hypervisor (default 0: nothing, and no per-guest overhead, as textbook bin packing; hvkit hosts keep ${DEFAULT_RESERVE_MIB}MiB, with the capacity model's per-guest overhead)`)
      .option('--hosts <n>', 'a fixed fleet of N hosts: count the arrivals that fit nowhere (default: buy a host whenever none in use takes a VM)')
      .option('--rebalance', "let hvkit migrate VMs off lightly used hosts as VMs leave (hbal in the loop); reports migrations")
      .option('--json', 'print JSON: peakHosts, peakLowerBound, meanHostsOverLowerBound, migrations, failedPlacements, placedBeforeFirstFailure, decisionsPerSecond, reference'),
    {
      examples: [
        'hvkit simulate trace.csv --host cpus=80,memory=180GiB   # textbook bin packing: no overcommit, nothing reserved',
        'hvkit simulate trace.csv --host cpus=80,memory=180GiB --overcommit 4 --reserve 512MiB   # hosts as hvkit\'s capacity model sees them',
        'hvkit simulate trace.csv --host cpus=80,memory=180GiB --rebalance --json',
        'hvkit simulate trace.csv --host cpus=64,memory=256GiB --hosts 40   # does a fleet of 40 take this demand?',
      ],
      exitCodes: { 1: 'the trace cannot be read or has a bad row (FILE:LINE: what is wrong), or a bad --host/--overcommit/--reserve/--hosts (requests larger than an empty host are left out and counted, not an error)' },
    },
  ).action(async (file: string, opts: SimulateCliOptions) => {
    const host = hostShape(opts.host);
    const overcommit = opts.overcommit === undefined ? undefined : positive('--overcommit', opts.overcommit);
    const reserveMiB = opts.reserve === undefined ? undefined : reserve(opts.reserve);
    // Caught here, not blamed on the first trace row that then fits no host.
    if (reserveMiB !== undefined && reserveMiB >= host.memoryMiB) throw new HvkitError(`--reserve ${printable(opts.reserve!)} is not less than the host's memory (${printable(opts.host)}): a host would have no memory left for guests`);
    const hosts = opts.hosts === undefined ? undefined : wholeCount('--hosts', opts.hosts);
    let text: string;
    try {
      text = readFileSync(resolve(io.cwd, file), 'utf8');
    } catch (e) {
      throw new HvkitError(`cannot read the trace ${file}: ${readError(e)}`);
    }
    // Loaded when used: the CSV reader is a dependency only this command needs, so other commands start without it.
    const { parseTrace } = await import('../../capacity/trace');
    const rows = parseTrace(text, file);
    const result = simulate(rows, { host, overcommit, reserveMiB, hosts, rebalance: opts.rebalance, file });
    if (opts.json) {
      io.out(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const view = simulationText(result, { arrivals: rows.length, host, overcommit: overcommit ?? SIMULATION_DEFAULTS.overcommit, reserveMiB: reserveMiB ?? SIMULATION_DEFAULTS.reserveMiB, hosts });
    io.out(`${view.intro}\n${await table(view.head, view.rows)}${view.outro}\n`);
  });
}

const HOST_KEYS = ['cpus', 'memory'] as const;

/** `cpus=80,memory=180GiB`, either order. */
function hostShape(raw: string): HostShape {
  const fields = new Map<string, string>();
  const bad = (why: string) => new HvkitError(`--host ${printable(raw)}: ${why}give the host as cpus=N,memory=SIZE (e.g. cpus=80,memory=180GiB)`);
  for (const part of raw.split(',')) {
    const [k, v, ...rest] = part.split('=');
    const key = k.trim();
    if (v === undefined || rest.length) throw bad('');
    if (!(HOST_KEYS as readonly string[]).includes(key)) {
      const near = nearestName(key, HOST_KEYS);
      throw bad(near ? `no key '${printable(key)}' (did you mean '${near}'?); ` : '');
    }
    if (fields.has(key)) throw bad(`${key} is given twice; `);
    fields.set(key, v.trim());
  }
  if (!fields.has('cpus') || !fields.has('memory')) throw new HvkitError(`--host ${printable(raw)} needs both cpus and memory: cpus=80,memory=180GiB`);
  const cpus = wholeCount('--host cpus', fields.get('cpus')!);
  const memory = parseSize(fields.get('memory'));
  if (!memory.ok || memory.mib === 0) throw new HvkitError(`--host memory: ${memory.ok ? 'must be more than 0' : memory.error}`);
  return { cpus, memoryMiB: memory.mib };
}

function reserve(raw: string): number {
  if (raw.trim() === '0') return 0;
  const r = parseSize(raw);
  if (!r.ok) throw new HvkitError(`--reserve: ${r.error} (or 0 for none)`);
  return r.mib;
}

function positive(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) throw new HvkitError(`${flag} ${printable(raw)} must be a number greater than 0`);
  return n;
}

function wholeCount(flag: string, raw: string): number {
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isInteger(n) || n < 1) throw new HvkitError(`${flag} ${printable(raw)} must be a whole number, 1 or more`);
  return n;
}

/** Why a file cannot be read, in words rather than an errno code. */
function readError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return code ?? (e as Error).message;
}
