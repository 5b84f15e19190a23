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
  const script = appFile(argv);
  return withoutNpx(argv).map((a) => (a === script ? posix.normalize(a.replaceAll('\\', '/')) : a)).join(' ');
}

/** The command without a leading `npx [--no-install]`. */
function withoutNpx(argv: string[]): string[] {
  return argv[0] === 'npx' ? argv.slice(1).filter((a, i) => !(i === 0 && a === '--no-install')) : argv;
}

/** The TypeScript file of a `[npx] tsx FILE` app, which hvkit can build in its own process. */
export function tsxFile(argv: string[]): string | undefined {
  const rest = withoutNpx(argv);
  return rest[0] === 'tsx' && rest.length === 2 && !rest[1].startsWith('-') ? rest[1] : undefined;
}

/** The script an app command runs (`tsx stacks/main.ts`, `node dist/main.js`), if it names one. */
export function appFile(argv: string[]): string | undefined {
  return withoutNpx(argv).slice(1).find((a) => !a.startsWith('-') && /\.[cm]?[jt]sx?$/.test(a));
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
