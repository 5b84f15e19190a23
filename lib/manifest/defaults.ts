import type { CapacityConfig } from './types';

/** The capacity model's defaults (docs/design.md); every one can be set per fleet and per host. */
export const DEFAULT_CAPACITY: Readonly<CapacityConfig> = Object.freeze({
  cpuOvercommit: 4,
  overheadPerVcpuMiB: 1,
  overheadMemoryDivisor: 128,
  overheadHvmMiB: 1,
  cpuVirtLoss: 0.03,
  ioVirtLoss: 0.05,
  netVirtFactor: 0.5,
  softHeadroom: 0.8,
  softLimitsAreErrors: false,
  strandedBusy: 0.85,
  strandedIdle: 0.3,
});

/** Memory held back on each host for dom0 / the host OS (the seed: 4 GB host, 3.5 GB guest). */
export const DEFAULT_RESERVE_MIB = 512;
/** Part of the reserve that absorbs the hypervisor's per-guest overhead before it counts on its own. */
export const DEFAULT_RESERVE_OVERHEAD_MIB = 128;
export const DEFAULT_RESERVE_VCPUS = 0;
