import { createRequire } from 'node:module';
import { DataResource, type TerraformResource } from 'cdktf';
import type { Construct } from 'constructs';
import { digestOf } from '../manifest/canonical';
import { resourceName } from '../manifest/resource-address';
import type { GuestSpec, HostSpec, Manifest } from '../manifest/types';

const require = createRequire(import.meta.url);

/** Relative from `cdktf.out/stacks/<fleet>/`, where Terraform runs, to the project. */
const TO_PROJECT = '${path.module}/../../..';

function script(provider: string, verb: string): string {
  return `${TO_PROJECT}/providers/${provider}/${verb}`;
}

/**
 * Adds one resource per host and per guest to the fleet stack. Guests carry a
 * digest of their spec in their triggers and call the provider scripts with an
 * argument vector (Terraform's `interpreter`), never a shell string.
 */
export function addTerraformResources(stack: Construct, manifest: Manifest): void {
  const useData = manifest.resourceType === 'terraform_data';
  // provider-null is large; load it only when a null_resource synth needs it.
  const nullp = useData ? undefined : require('@cdktf/provider-null');
  if (nullp) new nullp.provider.NullProvider(stack, 'null');
  const hostRes = new Map<string, TerraformResource>();
  const make = (id: string, triggers: Record<string, string>, provisionerList: unknown[], dependsOnList: TerraformResource[]): TerraformResource => {
    // Terraform refuses an empty provisioner list; leave empty lists out.
    const provisioners = provisionerList.length ? provisionerList : undefined;
    const dependsOn = dependsOnList.length ? dependsOnList : undefined;
    const r: TerraformResource = useData
      ? new DataResource(stack, id, { triggersReplace: triggers, provisioners: provisioners as never, dependsOn })
      : new nullp.resource.Resource(stack, id, { triggers, provisioners, dependsOn });
    r.overrideLogicalId(id);
    return r;
  };
  for (const h of manifest.hosts) {
    hostRes.set(h.name, make(resourceName('host', h.name), hostTriggers(h), [], []));
  }
  for (const g of manifest.guests) {
    const host = manifest.hosts.find((h) => h.name === g.host)!;
    const args = ['--manifest', 'hvkit.manifest.json', '--guest'];
    const r = make(resourceName('guest', g.name), guestTriggers(g), [
      { type: 'local-exec', interpreter: [script(host.provider, 'create'), ...args], command: g.name },
      { type: 'local-exec', when: 'destroy', interpreter: [script(host.provider, 'destroy'), ...args], command: g.name },
    ], [hostRes.get(g.host)!]);
    // Terraform's own check, so a run under Terraform cannot lose a protected guest's disks either.
    if (g.lifecycle.preventDestroy) r.addOverride('lifecycle.prevent_destroy', true);
  }
  // Guests hvkit places: no host resource to depend on, the provider is their placement's;
  // `hvkit provider-input` places them on the code alone when Terraform runs them.
  for (const g of manifest.unplaced ?? []) {
    const args = ['--manifest', 'hvkit.manifest.json', '--guest'];
    const r = make(resourceName('guest', g.name), guestTriggers(g), [
      { type: 'local-exec', interpreter: [script(g.placement.provider, 'create'), ...args], command: g.name },
      { type: 'local-exec', when: 'destroy', interpreter: [script(g.placement.provider, 'destroy'), ...args], command: g.name },
    ], []);
    if (g.lifecycle.preventDestroy) r.addOverride('lifecycle.prevent_destroy', true);
  }
}

function hostTriggers(h: HostSpec): Record<string, string> {
  return { host: h.name, provider: h.provider, digest: digestOf(h) };
}

function guestTriggers(g: GuestSpec): Record<string, string> {
  // Without the lifecycle and movedFrom: neither reaches the hypervisor, so toggling one must not replace the resource,
  // and a digest with them would re-create every guest written before they existed.
  const { lifecycle: _, movedFrom: _from, ...spec } = g;
  return { guest: g.name, host: g.host, digest: digestOf(spec) };
}
