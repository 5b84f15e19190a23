import { describe, expect, it } from 'vitest';
import { Fleet, Guest, Host, Testing } from '../../lib/index';
import { digestOf } from '../../lib/manifest/canonical';
import { WEB_HOST_8G, manifestOf, web } from '../helpers/fleet';

describe('Guest movedFrom in the Terraform output', () => {
  const triggersOf = (props: ReturnType<typeof web>) => {
    const app = Testing.app();
    const fleet = new Fleet(app, 'tokyo', { provider: 'local' });
    new Guest(new Host(fleet, 'web-host-01', WEB_HOST_8G), 'web-03', props);
    return JSON.parse(Testing.synth(fleet)).resource.null_resource['guest_web-03'].triggers;
  };

  it('keeps the trigger digest a guest had before the field existed, so Terraform re-creates nothing', () => {
    const spec = manifestOf({ 'web-host-01': { props: WEB_HOST_8G, guests: { 'web-03': web('1GiB') } } }).guests[0];
    // Terraform's digest leaves out what never reaches the hypervisor (lifecycle too).
    const { movedFrom: _field, lifecycle: _lifecycle, ...older } = spec;
    expect(triggersOf(web('1GiB')).digest).toBe(digestOf(older));
  });

  it('does not change the digest when movedFrom is added', () => {
    expect(triggersOf(web('1GiB', { movedFrom: 'web-02' })).digest).toBe(triggersOf(web('1GiB')).digest);
  });
});
