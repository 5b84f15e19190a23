import type { Construct } from 'constructs';
import { isValidationError, ValidationError, type Problem } from '../../errors';
import { report } from '../../synth/app-protocol';
import { Guest, Host } from '../host';
import { HostGroup } from '../host-group';

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
    // A Host inside a Host or HostGroup of a fleet is the fleet's problem (Fleet.toInput), told once.
    const scope = c.node.scope;
    if (Host.isHost(c) && !isFleet(scope) && !Host.isHost(scope) && !HostGroup.isHostGroup(scope)) {
      problems.push({ path: c.node.path, message: 'a Host must be created inside a Fleet' });
    }
    if (Guest.isGuest(c) && !Host.isHost(scope) && !isFleet(scope) && !HostGroup.isHostGroup(scope)) {
      problems.push({ path: c.node.path, message: Guest.isGuest(scope) ? 'a Guest must be created inside a Host, a HostGroup or the Fleet, not inside another Guest' : 'a Guest must be created inside the Host it runs on, or in a Fleet or HostGroup to have hvkit place it' });
    }
    if (HostGroup.isHostGroup(c) && !isFleet(scope)) {
      problems.push({ path: c.node.path, message: 'a HostGroup must be created directly in a Fleet' });
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
