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
