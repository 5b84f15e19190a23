import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { HvkitError } from '../errors';
import { checkManifestObject } from '../manifest/load';
import type { AppOutcome } from './app-outcome';
import { ENV_MODE, MANIFEST_SINK, type ManifestSink } from './app-protocol';

const require = createRequire(import.meta.url);

let loaded = 0;

/** Thrown in place of exiting when the app calls process.exit while hvkit runs it in its own process. */
class AppExit {
  constructor(readonly code: number) {}
}

/**
 * Builds the construct tree in this process: no second node, no manifest
 * written and read back. The app's Fleets hand their manifests to a sink on
 * globalThis when its App synthesizes; the environment the app sees is set
 * for the duration, and process.exit cannot end hvkit.
 */
export async function runInProcess(file: string, name: string, projectDir: string, env: NodeJS.ProcessEnv): Promise<AppOutcome> {
  const g = globalThis as Record<symbol, unknown>;
  const sink: ManifestSink = { manifests: [], events: [] };
  const saved = { ...process.env };
  const savedCwd = process.cwd();
  const exit = process.exit;
  // Other stacks of a cdktf App still write Terraform JSON: keep it out of the project's cdktf.out.
  const outdir = mkdtempSync(join(tmpdir(), 'hvkit-out-'));
  let failure: string | undefined;
  g[MANIFEST_SINK] = sink;
  try {
    const bundle = await bundleApp(file, projectDir);
    setEnv({ ...env, CDKTF_OUTDIR: outdir, [ENV_MODE]: 'manifest' });
    process.chdir(projectDir);
    process.exit = ((code?: number | string | null) => {
      throw new AppExit(Number(code ?? process.exitCode ?? 0) || 0);
    }) as typeof process.exit;
    // A fresh URL each time, so a second plan in one process runs the app again.
    try {
      await import(`${pathToFileURL(bundle).href}?hvkit=${++loaded}`);
    } finally {
      rmSync(bundle, { force: true });
    }
  } catch (e) {
    if (e instanceof HvkitError) throw e;
    if (e instanceof AppExit) {
      if (e.code !== 0) failure = `it called process.exit(${e.code})`;
    } else {
      const message = e instanceof Error ? e.message.split('\n').map((l) => l.trim()).filter(Boolean).join(' ') : String(e);
      // As the child-process path says it: a plain Error's name adds nothing.
      failure = e instanceof Error && e.name !== 'Error' ? `${e.name}: ${message}` : message;
    }
  } finally {
    process.exit = exit;
    delete g[MANIFEST_SINK];
    process.chdir(savedCwd);
    setEnv(saved);
    rmSync(outdir, { recursive: true, force: true });
  }
  // Same checks as a manifest read from disk: the app may run another hvkit version.
  const manifests = failure === undefined ? sink.manifests.map((m) => checkManifestObject(`fleet ${m.fleet}`, m)) : [];
  return { app: name, events: sink.events, manifests, failure };
}

/** What the light stand-ins offer an app: `import { App, Testing } from 'cdktf'` and nothing else. */
const LITE_NAMES = /^(?:type\s+)?(?:App|AppConfig|Testing)(?:\s+as\s+[\w$]+)?$/;

/**
 * True when every mention of cdktf in the file is a named import of App
 * (or Testing, for Testing.app()); anything else, or anything unclear, is false.
 */
export function onlyAppFromCdktf(file: string): boolean {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return false;
  }
  const mentions = source.match(/['"]cdktf['"]/g)?.length ?? 0;
  const imports = [...source.matchAll(/\bimport\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]cdktf['"]/g)];
  if (imports.length === 0 || imports.length !== mentions) return false;
  return imports.every((m) => m[2].split(',').map((n) => n.trim()).filter(Boolean).every((n) => LITE_NAMES.test(n)));
}

/** Makes process.env exactly `env`. */
function setEnv(env: NodeJS.ProcessEnv): void {
  for (const k of Object.keys(process.env)) if (!(k in env)) delete process.env[k];
  Object.assign(process.env, env);
}

/**
 * Compiles the app and the project's TypeScript it imports (hvkit included)
 * into one ES module with esbuild; packages stay external and load as usual.
 * This is what tsx would do, without its loader thread (0.4 s at start-up).
 * The file goes under the project's node_modules so packages resolve from it.
 */
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
          // stand-ins for cdktf, and so does an app that takes only its App from cdktf;
          // an app that uses more of cdktf gets the real one throughout.
          b.onResolve({ filter: /^cdktf$/ }, (args) => {
            const liteEnough = args.importer.startsWith(hvkitLib) || onlyAppFromCdktf(args.importer);
            if (!liteEnough) appUsesCdktf = true;
            return useLite && liteEnough && existsSync(lite) ? { path: lite } : undefined;
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
