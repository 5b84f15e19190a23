import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, posix } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'shell-quote';
import { HvkitError } from '../errors';

const require = createRequire(import.meta.url);

/** The app command from `--app` or cdktf.json, as written, as an argument vector. */
export function parseCommand(projectDir: string, app?: string): string[] {
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

/** The app command from `--app` or cdktf.json, ready to spawn. */
export function appCommand(projectDir: string, app?: string): string[] {
  return fastPath(projectDir, parseCommand(projectDir, app));
}

/**
 * Which app a command runs, in a form that two spellings of the same app share
 * (`npx tsx ./stacks/a.ts` and `tsx stacks/a.ts`): without `npx`, its script's
 * path normalized. Relative as written, so it holds no absolute path.
 */
export function appIdentity(argv: string[]): string {
  const script = appScript(argv);
  const rest = withoutNpx(argv);
  return rest.map((a, i) => (script && i === script.at ? posix.normalize(a.replaceAll('\\', '/')) : a)).join(' ');
}

/** The command without a leading `npx [--no-install]`. */
function withoutNpx(argv: string[]): string[] {
  return argv[0] === 'npx' ? argv.slice(1).filter((a, i) => !(i === 0 && a === '--no-install')) : argv;
}

/** How an app command runs its script: `[npx] tsx FILE`, `ts-node FILE`, `node [OPTIONS] FILE [ARGS]`, … */
export interface AppScript {
  /** The program, `npx` removed: `tsx`, `ts-node`, `node`, or whatever the command starts with. */
  readonly runner: string;
  /** What comes between the program and the script (`--enable-source-maps`, `watch`). */
  readonly options: readonly string[];
  /** The script, as written. */
  readonly file: string;
  /** The script's own arguments. */
  readonly args: readonly string[];
  /** Where the script is in the command without `npx`. */
  readonly at: number;
}

/**
 * The one reading of an app command: the script it runs (the first argument
 * after the program that names a JavaScript or TypeScript file) and what
 * surrounds it; undefined when the command names no script (`make synth`).
 */
export function appScript(argv: string[]): AppScript | undefined {
  const [runner, ...rest] = withoutNpx(argv);
  const i = rest.findIndex((a) => !a.startsWith('-') && /\.[cm]?[jt]sx?$/.test(a));
  if (runner === undefined || i < 0) return undefined;
  return { runner, options: rest.slice(0, i), file: rest[i], args: rest.slice(i + 1), at: i + 1 };
}

/** The script an app command runs (`tsx stacks/main.ts`, `node dist/main.js`), if it names one. */
export function appFile(argv: string[]): string | undefined {
  return appScript(argv)?.file;
}

/** The TypeScript file of a plain `[npx] tsx FILE` app, which hvkit can build itself and run in a worker. */
export function tsxFile(argv: string[]): string | undefined {
  const s = appScript(argv);
  return s?.runner === 'tsx' && s.options.length === 0 && s.args.length === 0 ? s.file : undefined;
}

/**
 * `npx tsx FILE` is the usual cdktf app; running tsx's loader in one node
 * process skips npx's lookup and tsx's extra child process (about 0.5 s).
 */
function fastPath(projectDir: string, argv: string[]): string[] {
  const rest = withoutNpx(argv);
  const script = appScript(argv);
  if (script?.runner === 'tsx' && script.options.length === 0) {
    try {
      const loader = require.resolve('tsx', { paths: [projectDir] });
      return [process.execPath, '--import', pathToFileURL(loader).href, script.file, ...script.args];
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
