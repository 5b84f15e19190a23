import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SEP = '\x1f';

export interface HelperRequest {
  cwd: string;
  argv: string[];
  env: Record<string, string>;
  stdinFile: string;
  stdoutFile: string;
  stderrFile: string;
}

interface Pending {
  started: (pid: number) => void;
  exited: (r: { code: number | null; signal: number }) => void;
  failed: (e: Error) => void;
}

/** Where `npm install` (bin/build.mjs) puts the compiled helper, from the bundle or from source. */
export function helperPath(): string | undefined {
  for (const rel of ['./hvkit-spawn', '../../../dist/hvkit-spawn']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * Talks to the hvkit-spawn helper (spawn-helper.c): requests on its stdin,
 * "started"/"exited" answers on its stdout. One helper serves a whole apply.
 */
export class SpawnHelper {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private dead?: Error;

  private constructor(path: string, env: NodeJS.ProcessEnv) {
    // Its own process group, as the scripts it starts: a Ctrl-C on a terminal reaches the whole
    // foreground group, and the helper must outlive it so a graceful stop still hears the scripts end.
    this.child = spawn(path, [], { stdio: ['pipe', 'pipe', 'inherit'], env, detached: true });
    this.child.on('error', (e) => this.fail(e));
    this.child.on('exit', (code) => this.fail(new Error(`hvkit-spawn exited (${code})`)));
    this.child.stdin!.on('error', (e) => this.fail(e));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
  }

  static start(env: NodeJS.ProcessEnv, path = helperPath()): SpawnHelper | undefined {
    return path ? new SpawnHelper(path, env) : undefined;
  }

  get usable(): boolean {
    return !this.dead;
  }

  /** Starts a process; `pid` resolves once it runs, `done` when it exits. */
  run(req: HelperRequest): { pid: Promise<number>; done: Promise<{ code: number | null; signal: number }> } {
    const fields = [req.cwd, req.stdinFile, req.stdoutFile, req.stderrFile, ...Object.entries(req.env).map(([k, v]) => `${k}=${v}`), ...req.argv];
    if (fields.some((f) => f.includes(SEP) || f.includes('\n'))) throw new Error('a value holds a separator the spawn helper cannot pass');
    if (this.dead) throw this.dead;
    const id = this.next++;
    let started!: (pid: number) => void;
    let failStart!: (e: Error) => void;
    let exited!: (r: { code: number | null; signal: number }) => void;
    let failDone!: (e: Error) => void;
    const pid = new Promise<number>((res, rej) => ((started = res), (failStart = rej)));
    const done = new Promise<{ code: number | null; signal: number }>((res, rej) => ((exited = res), (failDone = rej)));
    // A failure to start is reported through `done`; `pid` must not count as unhandled.
    pid.catch(() => undefined);
    this.pending.set(id, { started, exited, failed: (e) => (failStart(e), failDone(e)) });
    this.child.stdin!.write([String(id), ...fields.slice(0, 4), String(Object.keys(req.env).length), ...fields.slice(4)].join(SEP) + '\n');
    return { pid, done };
  }

  close(): void {
    this.child.stdin!.end();
  }

  private onLine(line: string): void {
    const [kind, idText, a, b] = line.split(' ');
    const p = this.pending.get(Number(idText));
    if (!p) return;
    if (kind === 'S') p.started(Number(a));
    else if (kind === 'E') {
      this.pending.delete(Number(idText));
      // The errno travels with the error, so the runner can say why (a missing #! interpreter is ENOENT).
      p.failed(Object.assign(new Error(`cannot start it (errno ${a})`), { errno: Number(a) }));
    } else if (kind === 'X') {
      this.pending.delete(Number(idText));
      p.exited({ code: Number(a) < 0 ? null : Number(a), signal: Number(b) });
    }
  }

  private fail(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    for (const p of this.pending.values()) p.failed(e);
    this.pending.clear();
  }
}
