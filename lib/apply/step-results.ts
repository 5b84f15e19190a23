import { formatSize } from '../manifest/size';
import type { HostSpec } from '../manifest/types';
import type { Step } from '../plan/types';
import type { Verb } from './provider';

/** A provider answer that does not keep the contract, or facts that stop a host step. */
export class ResultError extends Error {}

/** What a host's `facts` verb reported, as far as hvkit checks it. */
export interface HostFacts {
  memoryMiB: number;
  threads?: number;
  disks?: { name: string; sizeMiB: number }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a verb's answer against the provider contract (providers/README.md):
 * a script that exits 0 without printing its result, or prints something else,
 * did not do the work as far as hvkit can tell, so the step is not recorded.
 */
export function checkResult(step: Step, verb: Verb, input: Record<string, unknown>, result: Record<string, unknown> | undefined): void {
  const contract = `(providers/README.md: one JSON object on stdout's last line${verb === 'create' || verb === 'rename' ? `, {"ok":true,"domain":"${(input.guest as { name?: string } | undefined)?.name}"}` : ''})`;
  if (!isObject(result)) throw new ResultError(`${verb} exited 0 but printed no result ${contract}; treated as not done`);
  if (result.ok === false) throw new ResultError(`${verb} exited 0 but answered "ok": false ${contract}; treated as not done`);
  switch (verb) {
    case 'create':
    case 'rename': {
      const want = (input.guest as { name: string }).name;
      if (result.domain !== want) {
        throw new ResultError(`${verb} exited 0 but did not name the domain it ${verb}d (got ${JSON.stringify(result.domain ?? null)}, want "${want}") ${contract}; ${step.guest} was not recorded`);
      }
      return;
    }
    case 'list':
      if (!Array.isArray(result.domains) || !result.domains.every((d) => isObject(d) && typeof d.name === 'string')) {
        throw new ResultError(`list exited 0 but its answer has no "domains" list of {"name", …} ${contract}`);
      }
      return;
    case 'facts':
      if (typeof result.memoryMiB !== 'number' || !Number.isFinite(result.memoryMiB) || result.memoryMiB <= 0) {
        throw new ResultError(`facts exited 0 but did not report the host's memoryMiB ${contract}; cannot check ${step.host}`);
      }
      return;
    case 'destroy':
    case 'start':
    case 'stop':
    case 'set-memory':
    case 'set-vcpus':
    case 'set-cpu':
    case 'set-disk-io':
    case 'migrate':
    case 'reboot':
    case 'console':
    // Not a step's verb: refresh and top check its answer (lib/load/counters.ts parseStats).
    case 'stats':
      return;
  }
}

/**
 * Before a `destroy-copy` destroys the copy on the source host: a checked
 * `list` of the target must show the guest running, or the recreate's
 * provider claimed success without doing the work and the copy is the only one.
 */
export function checkCopyLanded(step: Step, result: Record<string, unknown>): void {
  const there = (result.domains as { name: string; running?: unknown }[]).find((d) => d.name === step.guest);
  if (!there || there.running === false) {
    throw new ResultError(`${step.guest} is not running on ${step.target} (its recreate claimed success): the copy on ${step.host} was kept`);
  }
}

/** The facts a checked `facts` answer carries. */
export function factsOf(result: Record<string, unknown>): HostFacts {
  const threads = typeof result.threads === 'number' ? result.threads : typeof result.cpus === 'number' ? result.cpus : undefined;
  const disks = Array.isArray(result.disks)
    ? result.disks.filter((d): d is { name: string; sizeMiB: number } => isObject(d) && typeof d.name === 'string' && typeof d.sizeMiB === 'number')
    : undefined;
  return { memoryMiB: result.memoryMiB as number, ...(threads !== undefined ? { threads } : {}), ...(disks ? { disks } : {}) };
}

/** Where a host has less than code says, one phrase each; empty when it has at least that much. */
export function shortfalls(host: HostSpec, facts: HostFacts): string[] {
  const out: string[] = [];
  if (facts.memoryMiB < host.memory.totalMiB) out.push(`${formatSize(facts.memoryMiB)} of memory installed, the code says ${formatSize(host.memory.totalMiB)}`);
  if (facts.threads !== undefined && facts.threads < host.cpu.threads) out.push(`${facts.threads} hardware threads, the code says ${host.cpu.threads}`);
  if (facts.disks) {
    for (const d of host.disks) {
      const real = facts.disks.find((x) => x.name === d.name);
      if (!real) out.push(`no disk ${d.name} (the code has ${formatSize(d.sizeMiB)})`);
      else if (real.sizeMiB < d.sizeMiB) out.push(`disk ${d.name} of ${formatSize(real.sizeMiB)}, the code says ${formatSize(d.sizeMiB)}`);
    }
  }
  return out;
}

/**
 * Checks a host step against the host's real facts before anything is placed
 * on it: a new host must have at least what code describes (or the guests
 * planned onto it would fail one by one); a memory upgrade must be fitted; a
 * downgrade must be done — the host reports exactly the new size, since more
 * means the DIMMs are still in (state would record memory the code says is
 * gone) and less means more failed than the code says.
 */
export function checkFacts(step: Step, facts: HostFacts): void {
  const host = step.hostSpec!;
  const want = host.memory.totalMiB;
  const dimms = host.memory.dimmsMiB.map(formatSize).join(', ');
  switch (step.kind) {
    case 'add-host': {
      const short = shortfalls(host, facts);
      if (short.length) {
        throw new ResultError(`${step.host} is smaller than the code says: ${short.join('; ')}. Nothing was created on it: correct the host in code (memory.dimms, cpu, disks) or fix the machine, then run \`hvkit apply\` again`);
      }
      return;
    }
    case 'upgrade-memory': {
      const before = step.memoryBeforeMiB;
      if (before !== undefined && want < before) {
        if (facts.memoryMiB > want) {
          throw new ResultError(`${step.host} still reports ${formatSize(facts.memoryMiB)} installed; the code says ${formatSize(want)} (memory downgrade). The guests already fit in ${formatSize(want)}: take out DIMMs to leave ${dimms}, then run \`hvkit apply\` again`);
        }
        if (facts.memoryMiB < want) {
          throw new ResultError(`${step.host} reports ${formatSize(facts.memoryMiB)} installed, less than the ${formatSize(want)} of the memory downgrade: more DIMMs are missing than the code says (${dimms}); correct memory.dimms or fit them, then run \`hvkit apply\` again`);
        }
        return;
      }
      if (facts.memoryMiB < want) {
        throw new ResultError(`${step.host} reports ${formatSize(facts.memoryMiB)} installed, the code needs ${formatSize(want)}: fit the new DIMMs (${dimms}), boot the host, then run \`hvkit apply\` again`);
      }
      return;
    }
    default:
      return;
  }
}
