/**
 * Stand-ins for the few cdktf classes hvkit's constructs extend, used only
 * when `hvkit plan` builds the construct tree in its own process to read the
 * manifest. Loading cdktf costs about 0.3 s (it pulls in archiver and the
 * whole Terraform model) and the manifest needs none of it: no Terraform
 * resource is created in that mode. Apps that import cdktf themselves get the
 * real cdktf (lib/synth/run-app.ts checks), and `hvkit synth` always does.
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
  synth(): void {
    unavailable('Terraform synthesis');
  }
}

export class TerraformStack extends Construct {
  prepareStack(): void {
    unavailable('Terraform synthesis');
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

export const Testing = new Proxy({}, { get: () => unavailable('cdktf Testing') });
