/**
 * Characters XML 1.0 cannot carry at all, not even as character references
 * (C0 controls but tab, newline and carriage return; U+FFFE/U+FFFF; lone
 * surrogates), and the C1 controls it discourages.
 */
const XML_UNREPRESENTABLE = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Escapes text for XML element content and attribute values. A character XML
 * cannot carry is written as the visible text `\xNN` (or `\uNNNN`), so the
 * document stays well-formed and a reader still sees that something was there.
 */
export function xmlEscape(s: string): string {
  return s
    .replace(XML_UNREPRESENTABLE, (c) => (c.charCodeAt(0) <= 0xff ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16)}`))
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

/** A double-quoted xl.cfg string; libxlutil's lexer takes C-style backslash escapes. */
export function xlString(s: string): string {
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}

/** A single-quoted xl.cfg string (disk and vif specs). */
export function xlSingle(s: string): string {
  return `'${s.replace(/[\\']/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}'`;
}
