/**
 * Errors a user can act on. The CLI prints `message` (one line per problem)
 * and exits with `exitCode`; anything that is not an HvkitError is a bug and
 * is reported as such.
 */
export class HvkitError extends Error {
  readonly exitCode: number;
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'HvkitError';
    this.exitCode = options.exitCode ?? 1;
  }
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
