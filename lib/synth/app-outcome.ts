import { HvkitError, ValidationError } from '../errors';
import type { Manifest } from '../manifest/types';
import type { AppEvent } from './app-protocol';

/** What one run of a fleet app made. */
export interface AppRun {
  /** The fleets this run synthesized, sorted by name. */
  readonly manifests: Manifest[];
  /** Per fleet, the folder its cdk.tf.json went to (full synthesis only). */
  readonly outputs: ReadonlyMap<string, string | undefined>;
}

/** How a run of the app ended, before hvkit judges it. */
export interface AppOutcome {
  /** How to name the app to the user: its file, or its command. */
  readonly app: string;
  readonly events: readonly AppEvent[];
  readonly manifests: Manifest[];
  /** Why the app failed (thrown error, exit code), on one line; undefined when it ran to the end. */
  readonly failure?: string;
  /** Where in the user's source the failure was thrown, `file:line:column`. @default unknown */
  readonly at?: string;
  /**
   * The app did what only a process of its own may (process.chdir, umask,
   * setuid): a worker refused it, so the app must run again as a process. @default false
   */
  readonly needsProcess?: boolean;
}

/**
 * The fleets of a run, or the one error that says what went wrong, in the
 * order a user needs it: validation problems (all of them, one per line)
 * before a crash they caused, a crash before "never synthesized".
 */
export function settle(o: AppOutcome): AppRun {
  const problems = o.events.flatMap((e) => (e.kind === 'problems' ? e.problems : []));
  if (problems.length) throw new ValidationError(problems);
  if (o.failure !== undefined) throw new HvkitError(`the app ${o.app} failed${o.at ? ` at ${o.at}` : ''}: ${o.failure}`);
  const outputs = new Map<string, string | undefined>();
  for (const e of o.events) if (e.kind === 'synthesized') outputs.set(e.fleet, e.out);
  const forgotten = o.events
    .filter((e): e is Extract<AppEvent, { kind: 'created' }> => e.kind === 'created')
    .filter((e) => !outputs.has(e.fleet) && !o.manifests.some((m) => m.fleet === e.fleet));
  if (forgotten.length) {
    const [what, it] = forgotten.length === 1 ? ['fleet', 'it'] : ['fleets', 'them'];
    throw new HvkitError(`the app ${o.app} created ${what} ${forgotten.map((e) => e.path).join(', ')} but never synthesized ${it}: call app.synth() at the end of the app (cdktf apps must)`);
  }
  if (o.manifests.length === 0) {
    throw new HvkitError(`the app ${o.app} made no fleet: create a Fleet (import { Fleet } from 'hvkit') in its App and call app.synth()`);
  }
  return { manifests: [...o.manifests].sort((a, b) => (a.fleet < b.fleet ? -1 : a.fleet > b.fleet ? 1 : 0)), outputs };
}

/**
 * The error a crashed Node app printed, on one line: from its `…Error: message`
 * line to the stack trace; else the last line it printed; else its exit code.
 */
export function crashMessage(stderr: string, code: number): string {
  const lines = stderr.split('\n');
  const start = crashStart(lines);
  if (start >= 0) {
    const message: string[] = [];
    for (const l of lines.slice(start)) {
      if (/^\s+at /.test(l) || (message.length && l.trim() === '') || /^\s*\{$/.test(l)) break;
      message.push(l.trim());
    }
    // A plain Error's name adds nothing to "the app … failed:".
    return message.join(' ').replace(/^Error: /, '');
  }
  const last = lines.map((l) => l.trim()).filter(Boolean).pop();
  return last ? `${last} (exit ${code})` : `it exited with code ${code}`;
}

/** The line of a crashed Node app's stderr where its uncaught error begins; -1 when there is none. */
function crashStart(lines: readonly string[]): number {
  return lines.findIndex((l) => /^(?:Uncaught )?[A-Za-z_$][\w$]*(?: \[[A-Z_0-9]+\])?: \S/.test(l) && /(Error|Exception)\b/.test(l.split(':')[0]));
}

/** The uncaught error of a crashed Node app with its stack trace, from its stderr; undefined when it printed none. */
export function crashStack(stderr: string): string | undefined {
  const lines = stderr.split('\n');
  const start = crashStart(lines);
  return start >= 0 ? lines.slice(start).join('\n') : undefined;
}

/** A file that did not compile, as tsx (esbuild) reports it; the column counts from 1. */
export interface CompileError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

/**
 * The first compile error in a crashed tsx app's stderr (`Error [TransformError]:
 * Transform failed with 1 error:` and then `/p/main.ts:5:104: ERROR: …`); undefined when there is none.
 */
export function compileError(stderr: string): CompileError | undefined {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => /^\S*Error \[TransformError\]: /.test(l));
  if (start < 0) return undefined;
  const m = /^(\/.*?):(\d+):(\d+): ERROR: (.+)$/.exec(lines[start + 1] ?? '');
  // esbuild counts columns from 0.
  return m ? { file: m[1], line: Number(m[2]), column: Number(m[3]) + 1, text: m[4].trim() } : undefined;
}
