import { Construct } from 'constructs';
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
    super(scope, id);
    Object.defineProperty(this, HOST, { value: true });
    this.props = props;
  }
  /** The host's name (its construct id). */
  get name(): string {
    return this.node.id;
  }
}

/** A guest VM, created inside the Host it runs on. */
export class Guest extends Construct {
  static isGuest(x: unknown): x is Guest {
    return typeof x === 'object' && x !== null && GUEST in x;
  }
  readonly props: GuestProps;
  constructor(scope: Construct, id: string, props: GuestProps) {
    super(scope, id);
    Object.defineProperty(this, GUEST, { value: true });
    this.props = props;
  }
  get name(): string {
    return this.node.id;
  }
}
