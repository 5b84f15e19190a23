import { describe, expect, it } from 'vitest';
import { createPlan } from '../../lib/plan/planner';
import type { ReasonCode } from '../../lib/plan/types';
import { actionReasonOf, renderJson, type ActionReason } from '../../lib/render/json';
import { WEB_HOST_8G, manifestOf, stateOf, web } from '../helpers/fleet';
import { SAMPLE_REASONS } from '../helpers/reasons';

// Terraform's own values (internal/command/jsonplan); codes with no twin leave action_reason out.
const TERRAFORM: Record<ReasonCode, ActionReason | undefined> = {
  'new-guest': undefined,
  'removed-from-code': 'delete_because_no_resource_config',
  'moves-host': undefined,
  'cannot-update': 'replace_because_cannot_update',
  'cannot-migrate': 'replace_because_cannot_update',
  'live-update': undefined,
  'restart-update': undefined,
  'config-changed': undefined,
  'record-only': undefined,
  'rebuild-requested': 'replace_by_request',
  'rebuild-forced': 'replace_by_request',
  'moved-outside-hvkit': undefined,
  'replace-requested': 'replace_by_request',
  power: undefined,
  'new-host': undefined,
  'host-retired': 'delete_because_no_resource_config',
  'memory-upgrade': undefined,
  'memory-downgrade': undefined,
  'host-record-only': undefined,
  renamed: undefined,
  rebalance: undefined,
  noop: undefined,
};

describe('renderJson: reasons', () => {
  it.each(Object.entries(TERRAFORM) as [ReasonCode, ActionReason | undefined][])('maps %s to Terraform action_reason %s', (code, expected) => {
    expect(actionReasonOf(SAMPLE_REASONS[code])).toBe(expected);
  });

  it('puts a disk-shrink replace under action_reason and its cause, as data, under hvkit', () => {
    const m = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB') } } });
    const shrunk = manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('3.5GiB', { disks: [{ size: '10GiB', on: 'sda' }] }) } } });
    const doc = JSON.parse(renderJson(createPlan({ manifest: shrunk, state: stateOf(m) }), 'null_resource', { timestamp: new Date(0) }));
    const web01 = doc.resource_changes.find((c: { address: string }) => c.address === 'null_resource.guest_web-01');
    expect(web01.action_reason).toBe('replace_because_cannot_update');
    expect(web01.hvkit.reason).toEqual({ code: 'cannot-update', detail: { causes: [{ kind: 'disk-shrinks', disk: 0, fromMiB: 20480, toMiB: 10240 }] } });
    const host = doc.resource_changes.find((c: { address: string }) => c.address === 'null_resource.host_h');
    expect(host).not.toHaveProperty('action_reason');
    expect(host.hvkit.reason).toEqual({ code: 'noop', detail: {} });
  });
});
