import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, createReadStream, existsSync, fstatSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync, type WriteStream } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { HvkitError } from '../errors';
import { DNS_LABEL } from '../manifest/names';
import { printableLine } from '../render/printable';
import { SpawnHelper } from './private/spawn-helper';
import type { ProviderName } from '../manifest/types';

export const VERBS = ['facts', 'list', 'create', 'destroy', 'start', 'stop', 'set-memory', 'set-vcpus', 'set-cpu', 'set-disk-io', 'migrate', 'reboot', 'console', 'rename', 'stats'] as const;
export type Verb = (typeof VERBS)[number];

export interface CallResult {
  ok: boolean;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  /** Parsed JSON of stdout's last line, when there is one. */
  result: Record<string, unknown> | undefined;
  stderrTail: string;
  /** Why the script could not be started at all (it never ran), e.g. "its interpreter /nonexistent/node was not found". */
  startError?: string;
  ms: number;
}

export interface CallOptions {
  /** Kill the script's whole process group after this many ms. */
  timeoutMs: number;
  log?: WriteStream;
  /** The file `log` writes to: the spawn helper appends the script's stderr there directly, so the log is live. */
  logPath?: string;
  /** Extra environment for the script. */
  env?: NodeJS.ProcessEnv;
}

/** Grace between SIGTERM and SIGKILL of a timed-out script's process group. */
const KILL_GRACE_MS = 2000;

/**
 * What is kept in memory of a script's output: the whole of it goes to the
 * step log on disk, but only stdout's last line is the answer and stderr's
 * last lines are shown, so a chatty script cannot grow apply's memory.
 */
const STDOUT_KEEP = 4 * 1024 * 1024;
const STDERR_KEEP = 64 * 1024;

/**
 * Calls `providers/<name>/<verb>` with an argument vector (never a shell),
 * one JSON document on stdin, the result on stdout's last line.
 */
export class ProviderRunner {
  private helper?: SpawnHelper;
  private ioDir?: string;
  private calls = 0;
  /** Process groups of the scripts running now (each script leads its own). */
  private readonly groups = new Set<number>();

  /**
   * Sends `signal` to every running script's process group: apply's second
   * interrupt, so no script goes on changing the hypervisor once hvkit, which
   * would record it, is gone.
   */
  signalRunning(signal: NodeJS.Signals): void {
    for (const pid of this.groups) killGroup(pid, signal);
  }

  /**
   * @param opts.fastSpawn start scripts through the hvkit-spawn helper (posix_spawn)
   *   when it is built and HVKIT_SPAWN is not `node`; apply uses it for its many steps.
   *   Call close() when done.
   */
  constructor(readonly providersDir: string, readonly cwd: string, readonly env: NodeJS.ProcessEnv = process.env, opts: { fastSpawn?: boolean } = {}) {
    if (opts.fastSpawn && env.HVKIT_SPAWN !== 'node') this.helper = SpawnHelper.start(env);
  }

  /** Stops the spawn helper and removes the files it exchanged. */
  close(): void {
    this.helper?.close();
    if (this.ioDir) rmSync(this.ioDir, { recursive: true, force: true });
  }

  scriptPath(provider: ProviderName, verb: Verb): string {
    return join(this.providersDir, provider, verb);
  }

