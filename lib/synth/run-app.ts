import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { parse } from 'shell-quote';
import { HvkitError, ValidationError, type Problem } from '../errors';
import { loadManifest, checkManifestObject } from '../manifest/load';
import type { Manifest } from '../manifest/types';
import { ENV_ERRORS_FILE, ENV_MANIFEST_DIR, ENV_MODE, MANIFEST_FILE, MANIFEST_SINK, type ManifestSink } from './app-protocol';

const require = createRequire(import.meta.url);

export interface RunAppOptions {
  /** Project folder holding cdktf.json. */
  readonly projectDir: string;
  /** The command that runs the app; @default cdktf.json's `app` */
  readonly app?: string;
  /** `full` writes Terraform JSON too; `manifest` only the manifests. */
  readonly mode: 'full' | 'manifest';
  /** Where cdktf writes (full mode). @default `<projectDir>/cdktf.out` */
  readonly outdir?: string;
  /** Environment of the app. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** The app command from `--app` or cdktf.json, as an argument vector. */
export function appCommand(projectDir: string, app?: string): string[] {
  return fastPath(projectDir, parseCommand(projectDir, app));
}

function parseCommand(projectDir: string, app?: string): string[] {
  let command = app;
  if (command === undefined) {
    const file = join(projectDir, 'cdktf.json');
    if (!existsSync(file)) throw new HvkitError(`no cdktf.json in ${projectDir}: run hvkit in the project folder or pass --app "npx tsx stacks/main.ts"`);
    try {
      command = JSON.parse(readFileSync(file, 'utf8')).app;
    } catch (e) {
      throw new HvkitError(`${file}: is not valid JSON (${(e as Error).message})`);
    }
    if (typeof command !== 'string' || !command.trim()) throw new HvkitError(`${file}: has no "app" command: add "app": "npx tsx stacks/main.ts"`);
  }
  const argv = parse(command, (name) => `$${name}`);
  if (argv.length === 0 || argv.some((t) => typeof t !== 'string')) {
    throw new HvkitError(`app command '${command}' must be a plain command and its arguments: pipes, redirects and other shell syntax are not run`);
  }
  return argv as string[];
}

/** The command without a leading `npx [--no-install]`. */
function withoutNpx(argv: string[]): string[] {
  return argv[0] === 'npx' ? argv.slice(1).filter((a, i) => !(i === 0 && a === '--no-install')) : argv;
}

/** The TypeScript file of a `[npx] tsx FILE` app, which hvkit can build in its own process. */
function tsxFile(argv: string[]): string | undefined {
  const rest = withoutNpx(argv);
  return rest[0] === 'tsx' && rest.length === 2 && !rest[1].startsWith('-') ? rest[1] : undefined;
}

/**
 * `npx tsx FILE` is the usual cdktf app; running tsx's loader in one node
 * process skips npx's lookup and tsx's extra child process (about 0.5 s).
 */
function fastPath(projectDir: string, argv: string[]): string[] {
  const rest = withoutNpx(argv);
  if (rest[0] === 'tsx' && rest.length >= 2 && !rest[1].startsWith('-')) {
    try {
      const loader = require.resolve('tsx', { paths: [projectDir] });
      return [process.execPath, '--import', pathToFileURL(loader).href, ...rest.slice(1)];
    } catch {
      // tsx not installed in the project: fall through to the command as written.
    }
  }
  if (argv[0] === 'npx') {
    const local = join(projectDir, 'node_modules', '.bin', rest[0]);
    if (existsSync(local)) return [local, ...rest.slice(1)];
  }
  return argv;
}

/**
 * Runs the fleet app and reads back the manifests it wrote. Validation
 * problems come back as one ValidationError; a crashing app as its last lines.
 */
export async function runApp(opts: RunAppOptions): Promise<Manifest[]> {
  const file = tsxFile(parseCommand(opts.projectDir, opts.app));
  const env = opts.env ?? process.env;
  if (opts.mode === 'manifest' && file && env.HVKIT_APP_PROCESS !== 'separate') {
    return runInProcess(resolve(opts.projectDir, file), opts, env);
  }
  const argv = appCommand(opts.projectDir, opts.app);
  const work = mkdtempSync(join(tmpdir(), 'hvkit-app-'));
  const manifestDir = opts.mode === 'manifest' ? join(work, 'out') : (opts.outdir ?? join(opts.projectDir, 'cdktf.out'));
  const errorsFile = join(work, 'errors.json');
  try {
    const env = {
      ...(opts.env ?? process.env),
      CDKTF_OUTDIR: opts.outdir ?? join(opts.projectDir, 'cdktf.out'),
      [ENV_MODE]: opts.mode,
      [ENV_MANIFEST_DIR]: manifestDir,
      [ENV_ERRORS_FILE]: errorsFile,
    };
    const { code, stderr } = await run(argv, opts.projectDir, env);
    if (existsSync(errorsFile)) {
      const { problems } = JSON.parse(readFileSync(errorsFile, 'utf8')) as { problems: Problem[] };
      throw new ValidationError(problems);
    }
    if (code !== 0) {
      const tail = stderr.trim().split('\n').slice(-15).join('\n');
      throw new HvkitError(`the app \`${argv.join(' ')}\` failed (exit ${code}):\n${tail}`);
    }
    const stacksDir = join(manifestDir, 'stacks');
    const fleets = existsSync(stacksDir) ? readdirSync(stacksDir).sort() : [];
    const manifests = fleets.filter((f) => existsSync(join(stacksDir, f, MANIFEST_FILE))).map((f) => loadManifest(join(stacksDir, f, MANIFEST_FILE)));
    if (manifests.length === 0) {
      throw new HvkitError(`the app \`${argv.join(' ')}\` wrote no fleet: create a Fleet with hvkit's App and call app.synth()`);
    }
    return manifests;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

let loaded = 0;

/**
 * Builds the construct tree in this process: no second node, no manifest
 * written and read back. The app's manifests arrive through a sink the hvkit
 * App looks for; the environment the app sees is set for the duration.
 */
async function runInProcess(file: string, opts: RunAppOptions, env: NodeJS.ProcessEnv): Promise<Manifest[]> {
  const g = globalThis as Record<symbol, unknown>;
  const sink: ManifestSink = { manifests: [], problems: [] };
  const saved = { ...process.env };
  const savedCwd = process.cwd();
  g[MANIFEST_SINK] = sink;
  try {
    const bundle = await bundleApp(file, opts.projectDir);
    setEnv({ ...env, CDKTF_OUTDIR: opts.outdir ?? join(opts.projectDir, 'cdktf.out'), [ENV_MODE]: 'manifest' });
    process.chdir(opts.projectDir);
    // A fresh URL each time, so a second plan in one process runs the app again.
    try {
      await import(`${pathToFileURL(bundle).href}?hvkit=${++loaded}`);
    } finally {
      rmSync(bundle, { force: true });
    }
  } catch (e) {
    if (e instanceof HvkitError) throw e;
    throw new HvkitError(`the app ${file} failed: ${(e as Error).message}`);
  } finally {
    delete g[MANIFEST_SINK];
    process.chdir(savedCwd);
    setEnv(saved);
  }
  if (sink.problems.length) throw new ValidationError(sink.problems);
  if (sink.manifests.length === 0) throw new HvkitError(`the app ${file} made no fleet: create a Fleet with hvkit's App and call app.synth()`);
  // Same checks as a manifest read from disk: the app may run another hvkit version.
  return sink.manifests.sort((a, b) => (a.fleet < b.fleet ? -1 : 1)).map((m) => checkManifestObject(`fleet ${m.fleet}`, m));
}

/**
 * Compiles the app and the project's TypeScript it imports (hvkit included)
 * into one ES module with esbuild; packages stay external and load as usual.
 * This is what tsx would do, without its loader thread (0.4 s at start-up).
 * The file goes under the project's node_modules so packages resolve from it.
 */
/** Makes process.env exactly `env`. */
function setEnv(env: NodeJS.ProcessEnv): void {
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
}

async function bundleApp(file: string, projectDir: string): Promise<string> {
  const { build } = await import('esbuild');
  const outfile = join(projectDir, 'node_modules', '.cache', 'hvkit', `app-${process.pid}.mjs`);
  const hvkitEntry = require.resolve('hvkit', { paths: [projectDir] });
  const hvkitLib = dirname(hvkitEntry);
  const lite = join(hvkitLib, 'constructs', 'private', 'cdktf-lite.ts');
  const once = async (useLite: boolean): Promise<boolean> => {
    let appUsesCdktf = false;
    await build({
      entryPoints: [file],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'silent',
      plugins: [{
        name: 'hvkit-source',
        setup(b) {
          // hvkit itself is TypeScript: compile it in rather than leave it to Node.
          b.onResolve({ filter: /^hvkit$/ }, () => ({ path: hvkitEntry }));
          // Reading the manifest needs no Terraform model: hvkit's constructs get light
          // stand-ins for cdktf, unless the app uses cdktf itself.
          b.onResolve({ filter: /^cdktf$/ }, (args) => {
            if (!args.importer.startsWith(hvkitLib)) appUsesCdktf = true;
            return useLite && existsSync(lite) && args.importer.startsWith(hvkitLib) ? { path: lite } : undefined;
          });
        },
      }],
    });
    return appUsesCdktf;
  };
  try {
    if (await once(true)) await once(false);
  } catch (e) {
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors ?? [];
    const first = errors[0];
    throw new HvkitError(first ? `${first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : ''}${first.text}` : `cannot compile ${file}: ${(e as Error).message}`);
  }
  return outfile;
}

function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.length > 100_000) stderr = stderr.slice(-50_000);
    });
    child.on('error', (e) => reject(new HvkitError(`cannot run the app \`${argv.join(' ')}\`: ${e.message}`)));
    child.on('close', (code, signal) => resolvePromise({ code: code ?? (signal ? 128 : 1), stderr }));
  });
}

/** Picks the fleet a command works on: the only one, or the one named by --fleet. */
export function pickFleet(manifests: Manifest[], name?: string): Manifest {
  if (name) {
    const m = manifests.find((x) => x.fleet === name);
    if (!m) throw new HvkitError(`no fleet '${name}' in the app: it has ${manifests.map((x) => x.fleet).join(', ')}`);
    return m;
  }
  if (manifests.length > 1) throw new HvkitError(`the app has ${manifests.length} fleets (${manifests.map((x) => x.fleet).join(', ')}): choose one with --fleet NAME`);
  return manifests[0];
}
