import { LocalBackend, TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { buildManifest } from '../manifest/build';
import type { FleetInput, FleetProps, GuestInput, HostInput } from '../manifest/props';
import type { Manifest } from '../manifest/types';
import { Guest, Host } from './host';
import { addTerraformResources } from './terraform';

const FLEET = Symbol.for('hvkit.Fleet');

/**
 * A fleet of homemade hypervisor hosts: one Terraform stack, one manifest,
 * one state. Hosts are created inside it, guests inside their host.
 */
export class Fleet extends TerraformStack {
  static isFleet(x: unknown): x is Fleet {
    return typeof x === 'object' && x !== null && FLEET in x;
  }
  readonly props: FleetProps;
  private cached?: Manifest;
  private resourcesAdded = false;

  constructor(scope: Construct, id: string, props: FleetProps = {}) {
    super(scope, id);
    Object.defineProperty(this, FLEET, { value: true });
    this.props = props;
    // Relative, so the same code synthesizes the same bytes on every machine.
    new LocalBackend(this, { path: 'terraform.tfstate' });
  }

  get name(): string {
    return this.node.id;
  }

  /** The construct tree as plain data, with problems of its shape. */
  toInput(): FleetInput {
    const treeProblems: { path: string; message: string }[] = [];
    const hosts: HostInput[] = [];
    for (const child of this.node.children) {
      if (Host.isHost(child)) {
        const guests: GuestInput[] = [];
        for (const gc of child.node.children) {
          if (Guest.isGuest(gc)) guests.push({ name: gc.name, path: gc.node.path, props: gc.props });
          else if (Host.isHost(gc)) treeProblems.push({ path: gc.node.path, message: 'a Host must be created inside a Fleet, not inside another Host' });
        }
        hosts.push({ name: child.name, path: child.node.path, props: child.props, guests });
      } else if (Guest.isGuest(child)) {
        treeProblems.push({ path: child.node.path, message: 'a Guest must be created inside the Host it runs on, not directly in the Fleet' });
      }
    }
    return { name: this.name, path: this.node.path, props: this.props, hosts, treeProblems };
  }

  /** The validated, canonical manifest; throws a ValidationError listing every problem. */
  manifest(): Manifest {
    this.cached ??= buildManifest(this.toInput());
    return this.cached;
  }

  /** Builds the Terraform resources only when Terraform JSON is synthesized (`hvkit plan` never needs them). */
  prepareStack(): void {
    this.ensureResources();
    super.prepareStack();
  }

  /** Also reached by cdktf's `Testing.synth(fleet)`, which skips prepareStack. */
  toTerraform(): ReturnType<TerraformStack['toTerraform']> {
    this.ensureResources();
    return super.toTerraform();
  }

  private ensureResources(): void {
    if (this.resourcesAdded) return;
    this.resourcesAdded = true;
    addTerraformResources(this, this.manifest());
  }
}
