/**
 * The brand every copy of hvkit puts on its errors. A fleet app is bundled
 * with its own copy of hvkit, whose classes are not the CLI's: `instanceof`
 * cannot tell its errors apart from a bug, the brand (a registry symbol,
 * shared by all copies) can.
 */
const HVKIT_ERROR: unique symbol = Symbol.for('hvkit.error');

/**
 * Errors a user can act on. The CLI prints `message` (one line per problem)
 * and exits with `exitCode`; anything that is not an HvkitError is a bug and
 * is reported as such. Recognise one with {@link isHvkitError}, not `instanceof`.
 */
export class HvkitError extends Error {
  readonly [HVKIT_ERROR] = true;
  readonly exitCode: number;
  /** @param options.exitCode what the CLI exits with; @default 1 */
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'HvkitError';
    this.exitCode = options.exitCode ?? 1;
  }
}

/** What the CLI needs of an HvkitError, from whichever copy of hvkit threw it. */
export interface HvkitErrorLike {
  readonly name: string;
  readonly message: string;
  readonly exitCode: number;
  /** Set on a ValidationError: every problem, by construct path. */
  readonly problems?: readonly Problem[];
}

/** True for an HvkitError (a ValidationError too) of any copy of hvkit. */
export function isHvkitError(e: unknown): e is HvkitErrorLike {
  return typeof e === 'object' && e !== null && (e as { [HVKIT_ERROR]?: unknown })[HVKIT_ERROR] === true &&
    typeof (e as { message?: unknown }).message === 'string' && typeof (e as { exitCode?: unknown }).exitCode === 'number';
}

/** True for a ValidationError of any copy of hvkit. */
export function isValidationError(e: unknown): e is HvkitErrorLike & { readonly problems: readonly Problem[] } {
  return isHvkitError(e) && Array.isArray(e.problems);
}

/** One problem found while validating a fleet, named by its construct path. */
export interface Problem {
  readonly path: string;
  readonly message: string;
}

/** Every validation problem of a fleet, collected and thrown once. */
export class ValidationError extends HvkitError {
  readonly problems: readonly Problem[];
  constructor(problems: readonly Problem[]) {
    super(
      `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${fleetsOf(problems)}:\n` +
        problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
    this.name = 'ValidationError';
    this.problems = problems;
  }
}

/** "the fleet" when every problem is in one fleet, else "fleets a, b" (paths start with the fleet, or the App's stack). */
function fleetsOf(problems: readonly Problem[]): string {
  const roots = [...new Set(problems.map((p) => p.path.split('/')[0]))].sort();
  return roots.length > 1 ? `${roots.length} fleets (${roots.join(', ')})` : 'the fleet';
}

export function assertNever(x: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
