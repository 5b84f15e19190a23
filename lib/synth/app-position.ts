import { existsSync, readFileSync } from 'node:fs';
import { SourceMap, type SourceMapPayload } from 'node:module';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One frame of a V8 stack trace; line and column count from 1. */
export interface StackFrame {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/** `at fn (file:line:col)` or `at file:line:col`; `file` may be a file: URL. */
const FRAME = /^\s*at (?:.*? \()?(.+?):(\d+):(\d+)\)?\s*$/;

/** The frames of a V8 stack trace (an Error's `stack`, or a crashed node's stderr), in order; frames without a file are left out. */
export function stackFrames(stack: string): StackFrame[] {
  const frames: StackFrame[] = [];
  for (const l of stack.split('\n')) {
    const m = FRAME.exec(l);
    if (!m) continue;
    let file = m[1].replace(/^async /, '');
    if (file.startsWith('file://')) {
      try {
        file = fileURLToPath(file);
      } catch {
        continue;
      }
    }
    if (!isAbsolute(file)) continue;
    frames.push({ file, line: Number(m[2]), column: Number(m[3]) });
  }
  return frames;
}

/** Where to look for the user's code in a stack trace. */
export interface UserCode {
  /** The project folder: the user's files are in it, outside node_modules. */
  readonly projectDir: string;
  /** Folders of hvkit's own code, which are no user's files even inside the project (hvkit's repository run as a project). @default none */
  readonly exclude?: readonly string[];
  /** The app's bundle and its source map: its frames mean the files it was compiled from. @default none */
  readonly bundle?: { readonly file: string; readonly map: string };
}

/**
 * Finds the position in the user's own source that a stack trace went
 * through first, as `file:line:column` relative to the project: the line of
 * the app that threw, or that called into the package which threw.
 */
export class UserPosition {
  private sourceMap: SourceMap | null | undefined;

  constructor(private readonly code: UserCode) {}

  /** The project folder positions are relative to. */
  get projectDir(): string {
    return this.code.projectDir;
  }

  /** The first user position in `stack`; undefined when no frame is the user's. */
  of(stack: string | undefined): string | undefined {
    if (!stack) return undefined;
    for (const frame of stackFrames(stack)) {
      const f = this.original(frame);
      // A file that is not on disk is none of the user's: the bundle's own start, made up from a string.
      if (f && this.isUsers(f.file) && existsSync(f.file)) return `${relative(this.code.projectDir, f.file)}:${f.line}:${f.column}`;
    }
    return undefined;
  }

  /** The frame in the file it was compiled from: a bundle's frames through its source map. */
  private original(frame: StackFrame): StackFrame | undefined {
    const bundle = this.code.bundle;
    if (!bundle || frame.file !== bundle.file) return frame;
    const map = this.map();
    // Node's SourceMap counts lines and columns from 0, V8's stack traces from 1.
    const entry = map?.findEntry(frame.line - 1, frame.column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
    if (!entry?.originalSource || entry.originalLine === undefined || entry.originalColumn === undefined) return undefined;
    const source = entry.originalSource.startsWith('file://') ? fileURLToPath(entry.originalSource) : resolve(dirname(bundle.file), entry.originalSource);
    return { file: source, line: entry.originalLine + 1, column: entry.originalColumn + 1 };
  }

  /** The bundle's source map, read once; null when it cannot be read. */
  private map(): SourceMap | null {
    if (this.sourceMap === undefined) {
      try {
        this.sourceMap = new SourceMap(JSON.parse(readFileSync(this.code.bundle!.map, 'utf8')) as SourceMapPayload);
      } catch {
        this.sourceMap = null;
      }
    }
    return this.sourceMap;
  }

  private isUsers(file: string): boolean {
    const inside = (dir: string) => file.startsWith(dir.endsWith(sep) ? dir : dir + sep);
    return inside(this.code.projectDir) && !file.split(sep).includes('node_modules') && !(this.code.exclude ?? []).some(inside);
  }
}
