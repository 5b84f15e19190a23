import { Construct } from 'constructs';
import { ValidationError, type Problem } from '../errors';
import { report } from '../synth/app-protocol';
import type { GuestProps, HostProps } from '../manifest/props';

const HOST = Symbol.for('hvkit.Host');
const GUEST = Symbol.for('hvkit.Guest');

/**
 * A homemade server that runs a hypervisor. Guests created inside it run on
 * it: the construct tree is the parent relation.
 */
export class Host extends Construct {
  static isHost(x: unknown): x is Host {
    return typeof x === 'object' && x !== null && HOST in x;
  }
  readonly props: HostProps;
  constructor(scope: Construct, id: string, props: HostProps) {
    refuseMissingScope(scope, id, 'Host', 'the Fleet or HostGroup');
    refuseUnusableId(scope, id);
    super(scope, id);
    Object.defineProperty(this, HOST, { value: true });
    this.props = props;
  }
  /** The host's name (its construct id). */
  get name(): string {
    return this.node.id;
  }
}

/**
 * A guest VM. Created inside a Host, it runs there; created in the Fleet or
 * in a HostGroup, hvkit places it on a host at plan time (sticky once
 * applied; see the README's "Placement").
 */
export class Guest extends Construct {
  static isGuest(x: unknown): x is Guest {
    return typeof x === 'object' && x !== null && GUEST in x;
  }
  readonly props: GuestProps;
  constructor(scope: Construct, id: string, props: GuestProps) {
    refuseMissingScope(scope, id, 'Guest', 'the Host, HostGroup or Fleet');
    refuseUnusableId(scope, id);
    super(scope, id);
    Object.defineProperty(this, GUEST, { value: true });
    this.props = props;
  }
  get name(): string {
    return this.node.id;
  }
}

/**
 * Without a scope the constructs library makes a root that no Fleet holds,
 * so the construct vanished from the manifest without a word (typically
 * `hosts[0]` of an empty array); name it instead.
 */
export function refuseMissingScope(scope: Construct | undefined, id: string, kind: string, where: string): void {
  if (scope !== undefined && scope !== null) return;
  const problems: Problem[] = [{ path: String(id), message: `new ${kind}(${String(scope)}, '${String(id)}', …) has no scope: pass ${where} it belongs in (is it an element of an empty array?)` }];
  report({ kind: 'problems', problems });
  throw new ValidationError(problems);
}

/**
 * An id the constructs library would refuse in words about its own internals,
 * refused in hvkit's: one it reserves (it keeps children in a plain object, so
 * `constructor`, a valid DNS label, reads as "already used"), or one taken.
 */
export function refuseUnusableId(scope: Construct, id: string): void {
  const path = scope?.node?.path ? `${scope.node.path}/${id}` : id;
  if (id in Object.prototype) stop(path, `'${id}' cannot be a construct id (the constructs library reserves it): choose another name`);
  // The constructs library's own words name its internal class ("in _Fleet [tokyo]").
  const taken = scope?.node?.tryFindChild(id);
  if (taken) stop(path, `${scope.node.id || 'the app'} already has ${kindOf(taken)} named '${id}': give each its own name`);
}

function kindOf(c: unknown): string {
  if (Host.isHost(c)) return 'a host';
  if (Guest.isGuest(c)) return 'a guest';
  // By its mark, not HostGroup.isHostGroup: host-group.ts imports this file.
  if (typeof c === 'object' && c !== null && Symbol.for('hvkit.HostGroup') in c) return 'a host group';
  return 'a construct';
}

function stop(path: string, message: string): never {
  const problems: Problem[] = [{ path, message }];
  // The app stops here: tell the hvkit CLI first, so it prints the problem rather than a crash.
  report({ kind: 'problems', problems });
  throw new ValidationError(problems);
}