  /** Whether `provider` has an executable script for `verb`: a provider may leave out the verbs it cannot do (`rename`). */
  hasVerb(provider: ProviderName, verb: Verb): boolean {
    const path = this.scriptPath(provider, verb);
    try {
      accessSync(path, constants.X_OK);
      return statSync(path).isFile();
    } catch {
      return false;
    }
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
    opts.log?.write(`\n$ ${[path, ...args].join(' ')}\n`);
    if (this.helper?.usable) return this.callViaHelper(path, args, verb, input, opts);
    const started = Date.now();
    return new Promise((resolve) => {
      const child = spawn(path, args, {
        cwd: this.cwd,
        env: { ...this.env, ...opts.env, HVKIT_VERB: verb },
        stdio: ['pipe', 'pipe', 'pipe'],
        // Its own process group, so a timeout kills the script and everything it started.
        detached: true,
      });
      const stdout = new Tail(STDOUT_KEEP);
      const stderr = new Tail(STDERR_KEEP);
      const group = child.pid;
      if (group) this.groups.add(group);
      const timeout = groupTimeout(() => child.pid, opts.timeoutMs);
      const toLog = (stream: NodeJS.ReadableStream, keep: Tail) => stream.on('data', (d: Buffer) => {
        keep.push(d);
        // Backpressure: a script that writes faster than the disk waits, rather than piling up in memory.
        if (opts.log && !opts.log.write(d)) {
          stream.pause();
          opts.log.once('drain', () => stream.resume());
        }
      });
      toLog(child.stdout, stdout);
      toLog(child.stderr, stderr);
      child.stdin.on('error', () => {
        // A script that does not read its input closes stdin early; that is its choice.
      });
      child.stdin.end(JSON.stringify(input));
      let settled = false;
      const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException) => {
        if (settled) return;
        settled = true;
        if (group) this.groups.delete(group);
        const timedOut = timeout.stop();
        const startError = spawnError ? whyNotStarted(path, spawnError.code) : undefined;
        const err = stderr.text() + (startError ? `\nhvkit: ${path} could not be started: ${startError}` : '');
        if (startError) opts.log?.write(`hvkit: could not be started: ${startError}\n`);
        resolve(outcome(stdout.text(), err, exitCode, signal, timedOut, started, opts, startError));
      };
      child.on('error', (e) => finish(null, null, e));
      child.on('close', (code, signal) => finish(code, signal));
    });
  }

  private async callViaHelper(path: string, args: string[], verb: Verb, input: Record<string, unknown>, opts: CallOptions): Promise<CallResult> {
    this.ioDir ??= mkdtempSync(join(tmpdir(), 'hvkit-io-'));
    const base = join(this.ioDir, String(++this.calls));
    const live = opts.log && opts.logPath;
    const files = { stdinFile: `${base}.in`, stdoutFile: `${base}.out`, stderrFile: live ? opts.logPath! : `${base}.err` };
    writeFileSync(files.stdinFile, JSON.stringify(input));
    // What the log stream holds must be on disk before the script appends to the same file.
    if (live) await new Promise<void>((r) => opts.log!.write('', () => r()));
    const logStart = live ? statSync(opts.logPath!).size : 0;
    const started = Date.now();
    let pidOf: number | undefined;
    const timeout = groupTimeout(() => pidOf, opts.timeoutMs);
    let exitCode: number | null = null;
    let signal: NodeJS.Signals | null = null;
    let startError: string | undefined;
    try {
      const run = this.helper!.run({ cwd: this.cwd, argv: [path, ...args], env: { ...stringEnv(opts.env), HVKIT_VERB: verb }, ...files });
      run.pid.then((p) => this.groups.add((pidOf = p)), () => undefined);
      const r = await run.done;
      exitCode = r.code;
      signal = r.signal ? (osSignalName(r.signal) as NodeJS.Signals) : null;
    } catch (e) {
      const errno = (e as { errno?: number }).errno;
      startError = whyNotStarted(path, errno === undefined ? undefined : errnoName(errno), (e as Error).message);
    }
    if (pidOf) this.groups.delete(pidOf);
    const timedOut = timeout.stop();
    // Only the tails are read into memory (cut as bytes, then decoded); the log gets the whole output from disk.
    const stdout = readTail(files.stdoutFile, 0, STDOUT_KEEP);
    let stderr = live ? readTail(opts.logPath!, logStart, STDERR_KEEP) : readTail(files.stderrFile, 0, STDERR_KEEP);
    if (startError) stderr += `\nhvkit: ${path} could not be started: ${startError}`;
    if (opts.log) {
      await appendFileTo(opts.log, files.stdoutFile);
      if (!live) await appendFileTo(opts.log, files.stderrFile);
      if (startError) opts.log.write(`hvkit: could not be started: ${startError}\n`);
    }
    rmSync(files.stdinFile, { force: true });
    rmSync(files.stdoutFile, { force: true });
    if (!live) rmSync(files.stderrFile, { force: true });
    return outcome(stdout, stderr, exitCode, signal, timedOut, started, opts, startError);
  }
}

/** Keeps the last `max` bytes of a stream (give or take a chunk), as text. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly max: number) {}
  push(d: Buffer): void {
    this.chunks.push(d);
    this.size += d.length;
    while (this.size - this.chunks[0].length >= this.max) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.max)).toString();
  }
}

/** The last `max` bytes of a file from `start` on; '' when there is no file. */
function readTail(file: string, start: number, max: number): string {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const from = Math.max(start, size - max);
    const buf = Buffer.alloc(Math.max(0, size - from));
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got).toString();
  } finally {
    closeSync(fd);
  }
}

