import { describe, expect, it } from 'vitest';
import { renderConfig } from '../../lib/hypervisor/render';
import { canonicalJson } from '../../lib/manifest/canonical';
import { WEB_HOST_8G, manifestOf, web } from '../helpers/fleet';

describe('local config rendering', () => {
  it('writes canonical JSON (sorted keys), so it matches canonicalJson byte for byte', () => {
    const m = manifestOf({ h: { props: WEB_HOST_8G, guests: { g: web('1GiB', { cpuWeight: 256 }) } } });
    const text = renderConfig(m.hosts[0], m.guests[0]).text;
    expect(text).toBe(canonicalJson(JSON.parse(text)));
  });
});

describe('libvirt domain XML rendering', () => {
  const m = manifestOf({ h: { props: { ...WEB_HOST_8G, provider: 'libvirt' }, guests: { 'web-01': web('3.5GiB', { maxVcpus: 4, cpuWeight: 512, cpuCap: 50 }) } } });
  const [host, guest] = [m.hosts[0], m.guests[0]];

  it('carries name, name-derived uuid and MAC, memory/currentMemory, vcpu current/max, disk, bridge NIC, balloon and serial console', () => {
    const xml = renderConfig(host, guest).text;
    expect(xml).toContain(`<name>web-01</name>\n  <uuid>${guest.uuid}</uuid>`);
    expect(xml).toContain("<memory unit='MiB'>5632</memory>\n  <currentMemory unit='MiB'>3584</currentMemory>");
    expect(xml).toContain("<vcpu placement='static' current='2'>4</vcpu>");
    expect(xml).toContain(`<source file='/var/lib/hvkit/images/web-01-sda-0.qcow2'/>`);
    expect(xml).toContain(`<mac address='${guest.nics[0].mac}'/>\n      <source bridge='br0'/>`);
    expect(xml).toContain("<memballoon model='virtio'/>");
    expect(xml).toContain("<console type='pty'>");
    expect(xml).toContain('<shares>512</shares>');
  });

  it('renders the same bytes every time (rebuilds are identical)', () => {
    expect(renderConfig(host, guest).text).toBe(renderConfig(host, structuredClone(guest)).text);
  });

  it('escapes hostile values even though validation refuses them first', () => {
    const hostile = { ...guest, name: "x'/><evil a='", path: 'tokyo/h/<script>&"', kernel: "/boot/'$(reboot)'" };
    const xml = renderConfig(host, hostile).text;
    expect(xml).toContain('<name>x&apos;/&gt;&lt;evil a=&apos;</name>');
    expect(xml).toContain('hvkit: tokyo/h/&lt;script&gt;&amp;&quot; (role web)');
    expect(xml).toContain('<kernel>/boot/&apos;$(reboot)&apos;</kernel>');
    expect(xml).not.toMatch(/<evil|<script/);
  });
});
