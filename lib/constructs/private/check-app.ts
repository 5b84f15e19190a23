import type { Construct } from 'constructs';
import { isValidationError, ValidationError, type Problem } from '../../errors';
import { report } from '../../synth/app-protocol';
import { Guest, Host } from '../host';

const checked = new WeakSet<Construct>();

/** What the check needs of a Fleet (passed in: fleet.ts imports this file). */
interface FleetLike extends Construct {
  manifest(): unknown;
}

/**
 * Validates every fleet of an app at once, the first time one of its fleets
 * is prepared for synthesis, so a user sees all problems in one run whatever
 * App the fleets live in. Throws a ValidationError listing them; under the
 * hvkit CLI they are also reported to it, which prints them one per line.
 */
export function checkApp(root: Construct, isFleet: (c: unknown) => c is FleetLike): void {
  if (checked.has(root)) return;
  checked.add(root);
  const problems: Problem[] = [];
  const all = root.node.findAll();
  for (const c of all) {
    if (Host.isHost(c) && !isFleet(c.node.scope) && !Host.isHost(c.node.scope)) {
      problems.push({ path: c.node.path, message: 'a Host must be created inside a Fleet' });
    }
    if (Guest.isGuest(c) && !Host.isHost(c.node.scope) && !isFleet(c.node.scope)) {
      problems.push({ path: c.node.path, message: 'a Guest must be created inside the Host it runs on' });
    }
  }
  for (const f of all.filter(isFleet)) {
    try {
      f.manifest();
    } catch (e) {
      if (!isValidationError(e)) throw e;
      problems.push(...e.problems);
    }
  }
  if (problems.length === 0) return;
  report({ kind: 'problems', problems });
  throw new ValidationError(problems);
}