/** Streams a file onto the end of a log, with backpressure. */
async function appendFileTo(log: WriteStream, file: string): Promise<void> {
  if (!existsSync(file)) return;
  await new Promise<void>((resolve, reject) => {
    const src = createReadStream(file);
    src.on('error', reject);
    src.on('end', () => resolve());
    src.pipe(log, { end: false });
  });
}

function errnoName(errno: number): string | undefined {
  return Object.entries(osConstants.errno).find(([, v]) => v === errno)?.[0];
}

/**
 * Why exec failed, in words: for a script, ENOENT most often means its `#!`
 * interpreter is missing, not the script itself.
 */
export function whyNotStarted(path: string, code: string | undefined, fallback = 'it could not be run'): string {
  if (!existsSync(path)) return `${path} does not exist`;
  let interpreter: string | undefined;
  try {
    const head = readHead(path, 256).split('\n')[0];
    interpreter = head.startsWith('#!') ? head.slice(2).trim().split(/\s+/)[0] : undefined;
  } catch {
    interpreter = undefined;
  }
  if (interpreter !== undefined && (code === 'ENOENT' || code === 'EACCES' || code === 'ENOEXEC')) {
    if (!existsSync(interpreter)) return `its interpreter ${printableLine(interpreter)} was not found`;
    try {
      accessSync(interpreter, constants.X_OK);
    } catch {
      return `its interpreter ${printableLine(interpreter)} is not executable`;
    }
  }
  if (code === 'EACCES') return `${path} is not executable (chmod +x it)`;
  if (code === 'ENOEXEC') return `${path} is not a program the system can run (no #! line?)`;
  return code ? `${code}${fallback ? ` (${fallback})` : ''}` : fallback;
}

/** Kills the process group after the timeout, SIGTERM then SIGKILL; stop() says whether it fired. */
function groupTimeout(pid: () => number | undefined, ms: number): { stop(): boolean } {
  let fired = false;
  let killTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    fired = true;
    killGroup(pid(), 'SIGTERM');
    killTimer = setTimeout(() => killGroup(pid(), 'SIGKILL'), KILL_GRACE_MS);
  }, ms);
  return {
    stop() {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      if (fired) killGroup(pid(), 'SIGKILL');
      return fired;
    },
  };
}

function outcome(stdout: string, stderrText: string, exitCode: number | null, signal: NodeJS.Signals | null, timedOut: boolean, started: number, opts: CallOptions, startError?: string): CallResult {
  let stderr = stderrText;
  const last = stdout.trim().split('\n').pop() ?? '';
  let result: Record<string, unknown> | undefined;
  try {
    const parsed = last ? JSON.parse(last) : undefined;
    if (parsed && typeof parsed === 'object') result = parsed;
  } catch {
    result = undefined;
  }
  if (timedOut) stderr += `\nhvkit: killed after the ${Math.round(opts.timeoutMs / 1000)}s step timeout`;
  const ms = Date.now() - started;
  opts.log?.write(startError ? `# not started after ${ms} ms\n` : `# exit ${exitCode ?? signal} after ${ms} ms${timedOut ? ' (timed out)' : ''}\n`);
  return { ok: exitCode === 0 && !timedOut && !startError, exitCode, signal, timedOut, result, stderrTail: tail(stderr, 10), ...(startError ? { startError } : {}), ms };
}

function stringEnv(env: NodeJS.ProcessEnv | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

function osSignalName(n: number): string | null {
  return Object.entries(osConstants.signals).find(([, v]) => v === n)?.[0] ?? null;
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
  const from = (input.from as { name?: string } | undefined)?.name;
  if (host) args.push('--host', host);
  if (guest) args.push('--guest', guest);
  if (target) args.push('--target', target);
  if (from) args.push('--from', from);
  return args;
}

/** Defence in depth: the manifest was validated, but nothing unchecked reaches a script. */
function assertSafeInput(input: Record<string, unknown>): void {
  for (const key of ['host', 'guest', 'target', 'from']) {
    const name = (input[key] as { name?: unknown } | undefined)?.name;
    if (name !== undefined && (typeof name !== 'string' || !DNS_LABEL.test(name))) {
      throw new HvkitError(`refusing to call a provider with ${key} name ${JSON.stringify(name)}: names must be DNS labels`);
    }
  }
}

/** The first `max` bytes of a file. */
function readHead(file: string, max: number): string {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(max);
    return buf.subarray(0, readSync(fd, buf, 0, max, 0)).toString();
  } finally {
    closeSync(fd);
  }
}
