import type { ChangeReason, ReasonCode } from '../../lib/plan/types';

/** One reason of every code, with the detail a plan of the seed fleet would give it. */
export const SAMPLE_REASONS: { [C in ReasonCode]: Extract<ChangeReason, { code: C }> } = {
  'new-guest': { code: 'new-guest', detail: {} },
  'removed-from-code': { code: 'removed-from-code', detail: {} },
  'moves-host': { code: 'moves-host', detail: { from: 'web-host-01', to: 'web-host-02' } },
  'cannot-update': { code: 'cannot-update', detail: { causes: [{ kind: 'disk-shrinks', disk: 0, fromMiB: 20480, toMiB: 10240 }] } },
  'cannot-migrate': { code: 'cannot-migrate', detail: { from: 'web-host-01', to: 'web-host-02', causes: [{ kind: 'disk-moved', disk: 0, from: 'sda', to: 'sdb' }] } },
  'live-update': { code: 'live-update', detail: { changes: [{ field: 'memoryMiB', from: 3584, to: 5632 }, { field: 'vcpus', from: 2, to: 3 }] } },
  'restart-update': { code: 'restart-update', detail: { fields: ['maxMemoryMiB', 'nics'] } },
  'config-changed': { code: 'config-changed', detail: {} },
  'record-only': { code: 'record-only', detail: { fields: ['load', 'role'] } },
  'rebuild-requested': { code: 'rebuild-requested', detail: { host: 'web-host-01', config: 'same' } },
  'rebuild-forced': { code: 'rebuild-forced', detail: { host: 'web-host-01', to: 'spare-host-01', config: 'changed' } },
  'moved-outside-hvkit': { code: 'moved-outside-hvkit', detail: { guest: 'web-01', from: 'web-host-01', to: 'web-host-02' } },
  'replace-requested': { code: 'replace-requested', detail: {} },
  power: { code: 'power', detail: { from: 'running', to: 'stopped' } },
  'new-host': { code: 'new-host', detail: {} },
  'host-retired': { code: 'host-retired', detail: {} },
  'memory-upgrade': { code: 'memory-upgrade', detail: { dimmsBeforeMiB: [1024, 1024, 1024, 1024], dimmsAfterMiB: [2048, 2048, 2048, 2048], totalBeforeMiB: 4096, totalAfterMiB: 8192 } },
  'memory-downgrade': { code: 'memory-downgrade', detail: { dimmsBeforeMiB: [2048, 2048, 2048, 2048], dimmsAfterMiB: [2048, 2048], totalBeforeMiB: 8192, totalAfterMiB: 4096 } },
  'host-record-only': { code: 'host-record-only', detail: { fields: ['tags'] } },
  renamed: { code: 'renamed', detail: { from: 'web-02', to: 'web-03', stops: false } },
  rebalance: {
    code: 'rebalance',
    detail: { from: 'web-host-02', to: 'web-host-01', gain: { code: 'empties-host', detail: { host: 'web-host-02', hostsInUse: { before: 3, after: 2 }, stranded: { before: 1.25, after: 0.8 } } } },
  },
  noop: { code: 'noop', detail: {} },
};
