import { assertNever } from '../errors';
import type { Change, Plan } from '../plan/types';

type TfAction = 'no-op' | 'create' | 'update' | 'delete';

function actionsOf(c: Change): TfAction[] {
  if (c.kind === 'host') {
    const action = c.action;
    switch (action) {
      case 'add': return ['create'];
      case 'upgrade-memory':
      case 'update': return ['update'];
      case 'retire': return ['delete'];
      case 'noop': return ['no-op'];
      default: return assertNever(action, 'host action');
    }
  }
  const action = c.action;
  switch (action) {
    case 'create': return ['create'];
    case 'update':
    case 'migrate': return ['update'];
    case 'replace': return ['delete', 'create'];
    case 'delete': return ['delete'];
    case 'noop': return ['no-op'];
    default: return assertNever(action, 'guest action');
  }
}

/**
 * The plan in the shape of `terraform show -json` (format_version,
 * resource_changes[].change.actions, before, after) so plan tooling can read
 * it; hvkit's own data lives under the one extra key `hvkit`.
 */
export function renderJson(plan: Plan, resourceType: string): string {
  const resource_changes = plan.changes.map((c) => {
    const name = `${c.kind}_${c.name}`;
    return {
      address: `${resourceType}.${name}`,
      mode: 'managed',
      type: resourceType,
      name,
      provider_name: resourceType === 'terraform_data' ? 'terraform.io/builtin/terraform' : 'registry.terraform.io/hashicorp/null',
      change: {
        actions: actionsOf(c),
        before: c.before,
        after: c.after,
        after_unknown: {},
        before_sensitive: false,
        after_sensitive: false,
      },
      ...(c.kind === 'guest' && c.action === 'replace' ? { action_reason: 'replace_because_cannot_update' } : {}),
      hvkit: { action: c.action, reason: c.reason, construct_path: c.address, ...(c.kind === 'guest' ? { restart: c.restart } : {}) },
    };
  });
  const doc = {
    format_version: '1.2',
    applyable: plan.applyable,
    complete: true,
    errored: false,
    resource_changes,
    hvkit: {
      formatVersion: plan.formatVersion,
      fleet: plan.fleet,
      stateLineage: plan.stateLineage,
      stateSerial: plan.stateSerial,
      manifestDigest: plan.manifestDigest,
      fit: plan.fit,
      steps: plan.steps.map((s) => ({ id: s.id, kind: s.kind, host: s.host, target: s.target, guest: s.guest, dependsOn: s.dependsOn, description: s.description })),
      diagnostics: plan.diagnostics,
      drift: plan.drift,
      recovered: plan.recovered,
    },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
