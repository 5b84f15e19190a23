import { App as CdktfApp, type AppConfig } from 'cdktf';
import { MANIFEST_FILE } from '../synth/app-protocol';

export { MANIFEST_FILE };

/**
 * cdktf's App, kept so existing fleet apps (`import { App } from 'hvkit'`)
 * work unchanged. It adds nothing: each Fleet writes its own manifest when
 * any App synthesizes, so `import { App } from 'cdktf'` works the same.
 */
export class App extends CdktfApp {
  /** @param config cdktf's App configuration; @default {} */
  constructor(config: AppConfig = {}) {
    super(config);
  }
}
