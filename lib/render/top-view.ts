import type { FleetLoad } from '../load/rates';
import { topText } from './load';

/** A screen `hvkit top` redraws in place on a terminal. */
export interface TopView {
  show(load: FleetLoad): void;
  close(): void;
}

/** `topText` redrawn in place (log-update), with a note on how to quit. */
export async function ttyTopView(stream: NodeJS.WriteStream, fleet: string, seconds: number): Promise<TopView> {
  // Loaded only for a terminal: log-update costs a tenth of a second to import.
  const { createLogUpdate } = await import('log-update');
  const screen = createLogUpdate(stream);
  screen(`${fleet}: measuring over ${seconds} s… (Ctrl-C quits)`);
  return {
    show: (load) => screen(`${topText(fleet, load, seconds)}(Ctrl-C quits)`),
    close: () => screen.done(),
  };
}
