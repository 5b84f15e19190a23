import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_HOST, spawnCli, tempProject, type TempProject } from '../helpers/project';

/** An app that builds its fleet from a file it names relative to the working directory, as cdktf apps do. */
const READS_HOSTS = `import { readFileSync } from 'node:fs';
import { App, Fleet, Host, Guest } from 'hvkit';
const app = new App();
const fleet = new Fleet(app, 'tokyo', { provider: 'local' });
for (const name of JSON.parse(readFileSync('./hosts.json', 'utf8')) as string[]) {
  new Guest(new Host(fleet, name, ${LOCAL_HOST}), \`\${name}-web\`, { role: 'web', vcpus: 1, memory: '1GiB' });
}
app.synth();
`;

describe('an app that reads ./hosts.json finds it in the project folder', () => {
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
    p.writeStack(READS_HOSTS);
    writeFileSync(join(p.dir, 'hosts.json'), JSON.stringify(['kvm-a', 'kvm-b']));
  });
  afterAll(() => p.cleanup());
  const planned = (out: string) => out.split('\n').filter((l) => l.includes('+ create')).map((l) => l.trim());
  const expected = ['+ create kvm-a-web on kvm-a  (tokyo/kvm-a/kvm-a-web)', '+ create kvm-b-web on kvm-b  (tokyo/kvm-b/kvm-b-web)'];

  it('run from the project folder, as the CLI is (the app runs in hvkit’s synthesis worker)', async () => {
    const r = await spawnCli(p.dir, ['plan']).done;
    expect(r.code, r.err).toBe(0);
    expect(planned(r.out)).toEqual(expected);
  });

  it('run from another folder (the app’s bundle runs in a process of its own in the project folder)', async () => {
    const r = await p.run(['plan']);
    expect(r.code, r.err).toBe(0);
    expect(planned(r.out)).toEqual(expected);
  });

  it('run as its own command (HVKIT_APP_PROCESS=separate)', async () => {
    const r = await p.run(['plan'], { env: { HVKIT_APP_PROCESS: 'separate' } });
    expect(r.code, r.err).toBe(0);
    expect(planned(r.out)).toEqual(expected);
  });
});

/** An app that reads a file beside it, named through import.meta.url as ES modules do. */
const READS_BESIDE = READS_HOSTS.replace("readFileSync('./hosts.json', 'utf8')", "readFileSync(new URL('./hosts.json', import.meta.url), 'utf8')");

describe('an app that reads a file beside it through import.meta.url finds it in its own folder, as under tsx', () => {
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
    p.writeStack(READS_BESIDE);
    writeFileSync(join(p.dir, 'stacks', 'hosts.json'), JSON.stringify(['kvm-a', 'kvm-b']));
  });
  afterAll(() => p.cleanup());
  const planned = (out: string) => out.split('\n').filter((l) => l.includes('+ create')).length;

  it('run in hvkit’s synthesis worker, from its bundle in node_modules/.cache', async () => {
    const r = await spawnCli(p.dir, ['plan']).done;
    expect(r.code, r.err).toBe(0);
    expect(planned(r.out)).toBe(2);
  });

  it('run as its own command (HVKIT_APP_PROCESS=separate)', async () => {
    const r = await p.run(['plan'], { env: { HVKIT_APP_PROCESS: 'separate' } });
    expect(r.code, r.err).toBe(0);
    expect(planned(r.out)).toBe(2);
  });
});
