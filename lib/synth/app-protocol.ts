import { appendFileSync } from 'node:fs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { isHvkitError, isValidationError, type Problem } from '../errors';

/**
 * How the hvkit CLI (lib/synth/run-app.ts) and the Fleets in a fleet app
 * (lib/constructs/fleet.ts) talk. Kept free of cdktf so the CLI can use it.
 * The app runs either in a child process (environment variables and files)
 * or in a synthesis worker of the CLI (messages to the CLI's thread).
 */
export const MANIFEST_FILE = 'hvkit.manifest.json';
/** `full` (Terraform JSON too) or `manifest` (manifests only). */
export const ENV_MODE = 'HVKIT_SYNTH_MODE';
/** Where a child-process app writes the manifests the CLI reads back. */
export const ENV_MANIFEST_DIR = 'HVKIT_MANIFEST_DIR';
/** Where a child-process app appends its {@link AppEvent}s, one JSON document a line. */
export const ENV_REPORT_FILE = 'HVKIT_REPORT_FILE';
/** The key of a synthesis worker's `workerData`; its value is {@link SESSION_VERSION}. */
export const SESSION_KEY = 'hvkit.synthesisSession';
/** Raised when a message changes shape, so a worker of another hvkit is not misread. */
export const SESSION_VERSION = 1;

/** What a fleet app tells the CLI besides its manifests. */
export type AppEvent =
  /** Validation problems of every fleet in the app, found when it synthesized. */
  | { readonly kind: 'problems'; readonly problems: readonly Problem[] }
  /** A fleet synthesized; `out` is the folder its cdk.tf.json went to (full mode). */
  | { readonly kind: 'synthesized'; readonly fleet: string; readonly out?: string }
  /** A fleet was created (so the CLI can tell an app that never calls app.synth()). */
  | { readonly kind: 'created'; readonly fleet: string; readonly path: string };

/**
 * An error thrown in a synthesis worker, as data: errors are structured-cloned
 * across the worker boundary, which keeps neither their class nor their brand.
 */
export interface ErrorData {
  readonly name: string;
  readonly message: string;
  /** A ValidationError's problems (of any copy of hvkit: recognised by its brand). */
  readonly problems?: readonly Problem[];
  /** Node's error code (`ERR_WORKER_UNSUPPORTED_OPERATION` tells the app needs a process of its own). */
  readonly code?: string;
  /** Its stack trace, from which the CLI takes the app's line that threw (never shown whole). */
  readonly stack?: string;
}

/** What a synthesis worker posts to the CLI, in order; `ended` or `failed` comes last. */
export type SessionMessage =
  | AppEvent
  /**
   * A fleet's manifest as JSON text, in place of the file a child-process app
   * writes: a string crosses to the CLI's thread as one copy, where a
   * structured clone of a 10,000-guest object tree costs three times the parse.
   * `heldToSchema`: buildManifest made it, so the CLI need not validate it again.
   */
  | { readonly kind: 'manifest'; readonly fleet: string; readonly json: string; readonly heldToSchema: boolean }
  /** The app's module ran to its end. */
  | { readonly kind: 'ended' }
  /** The app threw. */
  | { readonly kind: 'failed'; readonly error: ErrorData };

/** The port to the CLI when this thread is a synthesis worker; undefined otherwise. */
function sessionPort(): { postMessage(m: SessionMessage): void } | undefined {
  const data = workerData as Record<string, unknown> | null | undefined;
  return !isMainThread && parentPort && data?.[SESSION_KEY] === SESSION_VERSION ? parentPort : undefined;
}

/** True when this thread is the CLI's synthesis worker. */
export function inSession(): boolean {
  return sessionPort() !== undefined;
}

/** Sends a message to the CLI; false when this thread is no synthesis worker. */
export function post(message: SessionMessage): boolean {
  const port = sessionPort();
  port?.postMessage(message);
  return port !== undefined;
}

/** `e` as data to post: its class's name, its message, and a ValidationError's problems. */
export function errorData(e: unknown): ErrorData {
  if (isValidationError(e)) return { name: e.name, message: e.message, problems: e.problems.map((p) => ({ path: String(p.path), message: String(p.message) })) };
  if (e instanceof Error || isHvkitError(e)) {
    const { code, stack } = e as { code?: unknown; stack?: unknown };
    return { name: String(e.name), message: String(e.message), ...(typeof code === 'string' ? { code } : {}), ...(typeof stack === 'string' ? { stack } : {}) };
  }
  return { name: 'Error', message: String(e) };
}

/** True when the CLI wants manifests only: Terraform JSON is not built at all. */
export function manifestOnly(): boolean {
  return process.env[ENV_MODE] === 'manifest';
}

/** Tells the CLI, through the worker's port or the report file; a no-op without the CLI. */
export function report(event: AppEvent): void {
  if (post(event)) return;
  const file = process.env[ENV_REPORT_FILE];
  if (file) appendFileSync(file, `${JSON.stringify(event)}\n`);
}
