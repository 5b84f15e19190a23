/**
 * Left-aligned columns separated by two spaces. The plan's fit table can have
 * thousands of rows; cli-table3 spent about a second laying out 2,500 of them,
 * so the plan uses this simple layout and cli-table3 stays for the boxed
 * look-up tables. Cells may hold colour codes: widths ignore them.
 */
const ANSI = /\u001b\[[0-9;]*m/g;

export function columns(rows: string[][], indent = '  '): string {
  const widths: number[] = [];
  const split = rows.map((r) => r.map((cell) => cell.split('\n')));
  for (const r of split) r.forEach((lines, i) => {
    for (const l of lines) widths[i] = Math.max(widths[i] ?? 0, l.replace(ANSI, '').length);
  });
  const out: string[] = [];
  for (const r of split) {
    const height = Math.max(...r.map((c) => c.length));
    for (let k = 0; k < height; k++) {
      const line = r.map((c, i) => {
        const text = c[k] ?? '';
        return i === r.length - 1 ? text : text + ' '.repeat(widths[i] - text.replace(ANSI, '').length);
      }).join('  ');
      out.push(indent + line.trimEnd());
    }
  }
  return out.join('\n');
}
