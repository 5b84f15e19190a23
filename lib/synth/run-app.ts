import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { HvkitError } from '../errors';
import { loadManifest } from '../manifest/load';
import type { Manifest } from '../manifest/types';
import { appCommand, appFile, parseCommand, tsxFile } from './app-command';
import { bundleApp, projectHvkit } from './app-bundle';
import { compileError, crashMessage, crashStack, settle, type AppOutcome, type AppRun } from './app-outcome';
import { UserPosition } from './app-position';
import { ENV_MANIFEST_DIR, ENV_MODE, ENV_REPORT_FILE, MANIFEST_FILE, type AppEvent } from './app-protocol';
import { runInWorker } from './app-worker';

export { appCommand } from './app-command';
export type { AppRun } from './app-outcome';

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

/** Runs the fleet app and returns the manifests of the fleets it made. */
export async function runApp(opts: RunAppOptions): Promise<Manifest[]> {
  return (await synthApp(opts)).manifests;
}

/**
 * Runs the fleet app, whatever App its fleets live in, and tells what this run
 * made. Validation problems come back as one ValidationError; a crashing,
 * exiting, missing or never-synthesizing app as a one-line HvkitError naming it.
 */
export async function synthApp(opts: RunAppOptions): Promise<AppRun> {
  const written = parseCommand(opts.projectDir, opts.app);
  const script = appFile(written);
  if (script && !existsSync(resolve(opts.projectDir, script))) {
    throw new HvkitError(`the app file ${script} does not exist: fix "app" in cdktf.json or --app (it runs \`${written.join(' ')}\`)`);
  }
  const name = script ?? `\`${written.join(' ')}\``;
  const file = tsxFile(written);
  const env = opts.env ?? process.env;
  // Stack traces name files by their real paths.
  const projectDir = realpathSync(opts.projectDir);
  if (opts.mode === 'manifest' && file && env.HVKIT_APP_PROCESS !== 'separate') {
    const bundle = await bundleApp(resolve(opts.projectDir, file), opts.projectDir, name);
    if (bundle) {
      try {
        // A worker shares hvkit's working directory; an app whose relative paths mean another folder runs in its own process there.
        const inWorker = projectDir === realpathSync(process.cwd());
        const position = new UserPosition({ projectDir, exclude: [bundle.hvkitLib], bundle });
        const child = () => runChild([process.execPath, bundle.file], name, opts, env, position);
        let outcome = inWorker ? await runInWorker(bundle.file, name, env, position) : await child();
        // An app that changes its process (chdir, umask) gets a process of its own, as under tsx.
        if (outcome.needsProcess) outcome = await child();
        return settle(outcome);
      } finally {
        bundle.dispose();
      }
    }
  }
  const hvkitLib = projectHvkit(projectDir)?.lib;
  const position = new UserPosition({ projectDir, exclude: hvkitLib ? [hvkitLib] : [] });
  return settle(await runChild(appCommand(opts.projectDir, opts.app), name, opts, env, position));
}

/**
 * Runs the app as a child process in the project folder; it talks through
 * files named in its environment. `position` finds the user's line in the
 * stack trace of a crash.
 */
async function runChild(argv: string[], name: string, opts: RunAppOptions, baseEnv: NodeJS.ProcessEnv, position: UserPosition): Promise<AppOutcome> {
  const work = mkdtempSync(join(tmpdir(), 'hvkit-app-'));
  const manifestDir = join(work, 'manifests');
  const reportFile = join(work, 'report.jsonl');
  try {
    const env = {
      ...baseEnv,
      // A manifest-only run leaves the project's cdktf.out alone (other stacks of the app write there too).
      CDKTF_OUTDIR: opts.mode === 'full' ? (opts.outdir ?? join(opts.projectDir, 'cdktf.out')) : join(work, 'cdktf.out'),
      [ENV_MODE]: opts.mode,
      [ENV_MANIFEST_DIR]: manifestDir,
      [ENV_REPORT_FILE]: reportFile,
    };
    const { code, stderr } = await run(argv, opts.projectDir, env);
    const events: AppEvent[] = existsSync(reportFile)
      ? readFileSync(reportFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AppEvent)
      : [];
    const manifests = code === 0 && existsSync(manifestDir)
      ? readdirSync(manifestDir).sort().filter((f) => existsSync(join(manifestDir, f, MANIFEST_FILE))).map((f) => loadManifest(join(manifestDir, f, MANIFEST_FILE)))
      : [];
    if (code === 0) return { app: name, events, manifests };
    const compile = compileError(stderr);
    if (compile) return { app: name, events, manifests, failure: compile.text, at: `${relative(position.projectDir, compile.file)}:${compile.line}:${compile.column}` };
    const at = position.of(crashStack(stderr));
    return { app: name, events, manifests, failure: crashMessage(stderr, code), ...(at ? { at } : {}) };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function run(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    // hvkit's stdout carries its own output only (a plan, JSON lines): what the app prints goes to stderr.
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', process.stderr, 'pipe'] });
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
