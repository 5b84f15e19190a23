/** Every kind of finding a plan can carry; a closed union so renderers switch exhaustively. */
export type DiagnosticCode =
  | 'memory-over'
  | 'vcpus-over'
  | 'disk-over'
  | 'cpu-load'
  | 'iops'
  | 'network'
  | 'anti-affinity'
  | 'stranded'
  | 'unorderable'
  | 'retire-not-empty'
  | 'memory-upgrade'
  | 'recovered'
  | 'apply-running'
  | 'memory-short'
  | 'drift'
  | 'unreachable'
  /** `--target` limited the plan: it may be incomplete. */
  | 'targeting'
  /** A plan would destroy the data of a guest with lifecycle.preventDestroy. */
  | 'prevent-destroy'
  /** A value lifecycle.ignoreChanges keeps no longer fits the code's limits. */
  | 'ignore-changes'
  /** A guest's `movedFrom`: a rename that cannot be planned, is not needed, or falls back to destroy and create. */
  | 'rename'
  /** The fleet could not recreate some host's guests on the others after losing it (N+1); an error with `nPlusOne: 'require'`. */
  | 'n-plus-one'
  /** A guest hvkit places fits no host (or no host matches its provider and selector). */
  | 'unplaceable'
  /** A guest's measured p95 load exceeds its declared load by more than `capacity.measuredOverDeclared`. */
  | 'measured-over-declared'
  /** A host's measured p95 load crosses its soft limits. */
  | 'overload'
  /** The fleet's measured load could not be read: the plan weighs declared load only. */
  | 'measured-load';

export type Severity = 'error' | 'warning' | 'note';

export interface Diagnostic {
  severity: Severity;
  code: DiagnosticCode;
  /** Construct path (or host/guest name) the finding is about. */
  path: string;
  message: string;
}

export function sortDiagnostics(d: Diagnostic[]): Diagnostic[] {
  const rank: Record<Severity, number> = { error: 0, warning: 1, note: 2 };
  return d.sort((a, b) => rank[a.severity] - rank[b.severity] || cmp(a.path, b.path) || cmp(a.code, b.code) || cmp(a.message, b.message));
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
