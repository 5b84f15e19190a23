import { spawn } from 'node:child_process';
import { accessSync, constants, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { HvkitError } from '../errors';
import { DNS_LABEL } from '../manifest/names';
import type { ProviderName } from '../manifest/types';

export const VERBS = ['facts', 'list', 'create', 'destroy', 'start', 'stop', 'set-memory', 'set-vcpus', 'migrate'] as const;
export type Verb = (typeof VERBS)[number];

export interface CallResult {
  ok: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Parsed JSON of stdout's last line, when there is one. */
  result: Record<string, unknown> | undefined;
  stderrTail: string;
  ms: number;
}

export interface CallOptions {
  /** Kill the script's whole process group after this many ms. */
  timeoutMs: number;
  log?: WriteStream;
  /** Extra environment for the script. */
  env?: NodeJS.ProcessEnv;
}

/** Grace between SIGTERM and SIGKILL of a timed-out script's process group. */
const KILL_GRACE_MS = 2000;

/**
 * Calls `providers/<name>/<verb>` with an argument vector (never a shell),
 * one JSON document on stdin, the result on stdout's last line.
 */
export class ProviderRunner {
  constructor(readonly providersDir: string, readonly cwd: string, readonly env: NodeJS.ProcessEnv = process.env) {}

  scriptPath(provider: ProviderName, verb: Verb): string {
    return join(this.providersDir, provider, verb);
  }

  /** Names every script that is missing or not executable, before anything runs. */
  checkScripts(needed: Iterable<[ProviderName, Verb]>): void {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const [p, v] of needed) {
      const path = this.scriptPath(p, v);
      if (seen.has(path)) continue;
      seen.add(path);
      try {
        if (!statSync(path).isFile()) throw new Error('not a file');
        accessSync(path, constants.X_OK);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        problems.push(`${path}: ${code === 'ENOENT' ? 'missing' : code === 'EACCES' ? 'not executable (chmod +x it)' : (e as Error).message}`);
      }
    }
    if (problems.length) throw new HvkitError(`provider scripts are not ready, nothing was run:\n  ${problems.join('\n  ')}`);
  }

  async call(provider: ProviderName, verb: Verb, input: Record<string, unknown>, opts: CallOptions): Promise<CallResult> {
    assertSafeInput(input);
    const path = this.scriptPath(provider, verb);
    const args = argsOf(input);
    const started = Date.now();
    opts.log?.write(`\n$ ${[path, ...args].join(' ')}\n`);
    return new Promise((resolve) => {
      const child = spawn(path, args, {
        cwd: this.cwd,
        env: { ...this.env, ...opts.env, HVKIT_VERB: verb },
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group, so a timeout kills the script and everything it started.
        detached: true,
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      let killTimer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(child.pid, 'SIGTERM');
        killTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), KILL_GRACE_MS);
      }, opts.timeoutMs);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        opts.log?.write(d);
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.length > 64_000) stderr = stderr.slice(-32_000);
        opts.log?.write(d);
      });
      child.stdin.on('error', () => {
        // A script that does not read its input closes stdin early; that is its choice.
      });
      child.stdin.end(JSON.stringify(input));
      const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
        clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        if (timedOut) killGroup(child.pid, 'SIGKILL');
        const last = stdout.trim().split('\n').pop() ?? '';
        let result: Record<string, unknown> | undefined;
        try {
          const parsed = last ? JSON.parse(last) : undefined;
          if (parsed && typeof parsed === 'object') result = parsed;
        } catch {
          result = undefined;
        }
        if (spawnError) stderr += `\ncannot run ${path}: ${spawnError.message}`;
        if (timedOut) stderr += `\nhvkit: killed after the ${Math.round(opts.timeoutMs / 1000)}s step timeout`;
        const ms = Date.now() - started;
        opts.log?.write(`# exit ${exitCode ?? signal} after ${ms} ms${timedOut ? ' (timed out)' : ''}\n`);
        resolve({ ok: exitCode === 0 && !timedOut, exitCode, signal, timedOut, result, stderrTail: tail(stderr, 10), ms });
      };
      child.on('error', (e) => finish(null, null, e));
      child.on('close', (code, signal) => finish(code, signal));
    });
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The argument vector: names only, each checked to be a DNS label. */
function argsOf(input: Record<string, unknown>): string[] {
  const args: string[] = [];
  const host = (input.host as { name?: string } | undefined)?.name;
  const guest = (input.guest as { name?: string } | undefined)?.name;
  const target = (input.target as { name?: string } | undefined)?.name;
  if (host) args.push('--host', host);
  if (guest) args.push('--guest', guest);
  if (target) args.push('--target', target);
  return args;
}

/** Defence in depth: the manifest was validated, but nothing unchecked reaches a script. */
function assertSafeInput(input: Record<string, unknown>): void {
  for (const key of ['host', 'guest', 'target']) {
    const name = (input[key] as { name?: unknown } | undefined)?.name;
    if (name !== undefined && (typeof name !== 'string' || !DNS_LABEL.test(name))) {
      throw new HvkitError(`refusing to call a provider with ${key} name ${JSON.stringify(name)}: names must be DNS labels`);
    }
  }
}
