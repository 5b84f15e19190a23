/**
 * hvkit: describe homemade hypervisor hosts and their guests as constructs.
 *
 * ```ts
 * import { App, Fleet, Host, Guest } from 'hvkit';
 * ```
 */
export { App, Fleet, Guest, Host, HostGroup, MANIFEST_FILE, Testing } from './constructs/index';
export type * from './manifest/props';
export type { CapacityConfig, GuestSpec, HostSpec, Manifest, ProviderName, GuestMode, DiskKind } from './manifest/types';
export { parseSize, formatSize, type Size } from './manifest/size';
export { buildManifest } from './manifest/build';
export { DEFAULT_CAPACITY } from './manifest/defaults';
export { HvkitError, ValidationError } from './errors';
