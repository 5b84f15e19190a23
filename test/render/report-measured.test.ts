import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measuredFindings } from '../../lib/capacity/measured';
import type { HostLoad, Rates } from '../../lib/load/rates';
import { summarizeLoad } from '../../lib/load/summary';
import { buildManifest } from '../../lib/manifest/build';
import type { GuestProps } from '../../lib/manifest/props';
import type { Manifest } from '../../lib/manifest/types';
import { renderHtml } from '../../lib/render/html';
import { modelFromState } from '../../lib/render/report-model';
import { hasChromium, launch } from '../helpers/browser';
import { stateOf } from '../helpers/fleet';
import { describeWithTool } from '../helpers/tools';

/** host-a: 4 cores, CPU soft limit 3.1 cores; web-03 declares 0.6 cores and db-01 1.2, measured 3.5 and 0.5. */
function fleet(): Manifest {
  const guest = (cpu: number): GuestProps => ({ role: 'web', vcpus: 4, memory: '512MiB', load: { cpu } });
  return buildManifest({
    name: 'tokyo', path: 'tokyo', props: {},
    hosts: [{
      name: 'host-a', path: 'tokyo/host-a',
      props: { cpu: { cores: 4, threads: 8 }, memory: { slots: 4, maxDimm: '4GiB', dimms: ['2GiB', '2GiB'] }, disks: [{ name: 'sda', size: '500GiB', kind: 'ssd' }] },
      guests: [{ name: 'db-01', path: 'tokyo/host-a/db-01', props: guest(1.2) }, { name: 'web-03', path: 'tokyo/host-a/web-03', props: guest(0.6) }],
    }],
    guests: [],
  });
}
const r = (cpu: number): Rates => ({ cpu, iops: 0, netMbps: 0, diskMBps: 0 });
const sample: HostLoad = { host: 'host-a', at: '2026-11-27T10:00:00.000Z', seconds: 5, guests: { 'db-01': r(0.5), 'web-03': r(3.5) }, load: r(4), unmeasured: [] };

function report(): string {
  const m = fleet();
  return renderHtml(modelFromState(stateOf(m), measuredFindings(m.hosts, m.guests, summarizeLoad([sample]))));
}
const card = (html: string) => html.slice(html.indexOf('<section class="host'), html.indexOf('</section>'));
const cpuRow = (html: string) => {
  const c = card(html);
  const at = c.indexOf('<div class="row" data-resource="cpu"');
  return c.slice(at, c.indexOf('<div class="row"', at + 1));
};

describe('HTML report: measured load on the host cards', () => {
  it("lists a guest's measured-over-declared warning on its host's card, after the overload", () => {
    const findings = [...card(report()).matchAll(/<li>(warning: [^<]*)<\/li>/g)].map((m) => m[1]);
    expect(findings).toEqual([
      expect.stringMatching(/^warning: host-a is overloaded: measured CPU 4 cores \(p95 of 1 sample\) crosses its soft limit of 3\.1 cores/),
      'warning: web-03 measured CPU 3.5 cores (p95 of 1 sample) exceeds its declared 0.6 cores (×5.8): declare what it uses, so placement and capacity plans count it',
    ]);
  });

  it('shows the measured p95 on the CPU bar beside the declared load, flagged past the soft limit', () => {
    const row = cpuRow(report());
    expect(row).toContain('data-used="1.8"');
    expect(row).toContain('data-measured="4"');
    expect(row).toMatch(/<span class="p95 bad" style="left:min\(100%,calc\(100% - 3px\)\)" title="measured p95 4"><\/span>/);
    expect(row).toMatch(/<span class="fig bad">1\.8 \/ 3\.1 · 58% · measured p95 4<\/span>/);
  });

  it('draws no measured marker without samples', () => {
    const m = fleet();
    const html = renderHtml(modelFromState(stateOf(m)));
    expect(html).not.toContain('class="p95');
    expect(html).not.toContain('measured p95');
  });
});

describeWithTool('HTML report: the measured marker in a real headless Chromium', 'chromium', hasChromium, 'Debian package chromium is not installed', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('puts the p95 marker past the declared segments, at the right end of the CPU bar', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.setContent(report());
    const bar = page.locator('section.host [data-resource="cpu"] .bar');
    const box = (await bar.boundingBox())!;
    const marker = (await bar.locator('.p95').boundingBox())!;
    const segs = await bar.locator('.seg.guest').evaluateAll((els) => Math.max(...els.map((e) => e.getBoundingClientRect().right)));
    expect(marker.width).toBeGreaterThan(0);
    expect(marker.x).toBeGreaterThan(segs);
    expect(marker.x + marker.width).toBeGreaterThan(box.x + box.width - 4);
    await page.close();
  });
});
