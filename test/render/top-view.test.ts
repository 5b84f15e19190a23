import { describe, expect, it } from 'vitest';
import { canRedraw, fitScreen } from '../../lib/render/top-view';

/** A top screen: title, column headers, then `n` rows heaviest first. */
const screen = (n: number) => ['tokyo at 10:00, over 3.0 s: 12.00 cores', 'HOST / GUEST  CPU', ...Array.from({ length: n }, (_, i) => `row-${i + 1}  ${n - i}.00`)].join('\n') + '\n';

describe('fitScreen (hvkit top on a terminal)', () => {
  it('shows the whole screen and the quit note when it fits', () => {
    expect(fitScreen(screen(3), 24, 80)).toBe(`${screen(3)}(Ctrl-C quits)`);
  });

  it('on a short terminal keeps the title, the headers and the heaviest rows, saying how many more there are', () => {
    const out = fitScreen(screen(30), 10, 80).split('\n');
    expect(out).toEqual([
      'tokyo at 10:00, over 3.0 s: 12.00 cores',
      'HOST / GUEST  CPU',
      'row-1  30.00',
      'row-2  29.00',
      'row-3  28.00',
      'row-4  27.00',
      'row-5  26.00',
      '… 25 more rows (enlarge the terminal or use --once)',
      '(Ctrl-C quits)',
    ]);
    // One row short of the terminal: the cursor's.
    expect(out.length).toBe(9);
  });

  it('shows a screen one row too long as all but two rows and the note (the note takes a row itself)', () => {
    expect(fitScreen(screen(7), 10, 80)).toContain('\nrow-5  3.00\n… 2 more rows (enlarge the terminal or use --once)\n(Ctrl-C quits)');
  });

  it('cuts lines wider than the terminal, which would otherwise wrap onto a second row', () => {
    expect(fitScreen('x'.repeat(50), 24, 20).split('\n')[0]).toBe(`${'x'.repeat(19)}…`);
  });
});

describe('canRedraw', () => {
  it('refuses a terminal without a size (rows 0 under docker exec or CI): top prints plain lines there', () => {
    expect(canRedraw({ rows: 0 })).toBe(false);
    expect(canRedraw({ rows: undefined as unknown as number })).toBe(false);
    expect(canRedraw({ rows: 24 })).toBe(true);
  });
});
