import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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

/** A stack file for tests: `body` runs with App, Fleet, Host, Guest in scope and `fleet` created. */
export function stackSource(body: string, fleetProps = "{ provider: 'local' }"): string {
  return `import { App, Fleet, Host, Guest } from 'hvkit';\nconst app = new App();\nconst fleet = new Fleet(app, 'tokyo', ${fleetProps});\n${body}\napp.synth();\n`;
}
