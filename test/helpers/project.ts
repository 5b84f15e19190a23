import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../lib/cli/main';
import type { Io } from '../../lib/cli/context';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A throwaway copy of the project: its own stacks, state and simulated hosts. */
export interface TempProject {
  dir: string;
  run(args: string[], opts?: { env?: NodeJS.ProcessEnv; tty?: boolean; answer?: string }): Promise<{ code: number; out: string; err: string }>;
  writeStack(source: string, file?: string): void;
  cleanup(): void;
}

export function tempProject(): TempProject {
  const dir = mkdtempSync(join(tmpdir(), 'hvkit-test-'));
  for (const f of ['package.json', 'cdktf.json']) cpSync(join(ROOT, f), join(dir, f));
  cpSync(join(ROOT, 'stacks'), join(dir, 'stacks'), { recursive: true });
  cpSync(join(ROOT, 'providers'), join(dir, 'providers'), { recursive: true });
  cpSync(join(ROOT, 'bench'), join(dir, 'bench'), { recursive: true });
  for (const d of ['lib', 'node_modules', 'bin']) symlinkSync(join(ROOT, d), join(dir, d));
  return {
    dir,
    async run(args, opts = {}) {
      let out = '';
      let err = '';
      const io: Io = {
        out: (t) => (out += t),
        err: (t) => (err += t),
        isTty: opts.tty ?? false,
        cwd: dir,
        env: { ...process.env, NO_COLOR: opts.tty ? undefined : '1', ...opts.env },
        ask: opts.answer !== undefined ? async () => opts.answer! : undefined,
      };
      const code = await main(['node', 'hvkit', ...args], io);
      return { code, out, err };
    },
    writeStack(source, file = 'stacks/main.ts') {
      writeFileSync(join(dir, file), source);
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A small local host for test stacks: 4 cores, 4 GiB in two DIMMs, one 100 GiB disk. */
export const LOCAL_HOST = `{ cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['2GiB', '2GiB'] }, disks: [{ name: 'sda', size: '100GiB' }] }`;

/** A stack file for tests: `body` runs with App, Fleet, Host, Guest in scope and `fleet` created. */
export function stackSource(body: string, fleetProps = "{ provider: 'local' }"): string {
  return `import { App, Fleet, Host, Guest } from 'hvkit';\nconst app = new App();\nconst fleet = new Fleet(app, 'tokyo', ${fleetProps});\n${body}\napp.synth();\n`;
}


/** Domains the local provider holds for a fleet, as `guest@host`, sorted. */
export function localDomains(dir: string, fleet = 'tokyo'): string[] {
  const root = join(dir, '.hvkit', 'local', fleet);
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((h) => readdirSync(join(root, h)).filter((f) => f.endsWith('.json') && f !== 'host.json').map((f) => `${f.slice(0, -5)}@${h}`)).sort();
}

/** The local provider's folder for a host of a fleet. */
export function localHostDir(dir: string, host: string, fleet = 'tokyo'): string {
  return join(dir, '.hvkit', 'local', fleet, host);
}

/** Guests state records, as `guest@host`, sorted. */
export function stateGuests(dir: string, fleet = 'tokyo'): string[] {
  const file = join(dir, '.hvkit', 'state', `${fleet}.json`);
  if (!existsSync(file)) return [];
  const s = JSON.parse(readFileSync(file, 'utf8'));
  return Object.values(s.guests as Record<string, { spec: { name: string; host: string } }>).map((g) => `${g.spec.name}@${g.spec.host}`).sort();
}

export function readState(dir: string, fleet = 'tokyo'): Record<string, any> {
  return JSON.parse(readFileSync(join(dir, '.hvkit', 'state', `${fleet}.json`), 'utf8'));
}

/** Runs the real CLI in a child process (for kill -9 and lock tests). */
export function spawnCli(dir: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [join(dir, 'bin', 'hvkit.mjs'), ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, out, err })));
  return { child, done };
}

/**
 * How long a bounded poll waits for a CLI child to reach a point in its run (it synthesizes the fleet and
 * runs a few provider scripts first): ~5 s idle, several times that on a loaded 2-core machine. Only a hang
 * takes longer.
 */
export const CLI_REACHES_MS = 120_000;

export async function waitFor(cond: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
