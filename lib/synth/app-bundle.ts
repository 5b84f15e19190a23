import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Loader, OnLoadArgs, OnLoadResult, PluginBuild } from 'esbuild';
import { HvkitError } from '../errors';

const require = createRequire(import.meta.url);

/** A fleet app compiled into one ES module, started by lib/synth/session-entry.ts. */
export interface AppBundle {
  /** The module to run, under the project's node_modules so its packages resolve (a real path, as stack traces name it). */
  readonly file: string;
  /** Its source map, which leads a stack frame back to the app's own file. */
  readonly map: string;
  /** The folder of the project's hvkit's sources, whose frames are no user's code. */
  readonly hvkitLib: string;
  /** Removes the module. */
  dispose(): void;
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

/** The project's own hvkit, if it has one, at its real location (a linked hvkit's folder is outside the project). */
interface ProjectHvkit {
  /** lib/index.ts. */
  readonly entry: string;
  /** The folder of its TypeScript sources. */
  readonly lib: string;
  /** The package's folder, where its own dependencies resolve from. */
  readonly root: string;
}

export function projectHvkit(projectDir: string): ProjectHvkit | undefined {
  try {
    // require.resolve follows symlinks: an `npm link`ed, `file:` or pnpm hvkit is found where it really is.
    const entry = require.resolve('hvkit', { paths: [projectDir] });
    let root = dirname(entry);
    try {
      root = dirname(require.resolve('hvkit/package.json', { paths: [projectDir] }));
    } catch {
      // An hvkit that does not export its package.json keeps its sources in lib/.
      root = dirname(dirname(entry));
    }
    return { entry, lib: dirname(entry), root };
  } catch {
    return undefined;
  }
}

/** esbuild's loader for each kind of source file it compiles into the bundle. */
const LOADERS: Readonly<Record<string, Loader>> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.tsx': 'tsx', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.jsx': 'jsx' };
const SOURCE_FILE = /\.(?:[cm]?[jt]s|[jt]sx)$/;
const IMPORT_META = /\bimport\.meta\.(url|filename|dirname)\b/g;

/**
 * A source file whose `import.meta.url` (filename, dirname) means the file
 * itself, as under tsx, not the bundle in node_modules/.cache: hvkit's
 * `createRequire(import.meta.url)` finds its own packages, and an app's
 * `new URL('./hosts.json', import.meta.url)` its own folder.
 */
async function ownImportMeta(args: OnLoadArgs): Promise<OnLoadResult | undefined> {
  const loader = LOADERS[args.path.slice(args.path.lastIndexOf('.'))];
  if (args.namespace !== 'file' || !loader) return undefined;
  const source = await readFile(args.path, 'utf8');
  if (!source.includes('import.meta.')) return undefined;
  const meta: Record<string, string> = { url: pathToFileURL(args.path).href, filename: args.path, dirname: dirname(args.path) };
  return { contents: source.replace(IMPORT_META, (_, key: string) => JSON.stringify(meta[key])), loader };
}

/** An import path that names a package (esbuild's own test for `packages: 'external'`). */
const PACKAGE_PATH = /^[^./]|^\.[^./]|^\.\.[^/]/;

/**
 * Resolves imports as Node does from a given folder, with esbuild's resolver
 * (exports maps and the `import` condition, not bundler-only ones): a build
 * of its own, since the app's build leaves every package path external.
 */
interface PackageResolver {
  /** The file `path` means when imported from `resolveDir`; undefined when it cannot be found. */
  resolve(path: string, resolveDir: string): Promise<string | undefined>;
  dispose(): Promise<void>;
}

async function packageResolver(esbuild: typeof import('esbuild')): Promise<PackageResolver> {
  let build: PluginBuild | undefined;
  const ctx = await esbuild.context({
    bundle: true,
    write: false,
    platform: 'node',
    format: 'esm',
    // Node knows no `module` condition, which esbuild adds by default.
    conditions: [],
    logLevel: 'silent',
    plugins: [{ name: 'hvkit-resolver', setup: (b) => void (build = b) }],
  });
  return {
    async resolve(path, resolveDir) {
      const r = await build!.resolve(path, { kind: 'import-statement', resolveDir });
      return r.errors.length === 0 && !r.external && r.path ? r.path : undefined;
    },
    dispose: () => ctx.dispose(),
  };
}

