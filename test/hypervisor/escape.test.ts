import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { xmlEscape } from '../../lib/hypervisor/escape';
import { renderConfig } from '../../lib/hypervisor/render';
import { WEB_HOST_8G, manifestOf, web } from '../helpers/fleet';
import { describeWithTool } from '../helpers/tools';

const HOSTILE_PATH = 'tokyo/h/\x1b]0;title\x07\x1b[2J\x00\ufffe\ud800<&>';

describe('xmlEscape', () => {
  it('writes characters XML 1.0 cannot carry as visible \\xNN text, and keeps tab and newline', () => {
    expect(xmlEscape('a\x1b]0;t\x07b\x00\x7f\x85\tc\nd')).toBe('a\\x1b]0;t\\x07b\\x00\\x7f\\x85\tc\nd');
    expect(xmlEscape('\ufffe\ud800x\ud83d\ude00')).toBe('\\ufffe\\ud800x\ud83d\ude00');
    expect(xmlEscape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });
});

// expat (through Python) is a strict XML 1.0 parser: it refuses a raw control character, as libvirt's parser does.
const PARSE = 'import sys, xml.etree.ElementTree as E; print(E.parse(sys.argv[1]).getroot().findtext("description"))';
const python = spawnSync('python3', ['-c', 'import xml.etree.ElementTree'], { encoding: 'utf8' });
describeWithTool('libvirt domain XML with control characters, read by a strict XML parser (expat)', 'python3', python.status === 0, 'python3 is not installed', () => {
  it('stays well-formed and valid when a construct path carries a terminal escape', () => {
    const m = manifestOf({ h: { props: { ...WEB_HOST_8G, provider: 'libvirt' }, guests: { 'web-01': web('1GiB') } } });
    const xml = renderConfig(m.hosts[0], { ...m.guests[0], path: HOSTILE_PATH }).text;
    expect(xml).not.toMatch(/[\x00-\x08\x0b\x0c\x0e-\x1f]/);
    expect(xml).toContain('<description>hvkit: tokyo/h/\\x1b]0;title\\x07\\x1b[2J\\x00\\ufffe\\ud800&lt;&amp;&gt; (role web)</description>');
    const dir = mkdtempSync(join(tmpdir(), 'hvkit-xml-'));
    try {
      writeFileSync(join(dir, 'd.xml'), xml);
      const r = spawnSync('python3', ['-c', PARSE, join(dir, 'd.xml')], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe('hvkit: tokyo/h/\\x1b]0;title\\x07\\x1b[2J\\x00\\ufffe\\ud800<&> (role web)\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
