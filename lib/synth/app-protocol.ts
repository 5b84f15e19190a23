import type { Problem } from '../errors';
import type { Manifest } from '../manifest/types';

/**
 * How the hvkit CLI (lib/synth/run-app.ts) and the App in a fleet app
 * (lib/constructs/app.ts) talk. Kept free of cdktf so the CLI can use it.
 */
export const MANIFEST_FILE = 'hvkit.manifest.json';
/** `full` (Terraform JSON too) or `manifest` (manifests only). */
export const ENV_MODE = 'HVKIT_SYNTH_MODE';
/** Where a manifest-only run writes its manifests. */
export const ENV_MANIFEST_DIR = 'HVKIT_MANIFEST_DIR';
/** Where a child-process app reports validation problems, as JSON. */
export const ENV_ERRORS_FILE = 'HVKIT_ERRORS_FILE';
/** Where manifests go when the CLI builds the app inside its own process. */
export const MANIFEST_SINK = Symbol.for('hvkit.manifestSink');

export interface ManifestSink {
  manifests: Manifest[];
  problems: Problem[];
}
