/** What `movedFrom` is checked against: a guest of code, by name. */
export interface MovedFromGuest {
  readonly name: string;
  readonly path: string;
  readonly movedFrom: string | null;
}

/**
 * Why a guest's `movedFrom` cannot be a rename, from the code alone, or
 * undefined when code allows it: the old name is still a guest in code, is
 * itself moved from another (hvkit follows no chains), or another guest
 * (`claimed`, the first guest in name order to name each old name) took it.
 * The manifest build refuses these, so validate, synth and plan say the same;
 * the planner asks again of the manifests it is given.
 * @param inCode every guest of code, placed or not, by name
 * @param claimed old name → the first guest that names it, filled in by the caller as it goes
 */
export function movedFromConflict(g: MovedFromGuest, inCode: ReadonlyMap<string, MovedFromGuest>, claimed: ReadonlyMap<string, MovedFromGuest>): string | undefined {
  const old = g.movedFrom;
  // Its own name is a mistake of its own, which the guest's build reports.
  if (old === null || old === g.name) return undefined;
  const other = inCode.get(old);
  if (other) {
    return other.movedFrom === null
      ? `${old} is still in code (${other.path}): remove that guest, or remove movedFrom from ${g.name}`
      : `${old} is itself moved from ${other.movedFrom}, and hvkit does not follow chains of renames: set movedFrom: '${other.movedFrom}' on ${g.name} and remove ${old}, or apply one rename before writing the next`;
  }
  const first = claimed.get(old);
  if (first) return `${first.name} (${first.path}) is moved from ${old} too: only one guest can take its place; remove movedFrom from one of them`;
  return undefined;
}

/** The problems of every guest's `movedFrom` against the others (guests in name order), as `path: message`. */
export function movedFromProblems(guests: readonly MovedFromGuest[]): { path: string; message: string }[] {
  const inCode = new Map(guests.map((g) => [g.name, g]));
  const claimed = new Map<string, MovedFromGuest>();
  const out: { path: string; message: string }[] = [];
  for (const g of guests) {
    if (g.movedFrom === null) continue;
    const conflict = movedFromConflict(g, inCode, claimed);
    if (conflict) out.push({ path: g.path, message: `movedFrom '${g.movedFrom}': ${conflict}` });
    if (!claimed.has(g.movedFrom)) claimed.set(g.movedFrom, g);
  }
  return out;
}
