import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalBackend, TerraformStack, type IStackSynthesizer, type ISynthesisSession } from 'cdktf';
import type { Construct } from 'constructs';
import { buildManifest } from '../manifest/build';
import { canonicalJson } from '../manifest/canonical';
import { isSchemaChecked } from '../manifest/schema';
import type { FleetInput, FleetProps, GuestInput, HostGroupInput, HostInput } from '../manifest/props';
import type { Manifest } from '../manifest/types';
import { ENV_MANIFEST_DIR, MANIFEST_FILE, manifestOnly, post, report } from '../synth/app-protocol';
import { Guest, Host } from './host';
import { HostGroup } from './host-group';
import { checkApp } from './private/check-app';
import { addTerraformResources } from './terraform';

const FLEET = Symbol.for('hvkit.Fleet');

/**
 * A fleet of homemade hypervisor hosts: one Terraform stack, one manifest,
 * one state. Hosts are created inside it, guests inside their host, or in
 * the Fleet itself or a HostGroup to have hvkit place them at plan time.
 *
 * The Fleet writes its own manifest (`hvkit.manifest.json`, next to its
 * `cdk.tf.json`) when its App synthesizes, whichever App that is: cdktf's
 * `App`, `Testing.app()` or hvkit's `App`, beside any other stacks.
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
    // cdktf synthesizes every stack through its synthesizer; wrapping it is how the
    // manifest comes out of any App, and how Terraform JSON is skipped when only it is wanted.
    const terraform = this.synthesizer;
    this.synthesizer = { synthesize: (session) => this.synthesizeFleet(session, terraform) } satisfies IStackSynthesizer;
    // Lets the CLI say "call app.synth()" when the app never does.
    report({ kind: 'created', fleet: this.name, path: this.node.path });
  }

  get name(): string {
    return this.node.id;
  }

  /** The construct tree as plain data, with problems of its shape. */
  toInput(): FleetInput {
    const treeProblems: { path: string; message: string }[] = [];
    const hosts: HostInput[] = [];
    const unplaced: GuestInput[] = [];
    const groups: HostGroupInput[] = [];
    const guestsIn = (parent: Host | HostGroup): GuestInput[] => {
      const guests: GuestInput[] = [];
      for (const gc of parent.node.children) {
        if (Guest.isGuest(gc)) guests.push({ name: gc.name, path: gc.node.path, props: gc.props });
        else if (Host.isHost(gc)) treeProblems.push({ path: gc.node.path, message: Host.isHost(parent) ? 'a Host must be created inside a Fleet, not inside another Host' : 'a Host must be created inside a Fleet, not inside a HostGroup: a HostGroup selects hosts by their tags; give the host the tags its selector names' });
      }
      return guests;
    };
    for (const child of this.node.children) {
      if (Host.isHost(child)) hosts.push({ name: child.name, path: child.node.path, props: child.props, guests: guestsIn(child) });
      else if (HostGroup.isHostGroup(child)) groups.push({ name: child.name, path: child.node.path, props: child.props, guests: guestsIn(child) });
      else if (Guest.isGuest(child)) unplaced.push({ name: child.name, path: child.node.path, props: child.props });
    }
    return { name: this.name, path: this.node.path, props: this.props, hosts, treeProblems, ...(unplaced.length ? { guests: unplaced } : {}), ...(groups.length ? { groups } : {}) };
  }

  /** The validated, canonical manifest; throws a ValidationError listing every problem. */
  manifest(): Manifest {
    this.cached ??= buildManifest(this.toInput());
    return this.cached;
  }

  /**
   * Called by the App before any stack synthesizes: checks every fleet of the
   * app (all problems at once), then builds the Terraform resources unless the
   * hvkit CLI wants the manifest only (`hvkit plan` never waits on them).
   */
  prepareStack(): void {
    checkApp(this.node.root, Fleet.isFleet);
    if (!manifestOnly()) this.ensureResources();
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

  private synthesizeFleet(session: ISynthesisSession, terraform: IStackSynthesizer): void {
    const m = this.manifest();
    // In the CLI's synthesis worker the manifest goes to the CLI as a message.
    if (post({ kind: 'manifest', fleet: this.name, json: JSON.stringify(m), heldToSchema: isSchemaChecked(m) })) {
      report({ kind: 'synthesized', fleet: this.name });
      return;
    }
    let out: string | undefined;
    if (!manifestOnly()) {
      terraform.synthesize(session);
      out = join(session.outdir, session.manifest.forStack(this).workingDirectory);
      writeFileSync(join(out, MANIFEST_FILE), canonicalJson(m, 2));
    }
    // The CLI reads manifests back from its own folder: it then knows what this run made.
    const forCli = process.env[ENV_MANIFEST_DIR];
    if (forCli) {
      mkdirSync(join(forCli, this.name), { recursive: true });
      // Compact: faster to write and read, and no one reads it but the CLI.
      writeFileSync(join(forCli, this.name, MANIFEST_FILE), canonicalJson(m, 0));
    }
    report({ kind: 'synthesized', fleet: this.name, out });
  }
}
