import { describe, expect, it } from 'vitest';
import { reasonText, type ReplaceCause } from '../../lib/plan/reason';
import type { ReasonCode } from '../../lib/plan/types';
import { SAMPLE_REASONS } from '../helpers/reasons';

// The words hvkit showed when reasons were text; plans, steps and PR comments must read the same.
const WORDS: Record<ReasonCode, string> = {
  'new-guest': 'new guest',
  'removed-from-code': 'no longer in code',
  'moves-host': 'moves web-host-01 → web-host-02',
  'cannot-update': 'disk 0 shrinks 20GiB → 10GiB (images cannot shrink safely)',
  'cannot-migrate': 'cannot migrate web-host-01 → web-host-02 with its data (a live migration carries each disk unchanged to the same host disk and path): disk 0 moves from host disk sda to sdb; so destroyed on web-host-01 and created again on web-host-02',
  'live-update': 'memory 3.5GiB → 5.5GiB, vcpus 2 → 3 while running',
  'restart-update': 'maxMemory, nics changed: needs a restart',
  'config-changed': 'rendered config changed: needs a restart',
  'record-only': 'load, role (state only, no hypervisor change)',
  'rebuild-requested': 'rebuild; config byte-identical to the one last applied',
  'rebuild-forced': 'rebuild on spare-host-01: web-host-01 is up: forced, recreated from code, then its copy on web-host-01 destroyed; config differs from the one last applied: code changed since (diff below)',
  'moved-outside-hvkit': 'web-01 runs on web-host-02 (moved outside hvkit), where code places it: recorded there',
  'replace-requested': 'replace requested (--replace)',
  power: 'power running → stopped: shut down (disks and memory reservation kept)',
  'new-host': 'new host',
  'host-retired': 'no longer in code',
  'memory-upgrade': "memory upgrade: 4×1GiB → 4×2GiB (4GiB → 8GiB); a person fits the DIMMs, apply checks the host's real memory",
  'memory-downgrade': 'memory downgrade: 4×2GiB → 2×2GiB (8GiB → 4GiB); guests shrink or leave first, a person takes the DIMMs out, apply checks the host reports exactly 4GiB',
  'host-record-only': 'tags (state only)',
  renamed: 'renamed from web-02 (movedFrom): same domain, UUID, MACs and disks',
  rebalance: 'rebalance: moves web-host-02 → web-host-01 to empty web-host-02 (hosts in use 3 → 2, stranded capacity 1.25 → 0.80)',
  noop: '',
};

describe('reasonText', () => {
  it.each(Object.entries(WORDS) as [ReasonCode, string][])('says %s in the words plans have always used', (code, words) => {
    expect(reasonText(SAMPLE_REASONS[code])).toBe(words);
  });

  it('says where a rebuild onto another host goes, and that its host is down', () => {
    expect(reasonText({ code: 'rebuild-requested', detail: { host: 'web-host-01', to: 'spare-host-01', config: 'changed' } }))
      .toBe('rebuild on spare-host-01: web-host-01 is down, so recreated from code, not migrated; config differs from the one last applied: code changed since (diff below)');
  });

  it('says a libvirt rename restarts the guest, and what is changed on top of the rename', () => {
    expect(reasonText({ code: 'renamed', detail: { from: 'web-02', to: 'web-03', stops: true, then: SAMPLE_REASONS['live-update'] } }))
      .toBe('renamed from web-02 (movedFrom): same domain, UUID, MACs and disks; its provider renames only a stopped domain, so it shuts down and starts again; then memory 3.5GiB → 5.5GiB, vcpus 2 → 3 while running');
  });

  const causes: [ReplaceCause, string][] = [
    [{ kind: 'mode', from: 'pv', to: 'hvm' }, 'mode pv → hvm cannot change on an existing domain'],
    [{ kind: 'uuid' }, 'uuid changed'],
    [{ kind: 'disk-removed', disk: 1, sizeMiB: 20480, on: 'sdb' }, 'disk 1 (20GiB on sdb) removed'],
    [{ kind: 'disk-moved', disk: 0, from: 'sda', to: 'sdb' }, 'disk 0 moves from host disk sda to sdb'],
    [{ kind: 'disk-shrinks', disk: 0, fromMiB: 20480, toMiB: 10240 }, 'disk 0 shrinks 20GiB → 10GiB (images cannot shrink safely)'],
  ];
  it.each(causes)('names the replace cause %j', (cause, words) => {
    expect(reasonText({ code: 'cannot-update', detail: { causes: [cause] } })).toBe(words);
  });

  it('joins several replace causes with semicolons, in the order found', () => {
    expect(reasonText({ code: 'cannot-update', detail: { causes: causes.map(([c]) => c) } })).toBe(causes.map(([, w]) => w).join('; '));
  });
});
