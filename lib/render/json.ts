import { assertNever } from '../errors';
import { resourceName } from '../manifest/resource-address';
import type { Change, ChangeReason, Plan } from '../plan/types';

type TfAction = 'no-op' | 'create' | 'update' | 'delete';

/** Why Terraform would replace or delete a resource: the subset of its closed set hvkit uses. */
export type ActionReason = 'replace_by_request' | 'replace_because_cannot_update' | 'delete_because_no_resource_config';

/**
 * The Terraform release whose `show -json` plan format (1.2) this output
 * follows; tools check `terraform_version` before reading the rest.
 */
export const TERRAFORM_FORMAT_RELEASE = '1.11.0';

export interface JsonRenderOptions {
  /** When the plan was made, as Terraform's `timestamp`. @default now, or SOURCE_DATE_EPOCH when the caller reads it */
  readonly timestamp?: Date;
}

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
    // A moved resource Terraform also replaces shows both, with its previous_address.
    case 'rename': return c.reason.code === 'renamed' && (c.reason.detail.then?.code === 'cannot-update' || c.reason.detail.then?.code === 'replace-requested') ? ['delete', 'create'] : ['update'];
    case 'replace': return ['delete', 'create'];
    case 'delete': return ['delete'];
    case 'noop': return ['no-op'];
    default: return assertNever(action, 'guest action');
  }
}

/** Terraform's `action_reason` for a reason code; undefined for the codes Terraform has no twin of (it then omits the key). */
export function actionReasonOf(r: ChangeReason): ActionReason | undefined {
  switch (r.code) {
    case 'cannot-update':
    case 'cannot-migrate': return 'replace_because_cannot_update';
    case 'rebuild-requested':
    case 'rebuild-forced':
    case 'replace-requested': return 'replace_by_request';
    case 'renamed': return r.detail.then && actionReasonOf(r.detail.then);
    case 'removed-from-code':
    case 'host-retired': return 'delete_because_no_resource_config';
    case 'new-guest':
    case 'new-host':
    case 'moves-host':
    case 'rebalance':
    case 'live-update':
    case 'restart-update':
    case 'config-changed':
    case 'record-only':
    case 'host-record-only':
    case 'moved-outside-hvkit':
    case 'power':
    case 'memory-upgrade':
    case 'memory-downgrade':
    case 'noop': return undefined;
    default: return assertNever(r, 'change reason');
  }
}

/** The provider a resource type belongs to: its configuration key (Terraform's `implied_provider`) and full source address. */
export function providerOf(resourceType: string): { key: string; full: string } {
  return resourceType === 'terraform_data' ? { key: 'terraform', full: 'terraform.io/builtin/terraform' } : { key: 'null', full: 'registry.terraform.io/hashicorp/null' };
}

/**
 * The Terraform resource a guest or host is in `resource_changes` (and so in
 * the generated Terraform): one resource per guest and per host, named by kind
 * so a guest and a host of the same name do not collide.
 */
export function resourceOf(resourceType: string, kind: Change['kind'], name: string): { address: string; mode: 'managed'; type: string; name: string } {
  const resource = resourceName(kind, name);
  return { address: `${resourceType}.${resource}`, mode: 'managed', type: resourceType, name: resource };
}

/**
 * The plan in the shape of `terraform show -json`: every top-level field
 * Terraform 1.x writes (format_version, terraform_version, planned_values,
 * resource_changes, configuration, timestamp, applyable, complete, errored;
 * prior_state once there is state), so plan tooling can read it. hvkit's own
 * data lives under the one extra key `hvkit`.
 */
export function renderJson(plan: Plan, resourceType: string, opts: JsonRenderOptions = {}): string {
  const provider = providerOf(resourceType);
  const resource = (c: Change) => resourceOf(resourceType, c.kind, c.name);
  const values = (c: Change, v: unknown) => ({ ...resource(c), provider_name: provider.full, schema_version: 0, values: v, sensitive_values: {} });
  const resource_changes = plan.changes.map((c) => {
    const reason = actionReasonOf(c.reason);
    // Terraform's moved resources name where they were; a rename is one (`movedFrom`).
    const previous = c.kind === 'guest' && c.action === 'rename' ? resourceOf(resourceType, 'guest', c.before!.name).address : undefined;
    return {
      ...resource(c),
      ...(previous ? { previous_address: previous } : {}),
      provider_name: provider.full,
      change: {
        actions: actionsOf(c),
        before: c.before,
        after: c.after,
        after_unknown: {},
        before_sensitive: false,
        after_sensitive: false,
      },
      ...(reason ? { action_reason: reason } : {}),
      hvkit: {
        action: c.action, reason: c.reason, construct_path: c.address,
        ...(c.kind === 'guest' ? { restart: c.restart } : {}),
        ...(c.kind === 'guest' && c.shutdown ? { shutdown: true } : {}),
        ...(c.kind === 'guest' && c.dataLoss ? { data_loss: c.dataLoss } : {}),
      },
    };
  });
  const errored = !plan.applyable;
  // A plan made while another apply runs shows the state as it was, so it is not the whole story.
  // As Terraform's: a --target plan leaves changes out, so applying it does not converge.
  const complete = !errored && !plan.targets && !plan.diagnostics.some((d) => d.code === 'apply-running');
  const inCode = plan.changes.filter((c) => c.after !== null);
  const doc = {
    format_version: '1.2',
    terraform_version: TERRAFORM_FORMAT_RELEASE,
    planned_values: { root_module: { resources: inCode.map((c) => values(c, c.after)) } },
    resource_changes,
    ...(plan.stateLineage !== null ? {
      prior_state: {
        format_version: '1.0',
        terraform_version: TERRAFORM_FORMAT_RELEASE,
        values: { root_module: { resources: plan.changes.filter((c) => c.before !== null).map((c) => values(c, c.before)) } },
      },
    } : {}),
    configuration: {
      provider_config: { [provider.key]: { name: provider.key, full_name: provider.full } },
      root_module: { resources: inCode.map((c) => ({ ...resource(c), provider_config_key: provider.key, expressions: {}, schema_version: 0 })) },
    },
    timestamp: (opts.timestamp ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    // Terraform's applyable: no errors and something to do.
    applyable: plan.applyable && plan.steps.length > 0,
    complete,
    errored,
    hvkit: {
      formatVersion: plan.formatVersion,
      fleet: plan.fleet,
      stateLineage: plan.stateLineage,
      stateSerial: plan.stateSerial,
      manifestDigest: plan.manifestDigest,
      fit: plan.fit,
      steps: plan.steps.map((s) => ({ id: s.id, kind: s.kind, host: s.host, target: s.target, guest: s.guest, dependsOn: s.dependsOn, ...(s.then ? { then: s.then } : {}), description: s.description })),
      diagnostics: plan.diagnostics,
      drift: plan.drift,
      recovered: plan.recovered,
      ...(plan.targets ? { targets: plan.targets } : {}),
      ...(plan.placements ? { placements: plan.placements } : {}),
      ...(plan.rebalance ? { rebalance: plan.rebalance } : {}),
      ...(plan.measured ? { measured: plan.measured } : {}),
    },
  };
  return JSON.stringify(doc, null, 2) + '\n';
}
