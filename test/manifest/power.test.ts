import { describe, expect, it } from 'vitest';
import { renderConfig } from '../../lib/hypervisor/render';
import { WEB_HOST_8G, manifestOf, problemsOf, web } from '../helpers/fleet';

describe('Guest prop power', () => {
  it("defaults to 'running'", () => {
    expect(manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB') } } }).guests[0].power).toBe('running');
  });

  it("takes 'stopped' without changing the rendered hypervisor config", () => {
    const running = manifestOf({ h: { props: { ...WEB_HOST_8G, provider: 'libvirt' }, guests: { 'web-01': web('1GiB') } } });
    const stopped = manifestOf({ h: { props: { ...WEB_HOST_8G, provider: 'libvirt' }, guests: { 'web-01': web('1GiB', { power: 'stopped' }) } } });
    expect(stopped.guests[0].power).toBe('stopped');
    expect(renderConfig(stopped.hosts[0], stopped.guests[0]).text).toBe(renderConfig(running.hosts[0], running.guests[0]).text);
  });

  it('refuses any other value in one line naming the guest', () => {
    expect(problemsOf(() => manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB', { power: 'off' as never }) } } })))
      .toEqual(["tokyo/h/web-01: power 'off' must be one of 'running', 'stopped'"]);
  });

  it('names the prop for a typo', () => {
    expect(problemsOf(() => manifestOf({ h: { props: WEB_HOST_8G, guests: { 'web-01': { ...web('1GiB'), powr: 'stopped' } as never } } })).join('\n'))
      .toContain("unknown prop 'powr': did you mean 'power'?");
  });
});
