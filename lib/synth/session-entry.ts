import { errorData, inSession, post } from './app-protocol';

/**
 * The start of an app bundle (lib/synth/app-bundle.ts): runs the app's
 * module. In the CLI's synthesis worker, whatever the app throws goes to the
 * CLI as data and the end of the module is announced, so the CLI can stop
 * the worker even if the app left a timer or socket open. Run as a plain
 * node script (a child process), the app's error stays uncaught, as it
 * would be under tsx.
 */
export async function runApp(load: () => Promise<unknown>): Promise<void> {
  if (!inSession()) {
    await load();
    return;
  }
  try {
    await load();
    post({ kind: 'ended' });
  } catch (e) {
    post({ kind: 'failed', error: errorData(e) });
  }
}
