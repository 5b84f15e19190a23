import { appendFileSync } from 'node:fs';
import type { Problem } from '../errors';
import type { Manifest } from '../manifest/types';

/**
 * How the hvkit CLI (lib/synth/run-app.ts) and the Fleets in a fleet app
 * (lib/constructs/fleet.ts) talk. Kept free of cdktf so the CLI can use it.
 */
export const MANIFEST_FILE = 'hvkit.manifest.json';
/** `full` (Terraform JSON too) or `manifest` (manifests only). */
export const ENV_MODE = 'HVKIT_SYNTH_MODE';
/** Where a child-process app writes the manifests the CLI reads back. */
export const ENV_MANIFEST_DIR = 'HVKIT_MANIFEST_DIR';
/** Where a child-process app appends its {@link AppEvent}s, one JSON document a line. */
export const ENV_REPORT_FILE = 'HVKIT_REPORT_FILE';
/** Where manifests go when the CLI builds the app inside its own process. */
export const MANIFEST_SINK = Symbol.for('hvkit.manifestSink');

/** What a fleet app tells the CLI besides its manifests. */
export type AppEvent =
  /** Validation problems of every fleet in the app, found when it synthesized. */
  | { readonly kind: 'problems'; readonly problems: readonly Problem[] }
  /** A fleet synthesized; `out` is the folder its cdk.tf.json went to (full mode). */
  | { readonly kind: 'synthesized'; readonly fleet: string; readonly out?: string }
  /** A fleet was created (so the CLI can tell an app that never calls app.synth()). */
  | { readonly kind: 'created'; readonly fleet: string; readonly path: string };

/** The in-process channel: the CLI sets it on globalThis while it imports the app. */
export interface ManifestSink {
  manifests: Manifest[];
  events: AppEvent[];
}

export function currentSink(): ManifestSink | undefined {
  return (globalThis as Record<symbol, ManifestSink | undefined>)[MANIFEST_SINK];
}

/** True when the CLI wants manifests only: Terraform JSON is not built at all. */
export function manifestOnly(): boolean {
  return currentSink() !== undefined || process.env[ENV_MODE] === 'manifest';
}

/** True when the app runs under the hvkit CLI rather than on its own (or under cdktf's CLI). */
export function underHvkit(): boolean {
  return currentSink() !== undefined || process.env[ENV_REPORT_FILE] !== undefined;
}

/** Tells the CLI, in process or through the report file; a no-op without the CLI. */
export function report(event: AppEvent): void {
  const sink = currentSink();
  if (sink) {
    sink.events.push(event);
    return;
  }
  const file = process.env[ENV_REPORT_FILE];
  if (file) appendFileSync(file, `${JSON.stringify(event)}\n`);
}
