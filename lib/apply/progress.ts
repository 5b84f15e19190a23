import type { Step } from '../plan/types';
import { printableLine } from '../render/printable';
import type { FailedStep } from '../state/types';
import type { Style } from '../render/style';

/** What the executor reports as steps move; the CLI picks how to show it. */
export interface Progress {
  started(step: Step): void;
  finished(step: Step, ms: number): void;
  failed(step: Step, ms: number, failure: FailedStep): void;
  skipped(step: Step): void;
  close(): void;
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;

/** One plain line per step start and finish: for CI logs and pipes. */
export function plainProgress(write: (t: string) => void, total: number): Progress {
  let n = 0;
  const width = String(total).length;
  const count = () => `[${String(++n).padStart(width)}/${total}]`;
  return {
    started: (s) => write(`start   ${s.id}: ${s.description}\n`),
    finished: (s, ms) => write(`${count()} done    ${s.id} (${secs(ms)})\n`),
    failed: (s, ms, f) => write(`${count()} FAILED  ${s.id} (${secs(ms)}): ${f.message.split('\n')[0]}\n`),
    skipped: (s) => write(`${count()} skipped ${s.id} (a step it depends on failed)\n`),
    close: () => undefined,
  };
}

/** A live view on a terminal: running steps with their elapsed time, finished ones scrolling above. */
export async function ttyProgress(stream: NodeJS.WriteStream, s: Style, total: number): Promise<Progress> {
  // Loaded only for a terminal: log-update costs a tenth of a second to import.
  const { createLogUpdate } = await import('log-update');
  const live = createLogUpdate(stream, { showCursor: true });
  const running = new Map<string, { step: Step; t0: number }>();
  let done = 0;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let frame = 0;
  const draw = () => {
    frame = (frame + 1) % frames.length;
    const lines = [...running.values()].map((r) => `  ${s.paint('cyan', frames[frame])} ${r.step.description} ${s.paint('dim', secs(Date.now() - r.t0))}`);
    live([`${s.paint('bold', `Applying: ${done}/${total} steps finished`)}`, ...lines].join('\n'));
  };
  const timer = setInterval(draw, 100);
  const above = (line: string) => {
    live.clear();
    stream.write(line + '\n');
    draw();
  };
  return {
    started: (st) => {
      running.set(st.id, { step: st, t0: Date.now() });
      draw();
    },
    finished: (st, ms) => {
      running.delete(st.id);
      done++;
      above(`  ${s.paint('green', '✔')} ${st.description} ${s.paint('dim', secs(ms))}`);
    },
    failed: (st, ms, f) => {
      running.delete(st.id);
      done++;
      above(`  ${s.paint('red', '✘')} ${st.description} ${s.paint('dim', secs(ms))}: ${printableLine(f.message.split('\n')[0])}`);
    },
    skipped: (st) => {
      done++;
      above(`  ${s.paint('yellow', '-')} ${st.description} ${s.paint('dim', '(skipped)')}`);
    },
    close: () => {
      clearInterval(timer);
      live.clear();
      live.done();
    },
  };
}
