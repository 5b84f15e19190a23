import { Construct } from 'constructs';
import type { HostGroupProps } from '../manifest/props';
import { refuseMissingScope, refuseUnusableId } from './host';

const HOST_GROUP = Symbol.for('hvkit.HostGroup');

/**
 * Guests created inside a HostGroup are placed by hvkit on a host the group
 * selects: a host of its provider carrying every tag of its selector (and of
 * each guest's own `hostSelector`). It holds no hosts; create it in the
 * Fleet, and the guests in it.
 *
 * ```ts
 * const rackB = new HostGroup(fleet, 'rack-b', { selector: { rack: 'b' } });
 * new Guest(rackB, 'web-09', { role: 'web', vcpus: 2, memory: '4GiB' });
 * ```
 */
export class HostGroup extends Construct {
  static isHostGroup(x: unknown): x is HostGroup {
    return typeof x === 'object' && x !== null && HOST_GROUP in x;
  }
  readonly props: HostGroupProps;
  constructor(scope: Construct, id: string, props: HostGroupProps = {}) {
    refuseMissingScope(scope, id, 'HostGroup', 'the Fleet');
    refuseUnusableId(scope, id);
    super(scope, id);
    Object.defineProperty(this, HOST_GROUP, { value: true });
    this.props = props;
  }
  /** The group's name (its construct id). */
  get name(): string {
    return this.node.id;
  }
}
