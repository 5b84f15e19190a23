/**
 * Stand-ins for the few cdktf classes hvkit's constructs extend, used only
 * when `hvkit plan` builds the construct tree in its own process to read the
 * manifest. Loading cdktf costs about 0.3 s (it pulls in archiver and the
 * whole Terraform model) and the manifest needs none of it: no Terraform
 * resource is created in that mode. An app that takes only `App` (or
 * `Testing`) from cdktf gets these too; one that uses more of cdktf gets the
 * real cdktf (lib/synth/app-bundle.ts decides), and `hvkit synth` always does.
 * `App.synth()` works as cdktf's does, so a Fleet hands over its manifest the
 * same way under both.
 */
import { Construct } from 'constructs';

export interface AppConfig {
  readonly outdir?: string;
  readonly context?: Record<string, unknown>;
  readonly skipValidation?: boolean;
  readonly skipBackendValidation?: boolean;
  readonly stackTraces?: boolean;
  readonly hclOutput?: boolean;
}

function unavailable(what: string): never {
  throw new Error(`${what} is not available while hvkit reads the manifest; run \`hvkit synth\` for Terraform JSON`);
}

export class App extends Construct {
  readonly outdir: string;
  constructor(config: AppConfig = {}) {
    super(undefined as unknown as Construct, '');
    this.outdir = config.outdir ?? process.env.CDKTF_OUTDIR ?? 'cdktf.out';
    for (const [k, v] of Object.entries(config.context ?? {})) this.node.setContext(k, v);
  }
  /** As cdktf's: prepares every stack, then has each one's synthesizer run (a Fleet's hands over its manifest). */
  synth(): void {
    const stacks = this.node.findAll().filter(TerraformStack.isStack);
    for (const s of stacks) s.prepareStack();
    const session = { outdir: this.outdir, manifest: undefined };
    for (const s of stacks) s.synthesizer.synthesize(session);
  }
}

const STACK = Symbol.for('cdktf/TerraformStack');

export interface IStackSynthesizer {
  synthesize(session: { readonly outdir: string; readonly manifest: unknown }): void;
}

export class TerraformStack extends Construct {
  static isStack(x: unknown): x is TerraformStack {
    return typeof x === 'object' && x !== null && STACK in x;
  }
  synthesizer: IStackSynthesizer = { synthesize: () => unavailable('Terraform synthesis') };
  constructor(scope: Construct, id: string) {
    super(scope, id);
    Object.defineProperty(this, STACK, { value: true });
  }
  prepareStack(): void {
    // Nothing to prepare: no Terraform element exists in this mode.
  }
  toTerraform(): Record<string, unknown> {
    return unavailable('Terraform synthesis');
  }
}

export class LocalBackend extends Construct {
  constructor(scope: Construct, _config: { path?: string } = {}) {
    super(scope, 'backend');
  }
}

export class DataResource extends Construct {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    unavailable('terraform_data');
  }
}

/** `Testing.app()` builds an App as usual; the rest of cdktf's Testing needs Terraform JSON. */
export const Testing = new Proxy({ app: (config: AppConfig = {}) => new App(config) } as Record<string | symbol, unknown>, {
  get: (target, key) => (key in target ? target[key] : unavailable('cdktf Testing')),
});
