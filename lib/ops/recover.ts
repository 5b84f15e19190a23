import type { Diagnostic } from '../diagnostics';
import { assertNever } from '../errors';
import type { GuestSpec, HostSpec } from '../manifest/types';
import type { Recovered, StepKind } from '../plan/types';
import { isCurrentIntent, type IntentRecord, type IntentStep, type StoredIntent } from '../state/intent';
import { processLiveness } from '../state/lock-wait';
import { recordedPower, type ObservedDomain, type State } from '../state/types';
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

/** Every step kind, so a kind read from state is checked against the plan's union. */
const STEP_KINDS: Record<StepKind, true> = {
  'add-host': true, 'upgrade-memory': true, 'update-host': true, 'retire-host': true,
  create: true, destroy: true, replace: true, 'update-live': true, 'update-restart': true, 'update-record': true,
  migrate: true, recreate: true, 'destroy-copy': true, start: true, stop: true, rename: true,
};

function isStepKind(kind: string): kind is StepKind {
  return Object.hasOwn(STEP_KINDS, kind);
}

/** A step as recovery settles it: what its intent record kept, the kind checked. */
type RecoveryStep = Omit<IntentStep, 'kind' | 'configText'> & { kind: StepKind; config?: { text: string } };

/** The step an in-flight record stands for, or why this hvkit cannot read it. */
function readIntent(intent: StoredIntent): RecoveryStep | { unreadable: string } {
  if (!isCurrentIntent(intent)) return { unreadable: `its record is intent version ${intent.version}, which this hvkit cannot read (a newer hvkit wrote it)` };
  const { kind, configText, ...rest } = intent.step;
  if (!isStepKind(kind)) return { unreadable: `its step kind '${kind}' is not one this hvkit knows (a newer hvkit wrote it)` };
  return { ...rest, kind, ...(configText !== undefined ? { config: { text: configText } } : {}) };
}

/** An in-flight record recovery cannot settle: an error, so apply stops, saying what to do by hand. */
function unreadable(intent: StoredIntent, why: string, location: string): Diagnostic {
  const { id, guest, host } = intent.step;
  const what = typeof guest === 'string' && typeof host === 'string' ? `${guest} on ${host}` : typeof host === 'string' ? `host ${host}` : 'what it changes';
  return {
    severity: 'error', code: 'recovered', path: id,
    message: `${id} was in flight when apply ${intent.run} stopped, but ${why}, so hvkit cannot tell whether it ran: settle it with that hvkit, or check ${what} by hand, delete inflight["${id}"] from the state at ${location}, then run \`hvkit refresh\` and plan again`,
  };
}

/**
 * Whether the apply that started an intent still runs on this machine. Its
 * lock can be gone while it runs (the database restarted, taking the session
 * and its advisory lock): settling its step then would race it on the
 * hypervisor, so recovery refuses.
 */
function stillRunning(intent: IntentRecord): Diagnostic | undefined {
  const by = intent.by;
  if (!by || processLiveness(by.host, by.pid, by.pidStart) !== 'alive') return undefined;
  return {
    severity: 'error', code: 'apply-running', path: intent.step.id,
    message: `${intent.step.id} is being run by apply pid ${by.pid} on this machine (started ${intent.started}), which still runs: wait for it to finish, or stop it, then plan again`,
  };
}

/** How recovery names the apply that left a step in flight: one on another machine may still run, and hvkit cannot tell. */
function leftBy(intent: IntentRecord): string {
  const by = intent.by;
  if (by && processLiveness(by.host, by.pid, by.pidStart) === 'unknown') {
    return `${intent.step.id} was in flight in apply ${intent.run} (pid ${by.pid} on ${by.host}; hvkit cannot tell whether that apply still runs)`;
  }
  return `${intent.step.id} was in flight when apply ${intent.run} stopped`;
}

function matches(d: ObservedDomain | undefined, step: RecoveryStep): boolean {
  if (!d || !step.after) return false;
  // A guest code wants stopped may be caught between its create and its stop: that still counts, recorded as it runs.
  return d.memoryMiB === step.after.memoryMiB && d.vcpus === step.after.vcpus && (d.running || step.after.power === 'stopped');
}

/**
 * Whether a live update changed what `list` does not report (CPU cap and
 * weight, disk I/O limits): memory and vCPUs as planned do not show that it
 * was done, so it is left to the plan, which sets them again (idempotent).
 */
