import { assertNever } from '../errors';
import type { Step } from '../plan/types';
import type { State } from '../state/types';
import type { ProviderName } from '../manifest/types';
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
    case 'update-record':
      return [];
    case 'retire-host':
      return [{ verb: 'list', input: base }];
    case 'create':
      return [{ verb: 'create', input: guestIn() }];
    case 'destroy':
      return [{ verb: 'destroy', input: { ...base, guest: step.before } }];
    case 'replace':
      return [{ verb: 'destroy', input: { fleet, host: step.hostSpec, guest: step.before } }, { verb: 'create', input: guestIn() }];
    case 'update-live': {
      const calls: Call[] = [];
      if (step.after!.memoryMiB !== step.before!.memoryMiB) calls.push({ verb: 'set-memory', input: { ...guestIn(), memoryMiB: step.after!.memoryMiB } });
      if (step.after!.vcpus !== step.before!.vcpus) calls.push({ verb: 'set-vcpus', input: { ...guestIn(), vcpus: step.after!.vcpus } });
      return calls;
    }
    case 'update-restart':
      return [{ verb: 'stop', input: { fleet, host: step.hostSpec, guest: step.before } }, { verb: 'create', input: guestIn() }];
    case 'migrate':
      return [{ verb: 'migrate', input: { ...guestIn(), target: step.targetSpec } }];
    case 'recreate':
      return [{ verb: 'create', input: { fleet, host: step.targetSpec, guest: step.after, config: step.config } }];
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

/**
 * The fields of a step its effect on state depends on: a plan step has them,
 * and so has the step recovery reads back from an intent record.
 */
export type EffectStep = Pick<Step, 'kind' | 'host' | 'guest' | 'hostSpec' | 'targetSpec' | 'after'> & { config?: { text: string } };

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
    case 'create':
    case 'replace':
    case 'update-live':
    case 'update-restart':
    case 'update-record':
    case 'migrate':
    case 'recreate':
      state.guests[step.guest!] = { spec: step.after!, provider: (step.targetSpec ?? step.hostSpec)!.provider, config: step.config?.text ?? '' };
      return;
    default:
      assertNever(step.kind, 'step kind');
  }
}

/** Past-tense counter a step adds to the apply summary. */
export function tallyOf(step: Step): 'created' | 'updated' | 'replaced' | 'migrated' | 'destroyed' | 'hosts' {
  switch (step.kind) {
    case 'create': return 'created';
    case 'update-live':
    case 'update-restart':
    case 'update-record': return 'updated';
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
