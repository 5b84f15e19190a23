import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderHtml } from '../../lib/render/html';
import { modelFromState } from '../../lib/render/report-model';
import { manifestOf, stateOf, WEB_HOST_8G, web } from '../helpers/fleet';
import { hasChromium, launch } from '../helpers/browser';
import { ROOT, readState, tempProject, type TempProject } from '../helpers/project';
import { describeWithTool } from '../helpers/tools';

const ARTIFACTS = join(ROOT, 'test-artifacts');

describeWithTool('capacity report in a real headless Chromium', 'chromium', hasChromium, 'Debian package chromium is not installed', () => {
  let p: TempProject;
  let browser: Browser;
  let page: Page;
  const requests: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    p = tempProject();
    expect((await p.run(['apply', '--auto-approve'])).code).toBe(0);
    const r = await p.run(['report', '--html', 'report.html']);
    expect(r.out).toBe('Wrote report.html: 4 hosts, 6 guests.\n');
    browser = await launch();
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('request', (req) => requests.push(req.url()));
    await page.goto(`file://${join(p.dir, 'report.html')}`);
  });
  afterAll(async () => {
    await browser?.close();
    p?.cleanup();
  });

  it('is self-contained: the page fetches nothing but itself', () => {
    expect(requests).toEqual([`file://${join(p.dir, 'report.html')}`]);
  });

  it('draws a memory segment per guest, inside its host (the parent relation)', async () => {
    const segs = await page.$$eval('.row[data-resource="memory"] .seg[data-guest]', (els) => els.map((e) => `${e.getAttribute('data-guest')}@${e.closest('.host')!.getAttribute('data-name')}`));
    const state = readState(p.dir);
    expect(segs.sort()).toEqual(Object.values(state.guests as Record<string, { spec: { name: string; host: string } }>).map((g) => `${g.spec.name}@${g.spec.host}`).sort());
  });

  it('sizes segments in proportion: web-01 takes 5.5 of web-host-01’s 8 GiB', async () => {
    const [seg, bar] = await page.$eval('.host[data-name="web-host-01"] .row[data-resource="memory"]', (row) => [
      row.querySelector('.seg[data-guest="web-01"]')!.getBoundingClientRect().width,
      row.querySelector('.bar')!.getBoundingClientRect().width - 2,
    ]);
    expect(seg / bar).toBeCloseTo(5632 / 8192, 2);
  });

  it('filters by guest name, role and host, and sorts', async () => {
    await page.fill('#search', 'web-03');
    expect(await page.$$eval('.host:not(.hidden)', (els) => els.map((e) => e.getAttribute('data-name')))).toEqual(['db-host-01']);
    await page.fill('#search', '');
    await page.selectOption('#role', 'memcached');
    expect(await page.$$eval('.host:not(.hidden)', (els) => els.map((e) => e.getAttribute('data-name')))).toEqual(['web-host-01', 'web-host-02']);
    await page.selectOption('#role', '');
    await page.selectOption('#sort', 'mem');
    // Memory used: web hosts 100%, db-host-01 97%, spare-host-01 6%.
    expect(await page.$$eval('.host', (els) => els.map((e) => e.getAttribute('data-name')))).toEqual(['web-host-01', 'web-host-02', 'db-host-01', 'spare-host-01']);
    await page.selectOption('#sort', 'name');
    expect(await page.textContent('#count')).toBe('4 of 4 hosts');
  });

  it('takes a 1280×800 screenshot of the example fleet', async () => {
    const file = join(ARTIFACTS, 'report-example.png');
    await page.screenshot({ path: file });
    expect((await import('node:fs')).statSync(file).size).toBeGreaterThan(20_000);
  });

  it('shows an over-committed host in red, with the capacity marked', async () => {
    const src = (await import('node:fs')).readFileSync(join(p.dir, 'stacks/main.ts'), 'utf8');
    p.writeStack(src.replace("dimms: upgraded ? ['2GiB', '2GiB', '2GiB', '2GiB'] : ['1GiB', '1GiB', '1GiB', '1GiB']", "dimms: ['2GiB', '2GiB', '2GiB']"));
    try {
      expect((await p.run(['plan', '--out', 'over.plan'])).code).toBe(1);
    } finally {
      // The other tests read the applied example fleet: put its code back.
      p.writeStack(src);
    }
    expect((await p.run(['report', '--html', 'over.html', '--plan', 'over.plan'])).out).toBe('Wrote over.html: 4 hosts, 6 guests, 2 over-committed.\n');
    const over = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await over.goto(`file://${join(p.dir, 'over.html')}`);
    const card = '.host[data-name="web-host-01"]';
    expect(await over.getAttribute(card, 'class')).toContain('overcommitted');
    const zone = await over.$eval(`${card} .row[data-resource="memory"][data-which="after"] .overzone`, (e) => (globalThis as unknown as { getComputedStyle(x: unknown): { backgroundColor: string } }).getComputedStyle(e).backgroundColor);
    expect(zone).toBe('rgba(220, 38, 38, 0.55)');
    expect(await over.$$(`${card} .row[data-resource="memory"][data-which="after"] .cap`)).toHaveLength(1);
    expect(await over.$$(`${card} .row[data-resource="memory"][data-which="before"] .overzone`)).toHaveLength(0);
    await over.screenshot({ path: join(ARTIFACTS, 'report-overcommitted.png') });
    await over.close();
  });

  it('shows a guest named like markup as plain text', async () => {
    const m = manifestOf({ 'host-1': { props: WEB_HOST_8G, guests: { 'web-01': web('1GiB', { tags: { note: '<b id="tag">x</b>' } }) } } });
    const state = stateOf(m);
    const evil = '<img src=x onerror="window.pwned=1">';
    state.guests['web-01'].spec = { ...state.guests['web-01'].spec, name: evil, role: '<script>window.pwned=2</script>' };
    const file = join(p.dir, 'evil.html');
    writeFileSync(file, renderHtml(modelFromState(state)));
    const e = await browser.newPage();
    await e.goto(`file://${file}`);
    expect(await e.$$('img')).toHaveLength(0);
    expect(await e.$$('#tag')).toHaveLength(0);
    expect(await e.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await e.textContent('.guests li')).toContain(evil);
    expect(await e.textContent('.guests li')).toContain('<b id="tag">x</b>');
    await e.close();
  });
});

