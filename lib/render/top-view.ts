import type { FleetLoad } from '../load/rates';
import { topText } from './load';

/** A screen `hvkit top` redraws in place on a terminal. */
export interface TopView {
  show(load: FleetLoad): void;
  close(): void;
}

/** The last line of every screen. */
const QUIT = '(Ctrl-C quits)';

/**
 * `screen` (lines, heaviest first after the title and the column headers) cut
 * to a terminal of `rows` × `cols`: a redrawn screen must fit, or log-update
 * keeps only its bottom and the title and the heaviest rows go. Keeps lines
 * from the top (title, headers, heaviest rows) as far as they fit, ending
 * with how many were left out, then `footer`; lines wider than `cols` are cut
 * (a wrapped line takes two rows). One row is left for the cursor.
 * @param footer @default '(Ctrl-C quits)'
 */
export function fitScreen(screen: string, rows: number, cols: number, footer = QUIT): string {
  const width = cols > 0 ? cols : Infinity;
  const clip = (l: string) => (l.length > width ? `${l.slice(0, Math.max(0, width - 1))}…` : l);
  const lines = screen.replace(/\n$/, '').split('\n');
  const room = rows - 1 - 1; // the cursor's row, and the footer's
  if (lines.length <= room) return [...lines, footer].map(clip).join('\n');
  // From the top: the title, the headers, then the heaviest rows that fit, and a line saying how many did not.
  const shown = Math.max(0, room - 1);
  const cut = lines.length - shown;
  return [...lines.slice(0, shown), `… ${cut} more row${cut === 1 ? '' : 's'} (enlarge the terminal or use --once)`, footer].map(clip).join('\n');
}

/** Whether a terminal of `rows` can show a redrawn screen; without a size (0 under docker exec or CI), print plain lines. */
export function canRedraw(stream: Pick<NodeJS.WriteStream, 'rows'>): boolean {
  return typeof stream.rows === 'number' && stream.rows > 0;
}

/** `topText` redrawn in place (log-update), cut to the terminal (`fitScreen`), with a note on how to quit. */
export async function ttyTopView(stream: NodeJS.WriteStream, fleet: string, seconds: number): Promise<TopView> {
  // Loaded only for a terminal: log-update costs a tenth of a second to import.
  const { createLogUpdate } = await import('log-update');
  const screen = createLogUpdate(stream);
  screen(fitScreen(`${fleet}: measuring over ${seconds} s…`, stream.rows, stream.columns));
  return {
    // The size is read at every screen: the terminal may have been resized.
    show: (load) => screen(fitScreen(topText(fleet, load, seconds), stream.rows, stream.columns)),
    close: () => screen.done(),
  };
}
