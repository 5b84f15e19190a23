import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_HOST, stackSource, tempProject, type TempProject } from '../helpers/project';

// No hypervisor is asked: the providers' `console` verb only builds the command.
const STACK = stackSource(`
new Guest(new Host(fleet, 'xen-a', { ...${LOCAL_HOST}, provider: 'xen', address: 'root@xen-a.example:2222' }), 'web-01', { role: 'web', vcpus: 1, memory: '1GiB' });
new Guest(new Host(fleet, 'kvm-a', { ...${LOCAL_HOST}, provider: 'libvirt', address: 'qemu+ssh://root@kvm-a.example/system' }), 'db-01', { role: 'db', vcpus: 1, memory: '1GiB' });
`);

describe('hvkit console --print', () => {
  let p: TempProject;
  beforeAll(() => {
    p = tempProject();
    p.writeStack(STACK);
  });
  afterAll(() => p.cleanup());

  it('prints virsh console for a libvirt guest, with the host URI as one word', async () => {
    const r = await p.run(['console', 'db-01', '--host', 'kvm-a', '--print']);
    expect(r.err).toBe('');
    expect(r.out).toBe('virsh --connect=qemu+ssh://root@kvm-a.example/system console --domain db-01\n');
  });

  it('prints ssh -t to the xen host running xl console, the remote command quoted for its shell', async () => {
    const r = await p.run(['console', 'web-01', '--host', 'xen-a', '--print']);
    expect(r.err).toBe('');
    expect(r.out).toBe("ssh -t -p 2222 -- root@xen-a.example 'xl console web-01'\n");
  });

  it('says in one line that a guest not deployed needs --host', async () => {
    const r = await p.run(['console', 'web-01', '--print']);
    expect(r.code).toBe(1);
    expect(r.err).toBe('Error: web-01 is not deployed (code places it on xen-a): `hvkit apply` creates it; pass --host HOST if it runs there outside hvkit\n');
  });
});
