import { assertNever } from '../errors';
import type { Step } from '../plan/types';
import { powerRecord, type State } from '../state/types';
import type { GuestSpec, ProviderName } from '../manifest/types';
import type { Verb } from './provider';

/** One provider call of a step; the executor runs them in order. */
export interface Call {
  verb: Verb;
  input: Record<string, unknown>;
  /** The provider to ask, when the call is about another host than the step's. @default the step's provider */
  provider?: ProviderName;
}

/** The provider calls that carry out a step. Pure: decided by the step alone. */
export function callsOf(step: Step, fleet: string): Call[] {
  const base = { fleet, host: step.hostSpec, ...(step.config ? { config: step.config } : {}) };
  const guestIn = (g = step.after) => ({ ...base, guest: g });
  switch (step.kind) {
    case 'add-host':
    case 'upgrade-memory':
      return [{ verb: 'facts', input: base }];
    case 'update-host':
      return [];
    case 'update-record':
      return withThen([], step, fleet);
    case 'retire-host':
      return [{ verb: 'list', input: base }];
    case 'create':
      return withThen([{ verb: 'create', input: guestIn() }], step, fleet);
    case 'destroy':
      return [{ verb: 'destroy', input: { ...base, guest: step.before } }];
    case 'replace':
      return withThen([{ verb: 'destroy', input: { fleet, host: step.hostSpec, guest: step.before } }, { verb: 'create', input: guestIn() }], step, fleet);
    case 'update-live': {
      const calls: Call[] = [];
      if (step.after!.memoryMiB !== step.before!.memoryMiB) calls.push({ verb: 'set-memory', input: { ...guestIn(), memoryMiB: step.after!.memoryMiB } });
      if (step.after!.vcpus !== step.before!.vcpus) calls.push({ verb: 'set-vcpus', input: { ...guestIn(), vcpus: step.after!.vcpus } });
      // The provider sets both from the guest's spec: null is "back to the default" (no cap, default weight).
      if (step.after!.cpuCap !== step.before!.cpuCap || step.after!.cpuWeight !== step.before!.cpuWeight) calls.push({ verb: 'set-cpu', input: guestIn() });
      const disks = changedDiskLimits(step.before!, step.after!);
      if (disks.length) calls.push({ verb: 'set-disk-io', input: { ...guestIn(), disks } });
      return withThen(calls, step, fleet);
    }
    case 'update-restart':
      return withThen([{ verb: 'stop', input: { fleet, host: step.hostSpec, guest: step.before } }, { verb: 'create', input: guestIn() }], step, fleet);
    case 'migrate':
      return withThen([{ verb: 'migrate', input: { ...guestIn(), target: step.targetSpec } }], step, fleet);
    case 'rename':
      // `from` is the guest as recorded under its old name; `guest` and `config` are it under the new one.
      return [{ verb: 'rename', input: { ...guestIn(), from: step.before } }];
    case 'recreate':
      return withThen([{ verb: 'create', input: { fleet, host: step.targetSpec, guest: step.after, config: step.config } }], step, fleet);
    case 'start':
    case 'stop':
      return [{ verb: step.kind, input: { fleet, host: step.hostSpec, guest: step.after } }];
    case 'destroy-copy':
      // `list` on the target first: the copy goes only once the guest runs there (checkCopyLanded).
      return [
        { verb: 'list', input: { fleet, host: step.targetSpec }, ...(step.targetSpec ? { provider: step.targetSpec.provider } : {}) },
        { verb: 'destroy', input: { fleet, host: step.hostSpec, guest: step.before } },
      ];
    default:
      return assertNever(step.kind, 'step kind');
  }
}

/** Indexes of the disks whose I/O limits differ (a live update keeps the disks themselves). */
function changedDiskLimits(before: GuestSpec, after: GuestSpec): number[] {
  return after.disks.flatMap((d, i) => (d.iops !== before.disks[i]?.iops || d.mbps !== before.disks[i]?.mbps ? [i] : []));
}

/** A step's calls, then the power call that leaves its guest as its `power` prop says (`step.then`). */
function withThen(calls: Call[], step: Step, fleet: string): Call[] {
  if (!step.then) return calls;
  // Where the guest is once the step's own calls ran: a migration's or recreate's target.
  const host = step.kind === 'migrate' || step.kind === 'recreate' ? step.targetSpec : step.hostSpec;
  return [...calls, { verb: step.then, input: { fleet, host, guest: step.after }, ...(host && host !== step.hostSpec ? { provider: host.provider } : {}) }];
}

/**
 * The fields of a step its effect on state depends on: a plan step has them,
 * and so has the step recovery reads back from an intent record.
 */
export type EffectStep = Pick<Step, 'kind' | 'host' | 'guest' | 'hostSpec' | 'targetSpec' | 'after' | 'then'> & { config?: { text: string } };

/** Records a finished step in state (mutates `state`). */
export function applyEffect(state: State, step: EffectStep, facts?: { memoryMiB?: number }): void {
  switch (step.kind) {
    case 'add-host':
    case 'upgrade-memory':
    case 'update-host':
      state.hosts[step.host] = { spec: step.hostSpec!, ...(facts?.memoryMiB !== undefined ? { installedMiB: facts.memoryMiB } : state.hosts[step.host]?.installedMiB !== undefined ? { installedMiB: state.hosts[step.host].installedMiB } : {}) };
      return;
    case 'retire-host':
      delete state.hosts[step.host];
      return;
    case 'destroy-copy':
      // State already records the guest on the host it was recreated on.
      return;
    case 'destroy':
      delete state.guests[step.guest!];
      return;
    case 'rename':
      // The old record goes in the same write as the new one: no state ever holds both, or neither.
      // A rename step's guest always names its old name in `movedFrom` (its intent record keeps `after`).
      if (step.after!.movedFrom !== null && step.after!.movedFrom !== step.guest) delete state.guests[step.after!.movedFrom];
      state.guests[step.guest!] = { spec: step.after!, provider: step.hostSpec!.provider, config: step.config?.text ?? '' };
      return;
    case 'create':
    case 'replace':
    case 'update-live':
    case 'update-restart':
    case 'update-record':
    case 'migrate':
    case 'recreate':
    case 'start':
    case 'stop': {
      const power = powerRecord(step.after!.power, step.kind === 'start' || step.kind === 'stop' || step.then !== undefined, 'apply');
      const config = step.config?.text ?? (step.kind === 'start' || step.kind === 'stop' ? state.guests[step.guest!]?.config : undefined) ?? '';
      state.guests[step.guest!] = { spec: step.after!, provider: (step.targetSpec ?? step.hostSpec)!.provider, config, ...(power ? { power } : {}) };
      return;
    }
    default:
      assertNever(step.kind, 'step kind');
  }
}

/** Past-tense counter a step adds to the apply summary. */
export function tallyOf(step: Step): 'created' | 'updated' | 'replaced' | 'migrated' | 'destroyed' | 'hosts' {
  // A rename counts as an update: the guest stays, as Terraform counts a moved resource that changes.
  switch (step.kind) {
    case 'create': return 'created';
    case 'update-live':
    case 'update-restart':
    case 'update-record':
    case 'start':
    case 'stop':
    case 'rename': return 'updated';
    case 'replace':
    case 'recreate': return 'replaced';
    case 'migrate': return 'migrated';
    case 'destroy':
    case 'destroy-copy': return 'destroyed';
    case 'add-host':
    case 'upgrade-memory':
    case 'update-host':
    case 'retire-host': return 'hosts';
    default: return assertNever(step.kind, 'step kind');
  }
}
