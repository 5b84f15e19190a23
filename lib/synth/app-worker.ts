import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { checkManifestObject } from '../manifest/load';
import type { AppOutcome } from './app-outcome';
import type { UserPosition } from './app-position';
import { ENV_MODE, errorData, SESSION_KEY, SESSION_VERSION, type AppEvent, type ErrorData, type SessionMessage } from './app-protocol';

/** What a synthesis worker said, and how it ended. */
interface WorkerRun {
  readonly messages: readonly SessionMessage[];
  readonly exitCode: number;
  /** An error thrown outside the app's module (in a callback), as the worker reported it. */
  readonly uncaught?: unknown;
}

/**
 * Runs an app bundle (lib/synth/app-bundle.ts) in a worker thread: no second
 * node, no manifest written and read back, and nothing of the CLI's process
 * changed. The worker has its own environment (CDKTF_OUTDIR and the mode
 * among it) and argv; its `process.exit` ends the worker only. It shares the
 * CLI's working directory, which must be the project folder for the app's
 * relative paths to mean what they mean under tsx.
 */
export async function runInWorker(bundle: string, name: string, env: NodeJS.ProcessEnv, position?: UserPosition): Promise<AppOutcome> {
  // Other stacks of a cdktf App still write Terraform JSON: keep it out of the project's cdktf.out.
  const outdir = mkdtempSync(join(tmpdir(), 'hvkit-out-'));
  try {
    const worker = new Worker(bundle, {
      env: definedOnly({ ...env, CDKTF_OUTDIR: outdir, [ENV_MODE]: 'manifest' }),
      argv: [],
      workerData: { [SESSION_KEY]: SESSION_VERSION },
      stdout: true,
    });
    // hvkit's stdout carries its own output only (a plan, JSON lines): what the app prints goes to stderr.
    worker.stdout.pipe(process.stderr, { end: false });
    const run = await runWorker(worker);
    return outcomeOf(name, run, position);
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** The worker's messages until it exits; stopped once the app's module has run, so a timer it left cannot hold hvkit. */
function runWorker(worker: Worker): Promise<WorkerRun> {
  return new Promise((resolve) => {
    const messages: SessionMessage[] = [];
    let uncaught: unknown;
    worker.on('message', (m: SessionMessage) => {
      messages.push(m);
      if (m.kind === 'ended' || m.kind === 'failed') void worker.terminate();
    });
    worker.on('error', (e) => {
      uncaught = e;
    });
    // Node delivers every message a worker posted before it emits 'exit'.
    worker.once('exit', (exitCode) => resolve({ messages, exitCode, uncaught }));
  });
}

/** How the run ended, in the terms the child-process path uses too; `position` finds the user's line that threw. */
export function outcomeOf(name: string, run: WorkerRun, position?: UserPosition): AppOutcome {
  const events: AppEvent[] = [];
  const manifests: Extract<SessionMessage, { kind: 'manifest' }>[] = [];
  let ended = false;
  let thrown: ErrorData | undefined;
  for (const m of run.messages) {
    switch (m.kind) {
      case 'manifest':
        manifests.push(m);
        break;
      case 'ended':
        ended = true;
        break;
      case 'failed':
        thrown = m.error;
        break;
      default:
        events.push(m);
    }
  }
  // A ValidationError the app's hvkit threw without reporting it (a manifest() call of the app's own).
  if (thrown?.problems?.length && !events.some((e) => e.kind === 'problems')) events.push({ kind: 'problems', problems: thrown.problems });
  if (run.uncaught !== undefined) thrown ??= errorData(run.uncaught);
  const failure = thrown ? oneLine(thrown) : !ended && run.exitCode !== 0 ? `it called process.exit(${run.exitCode})` : undefined;
  if (thrown?.code === WORKER_UNSUPPORTED || /is not supported in workers/.test(thrown?.message ?? '')) return { app: name, events: [], manifests: [], failure, needsProcess: true };
  // Same checks as a manifest read from disk: the app may run another hvkit version.
  const at = thrown ? position?.of(thrown.stack) : undefined;
  return { app: name, events, manifests: failure === undefined ? manifests.map((m) => checkManifestObject(`fleet ${m.fleet}`, JSON.parse(m.json), m.heldToSchema)) : [], failure, ...(at ? { at } : {}) };
}

const WORKER_UNSUPPORTED = 'ERR_WORKER_UNSUPPORTED_OPERATION';

/** An error on one line; as the child-process path says it, a plain Error's name adds nothing. */
function oneLine(e: ErrorData): string {
  const message = e.message.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  return e.name !== 'Error' ? `${e.name}: ${message}` : message;
}

/** A worker's environment takes strings only: an unset variable would become "undefined". */
function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined));
}
