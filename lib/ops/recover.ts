import type { HostSpec } from '../manifest/types';
import type { Recovered, Step } from '../plan/types';
import type { ObservedDomain, State } from '../state/types';
import { applyEffect } from '../apply/effects';
import type { ProviderRunner } from '../apply/provider';

export type Lister = (host: HostSpec) => Promise<ObservedDomain[]>;

/** Lists a host's domains through its provider's `list`. */
export function providerLister(runner: ProviderRunner, fleet: string, timeoutMs = 60_000): Lister {
  return async (host) => {
    const r = await runner.call(host.provider, 'list', { fleet, host }, { timeoutMs });
    if (!r.ok || !Array.isArray(r.result?.domains)) {
      throw new Error(`cannot list domains on ${host.name} (exit ${r.exitCode ?? r.signal}): ${r.stderrTail || 'no result'}`);
    }
    return r.result!.domains as ObservedDomain[];
  };
}

function matches(d: ObservedDomain | undefined, step: Step): boolean {
  if (!d || !step.after) return false;
  return d.memoryMiB === step.after.memoryMiB && d.vcpus === step.after.vcpus && d.running;
}

/**
 * Settles steps a dead apply left in flight by asking the hypervisor what is
 * really there, so no guest is orphaned and none is recorded that does not
 * exist. Returns a reconciled copy of the state (never writes it).
 */
export async function recoverInflight(state: State, list: Lister): Promise<{ state: State; recovered: Recovered[] }> {
  const intents = Object.values(state.inflight).sort((a, b) => (a.step.id < b.step.id ? -1 : 1));
  if (intents.length === 0) return { state, recovered: [] };
  const next = structuredClone(state);
  const cache = new Map<string, Promise<ObservedDomain[]>>();
  const domainsOn = (h: HostSpec) => {
    if (!cache.has(h.name)) cache.set(h.name, list(h));
    return cache.get(h.name)!;
  };
  const recovered: Recovered[] = [];
  for (const intent of intents) {
    const step = intent.step;
    delete next.inflight[step.id];
    const say = (done: boolean, message: string) => recovered.push({ step: step.id, run: intent.run, done, message: `${step.id} was in flight when apply ${intent.run} stopped: ${message}` });
    const find = async (h: HostSpec | undefined) => (h ? (await domainsOn(h)).find((d) => d.name === step.guest) : undefined);
    switch (step.kind) {
      case 'create':
      case 'replace':
      case 'update-restart':
      case 'update-live': {
        const d = await find(step.hostSpec);
        if (matches(d, step)) {
          applyEffect(next, step);
          say(true, `${step.guest} runs on ${step.host} as planned; recorded`);
        } else if (!d && step.kind !== 'create') {
          delete next.guests[step.guest!];
          say(false, `${step.guest} is not on ${step.host}; recorded as missing, the plan creates it`);
        } else {
          say(false, d ? `${step.guest} on ${step.host} is not as planned yet; the plan finishes it` : `${step.guest} was never created; the plan creates it`);
        }
        break;
      }
      case 'destroy': {
        const d = await find(step.hostSpec);
        if (!d) {
          applyEffect(next, step);
          say(true, `${step.guest} is gone from ${step.host}; recorded`);
        } else say(false, `${step.guest} still runs on ${step.host}; the plan destroys it`);
        break;
      }
      case 'destroy-copy': {
        const d = await find(step.hostSpec);
        say(!d, d
          ? `the copy of ${step.guest} is still on ${step.host}: \`hvkit refresh\` shows it on two hosts; destroy the one on ${step.host} by hand`
          : `the copy of ${step.guest} is gone from ${step.host}`);
        break;
      }
      case 'recreate':
      case 'migrate': {
        const onTarget = await find(step.targetSpec);
        const onSource = onTarget ? undefined : await find(step.hostSpec);
        if (onTarget) {
          applyEffect(next, step);
          say(true, `${step.guest} runs on ${step.target}; recorded`);
        } else if (onSource) say(false, `${step.guest} is still on ${step.host}; the plan migrates it`);
        else {
          delete next.guests[step.guest!];
          say(false, `${step.guest} is on neither ${step.host} nor ${step.target}; recorded as missing, the plan creates it`);
        }
        break;
      }
      case 'add-host':
      case 'upgrade-memory':
      case 'update-host':
      case 'update-record':
      case 'retire-host':
        say(false, 'it changes nothing on the hypervisor; the plan repeats it');
        break;
    }
  }
  return { state: next, recovered };
}