/**
 * Compiles the app and the project's TypeScript it imports (hvkit included)
 * into one ES module with esbuild; packages stay external and load as usual.
 * This is what tsx would do, without its loader thread (0.4 s at start-up).
 * Undefined when the project's hvkit cannot start such a module (an hvkit
 * without lib/synth/session-entry.ts, or none): run the app's command then.
 * esbuild's service is stopped before this returns, whatever happened.
 * A file that does not compile is an HvkitError naming the app (`name`) and the position.
 */
export async function bundleApp(file: string, projectDir: string, name = file): Promise<AppBundle | undefined> {
  const hvkit = projectHvkit(projectDir);
  const start = hvkit && join(hvkit.lib, 'synth', 'session-entry.ts');
  if (!hvkit || !start || !existsSync(start)) return undefined;
  const cache = join(projectDir, 'node_modules', '.cache', 'hvkit');
  mkdirSync(cache, { recursive: true });
  const dir = realpathSync(mkdtempSync(join(cache, 'app-')));
  const outfile = join(dir, 'app.mjs');
  const lite = join(hvkit.lib, 'constructs', 'private', 'cdktf-lite.ts');
  const esbuild = await import('esbuild');
  let ownPackages: PackageResolver | undefined;
  const inHvkit = (importer: string) => importer.startsWith(hvkit.root + sep) && !importer.slice(hvkit.root.length).includes(`${sep}node_modules${sep}`);
  const ownPackage = async (args: { path: string; importer: string; resolveDir: string }) => {
    if (!inHvkit(args.importer)) return undefined;
    const path = await ownPackages!.resolve(args.path, args.resolveDir);
    // A file URL: an absolute path is no valid ES import specifier once it holds '#' or '%'.
    return path ? { path: pathToFileURL(path).href, external: true } : undefined;
  };
  const once = async (useLite: boolean): Promise<boolean> => {
    let appUsesCdktf = false;
    await esbuild.build({
      stdin: {
        contents: `import { runApp } from ${JSON.stringify(start)};\nawait runApp(() => import(${JSON.stringify(file)}));\n`,
        resolveDir: projectDir,
        sourcefile: 'hvkit-app-start.mjs',
        loader: 'js',
      },
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      // Only to name the app's line in an error it throws: the sources themselves are on disk.
      sourcemap: 'external',
      sourcesContent: false,
      logLevel: 'silent',
      plugins: [{
        name: 'hvkit-source',
        setup(b) {
          // hvkit itself is TypeScript: compile it in rather than leave it to Node.
          b.onResolve({ filter: /^hvkit$/ }, () => ({ path: hvkit.entry }));
          // Reading the manifest needs no Terraform model: hvkit's constructs get light
          // stand-ins for cdktf, and so does an app that takes only its App from cdktf;
          // an app that uses more of cdktf gets the real one throughout.
          b.onResolve({ filter: /^cdktf$/ }, (args) => {
            const liteEnough = args.importer.startsWith(hvkit.lib) || onlyAppFromCdktf(args.importer);
            if (!liteEnough) appUsesCdktf = true;
            if (useLite && liteEnough && existsSync(lite)) return { path: lite };
            return ownPackage(args);
          });
          // The app's packages load from the project, as the bundle lies in its node_modules;
          // hvkit's own from where hvkit really is, as under tsx: a linked hvkit's dependencies
          // are not in the project (pnpm, npm link, a `file:` dependency).
          b.onResolve({ filter: PACKAGE_PATH }, ownPackage);
          b.onLoad({ filter: SOURCE_FILE }, ownImportMeta);
        },
      }],
    });
    return appUsesCdktf;
  };
  try {
    ownPackages = await packageResolver(esbuild);
    if (await once(true)) await once(false);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors ?? [];
    const first = errors[0];
    if (!first) throw new HvkitError(`cannot compile ${file}: ${(e as Error).message}`);
    // esbuild names files relative to its working directory and counts columns from 0; hvkit, as V8 and editors, from 1.
    const at = first.location && `${relative(projectDir, resolve(first.location.file))}:${first.location.line}:${first.location.column + 1}`;
    throw new HvkitError(`the app ${name} failed${at ? ` at ${at}` : ''}: ${first.text}`);
  } finally {
    await ownPackages?.dispose();
    // The service is a child process: left running, it outlives the command.
    await esbuild.stop();
  }
  return { file: outfile, map: `${outfile}.map`, hvkitLib: hvkit.lib, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