describe('report model', () => {
  it('shows reserve and overhead, and lists hosts that could be emptied', () => {
    // b runs a guest too: emptying a onto a host that runs nothing would not lower the hosts in use.
    const m = manifestOf({ a: { props: WEB_HOST_8G, guests: { g1: web('1GiB') } }, b: { props: WEB_HOST_8G, guests: { g2: web('3GiB') } } });
    const model = modelFromState(stateOf(m));
    const mem = model.hosts[0].after.find((b) => b.key === 'memory')!;
    expect(mem.segments.map((s) => [s.kind, s.value])).toEqual([['reserve', 512], ['guest', 1024]]);
    expect(model.emptiable).toEqual([{ host: 'a', moves: ['g1 → b'] }, { host: 'b', moves: ['g2 → a'] }]);
  });

  it('judges over-commitment as fit does: vCPUs the host reserves are not counted twice', () => {
    // 8 threads × 4 − 4 reserved = 28 vCPUs for guests, all taken.
    const guests = Object.fromEntries(Array.from({ length: 14 }, (_, i) => [`g${i}`, { role: 'web', vcpus: 2, memory: '64MiB' }]));
    const m = manifestOf({ a: { props: { ...WEB_HOST_8G, reserve: { vcpus: 4 } }, guests } });
    const host = modelFromState(stateOf(m)).hosts[0];
    expect(host.after.find((b) => b.key === 'vcpus')).toMatchObject({ used: 28, capacity: 28, over: false, figure: '28 / 28' });
    expect(host.over).toBe(false);
  });

  it("says the hosts that could be emptied ignore code's placement rules when made from state alone, and follows them when given what hvkit placed", () => {
    const m = manifestOf({ a: { props: WEB_HOST_8G, guests: { g1: web('1GiB') } }, b: { props: WEB_HOST_8G, guests: { g2: web('1GiB') } } });
    const alone = modelFromState(stateOf(m));
    expect(alone.emptiableRules).toBe('provider');
    expect(renderHtml(alone)).toContain("ignores code's placement rules (guests pinned in a Host, host selectors)");
    // Only g1 was placed by hvkit: b (pinned g2) cannot be emptied, a can.
    const coded = modelFromState(stateOf(m), undefined, new Map([['g1', { provider: 'local' as const }]]));
    expect(coded.emptiableRules).toBe('code');
    expect(coded.emptiable).toEqual([{ host: 'a', moves: ['g1 → b'] }]);
    expect(renderHtml(coded)).toContain('Only guests hvkit placed move, within their host selectors');
  });

  it('does not propose emptying a host onto one whose disk is too small', () => {
    const small = { ...WEB_HOST_8G, disks: [{ name: 'sda', size: '100GiB', kind: 'hdd' as const, iops: 150 }] };
    // b runs a guest (20GiB of its 100GiB disk), so it is a target; a's 200GiB disk does not fit the 80GiB left.
    const m = manifestOf({ a: { props: WEB_HOST_8G, guests: { g1: web('1GiB', { disks: [{ size: '200GiB', on: 'sda' }] }) } }, b: { props: small, guests: { g2: web('1GiB') } } });
    expect(modelFromState(stateOf(m)).emptiable).toEqual([{ host: 'b', moves: ['g2 → a'] }]);
  });
});