function unseenLiveChange(state: State, step: RecoveryStep): boolean {
  const rec = step.kind === 'update-live' ? state.guests[step.guest!]?.spec : undefined;
  if (!rec || !step.after) return false;
  const limits = (ds: GuestSpec['disks']) => JSON.stringify(ds.map((x) => [x.iops ?? null, x.mbps ?? null]));
  return rec.cpuCap !== step.after.cpuCap || rec.cpuWeight !== step.after.cpuWeight || limits(rec.disks) !== limits(step.after.disks);
}

/** Records the power state a settled step's guest was found in, where it is not what the step was to leave. */
function notePower(state: State, step: RecoveryStep, d: ObservedDomain | undefined): void {
  const rec = step.guest ? state.guests[step.guest] : undefined;
  const seen = d?.running ? 'running' : 'stopped';
  if (rec && d && seen !== recordedPower(rec)) state.guests[step.guest!] = { ...rec, power: { state: seen, at: new Date().toISOString(), by: 'refresh' } };
}

/**
 * Settles steps a dead apply left in flight by asking the hypervisor what is
 * really there, so no guest is orphaned and none is recorded that does not
 * exist. Returns a reconciled copy of the state (never writes it). A record
 * this hvkit cannot read stays in flight and comes back as an error
 * diagnostic, so apply stops rather than guess.
 * @param location where the state is, named in those errors
 */
export async function recoverInflight(state: State, list: Lister, location: string): Promise<{ state: State; recovered: Recovered[]; diagnostics: Diagnostic[] }> {
  const intents = Object.values(state.inflight).sort((a, b) => (a.step.id < b.step.id ? -1 : 1));
  if (intents.length === 0) return { state, recovered: [], diagnostics: [] };
  const next = structuredClone(state);
  const cache = new Map<string, Promise<ObservedDomain[]>>();
  const domainsOn = (h: HostSpec) => {
    if (!cache.has(h.name)) cache.set(h.name, list(h));
    return cache.get(h.name)!;
  };
  const recovered: Recovered[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const intent of intents) {
    const step = readIntent(intent);
    if ('unreadable' in step) {
      diagnostics.push(unreadable(intent, step.unreadable, location));
      continue;
    }
    const running = stillRunning(intent as IntentRecord);
    if (running) {
      diagnostics.push(running);
      continue;
    }
    delete next.inflight[step.id];
    const said = leftBy(intent as IntentRecord);
    const say = (done: boolean, message: string) => recovered.push({ step: step.id, run: intent.run, done, message: `${said}: ${message}` });
    const find = async (h: HostSpec | undefined) => (h ? (await domainsOn(h)).find((d) => d.name === step.guest) : undefined);
    switch (step.kind) {
      case 'create':
      case 'replace':
      case 'update-restart':
      case 'update-live': {
        const d = await find(step.hostSpec);
        if (matches(d, step) && !unseenLiveChange(next, step)) {
          applyEffect(next, step);
          notePower(next, step, d);
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
      case 'rename': {
        // The provider renames in place: the guest is under its new name (done), its old one (not yet), or gone.
        const old = step.after?.movedFrom ?? undefined;
        const renamed = await find(step.hostSpec);
        const stayed = renamed || !old ? undefined : (await domainsOn(step.hostSpec!)).find((d) => d.name === old);
        if (renamed) {
          applyEffect(next, step);
          say(true, `${step.guest} runs on ${step.host} under its new name; recorded`);
        } else if (stayed) say(false, `${old} is still on ${step.host} under its old name; the plan renames it`);
        else {
          if (old) delete next.guests[old];
          say(false, `neither ${old} nor ${step.guest} is on ${step.host}; recorded as missing, the plan creates ${step.guest}`);
        }
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
      case 'start':
      case 'stop': {
        const d = await find(step.hostSpec);
        if (d && d.running === (step.kind === 'start')) {
          applyEffect(next, step);
          say(true, `${step.guest} on ${step.host} is ${d.running ? 'running' : 'shut off'} as planned; recorded`);
        } else say(false, d ? `${step.guest} on ${step.host} is not ${step.kind === 'start' ? 'running' : 'shut off'} yet; the plan repeats it` : `${step.guest} is not on ${step.host}; the plan decides again`);
        break;
      }
      case 'add-host':
      case 'upgrade-memory':
      case 'update-host':
      case 'update-record':
      case 'retire-host':
        say(false, 'it changes nothing on the hypervisor; the plan repeats it');
        break;
      default:
        assertNever(step.kind, 'step kind');
    }
  }
  return { state: next, recovered, diagnostics };
}
