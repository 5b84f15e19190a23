import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { HvkitError } from '../errors';

const require = createRequire(import.meta.url);

/** A fleet app compiled into one ES module, started by lib/synth/session-entry.ts. */
export interface AppBundle {
  /** The module to run, under the project's node_modules so its packages resolve. */
  readonly file: string;
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

/** The folder of the project's own hvkit (its TypeScript sources), if it has one. */
function projectHvkit(projectDir: string): { entry: string; lib: string } | undefined {
  try {
    const entry = require.resolve('hvkit', { paths: [projectDir] });
    return { entry, lib: dirname(entry) };
  } catch {
    return undefined;
  }
}

/**
 * Compiles the app and the project's TypeScript it imports (hvkit included)
 * into one ES module with esbuild; packages stay external and load as usual.
 * This is what tsx would do, without its loader thread (0.4 s at start-up).
 * Undefined when the project's hvkit cannot start such a module (an hvkit
 * without lib/synth/session-entry.ts, or none): run the app's command then.
 * esbuild's service is stopped before this returns, whatever happened.
 */
export async function bundleApp(file: string, projectDir: string): Promise<AppBundle | undefined> {
  const hvkit = projectHvkit(projectDir);
  const start = hvkit && join(hvkit.lib, 'synth', 'session-entry.ts');
  if (!hvkit || !start || !existsSync(start)) return undefined;
  const cache = join(projectDir, 'node_modules', '.cache', 'hvkit');
  mkdirSync(cache, { recursive: true });
  const dir = mkdtempSync(join(cache, 'app-'));
  const outfile = join(dir, 'app.mjs');
  const lite = join(hvkit.lib, 'constructs', 'private', 'cdktf-lite.ts');
  const esbuild = await import('esbuild');
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
    rmSync(dir, { recursive: true, force: true });
    const errors = (e as { errors?: { text: string; location?: { file: string; line: number; column: number } }[] }).errors ?? [];
    const first = errors[0];
    throw new HvkitError(first ? `${first.location ? `${first.location.file}:${first.location.line}:${first.location.column}: ` : ''}${first.text}` : `cannot compile ${file}: ${(e as Error).message}`);
  } finally {
    // The service is a child process: left running, it outlives the command.
    await esbuild.stop();
  }
  return { file: outfile, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
