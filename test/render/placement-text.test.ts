import { describe, expect, it } from 'vitest';
import type { PlacementDecision } from '../../lib/plan/types';
import { placementLine } from '../../lib/render/placement-text';

const why = (over: Partial<PlacementDecision['why']> = {}): PlacementDecision['why'] => ({
  sticky: false, inUse: true, uses: ['cpu', 'iops'], softCrossed: [], candidates: 1,
  after: { memory: 0.912, vcpus: 0.2, disk: 0.3, cpu: 0.4, iops: 0.1, network: 0 }, ...over,
});
const decision = (over: Partial<PlacementDecision>): PlacementDecision => ({ guest: 'web-09', path: 'tokyo/web-09', code: 'placed', host: 'db-host-01', why: why(), ...over });

describe('placementLine', () => {
  it("says where a new guest goes and why, as the chapter does: 'uses idle CPU and I/O; memory after 91%'", () => {
    expect(placementLine(decision({}))).toBe('placed on db-host-01: uses idle CPU and I/O; memory after 91%');
  });

  it('names how many hosts could take it, an empty host it starts, and soft limits it had to cross', () => {
    expect(placementLine(decision({ why: why({ uses: [], inUse: false, candidates: 3, softCrossed: ['cpu-load'] }) }))).toBe(
      'placed on db-host-01: starts a host that ran no guest; crosses the soft limit cpu-load (no host could take it without); memory after 91%; best of 3 hosts that fit it',
    );
  });

  it('says nothing for a guest kept on its host (a re-plan that moves nothing stays quiet)', () => {
    expect(placementLine(decision({ code: 'kept', why: why({ sticky: true }) }))).toBeUndefined();
  });

  it('says why a guest leaves its recorded host', () => {
    const moved = (cause: NonNullable<PlacementDecision['from']>['cause']) => placementLine(decision({ code: 're-placed', host: 'web-host-02', from: { host: 'db-host-01', cause }, why: why({ uses: [] }) }));
    expect(moved({ code: 'no-longer-fits', short: [{ resource: 'memory', need: 1024, free: 512 }] })).toBe('re-placed on web-host-02: db-host-01 can no longer take it (needs 1GiB memory, db-host-01 has 0.5GiB free); memory after 91%');
    expect(moved({ code: 'host-gone' })).toBe('re-placed on web-host-02: db-host-01 is no longer in code; memory after 91%');
    expect(moved({ code: 'not-selected' })).toBe("re-placed on web-host-02: db-host-01 no longer has the guest's provider and selected tags; memory after 91%");
    expect(moved({ code: 'no-longer-fits', short: [{ resource: 'anti-affinity', need: 0, free: 0, detail: 'db' }] })).toBe('re-placed on web-host-02: db-host-01 can no longer take it (db-host-01 already runs a guest of anti-affinity group db); memory after 91%');
  });
});
