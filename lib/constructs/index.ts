export { App, MANIFEST_FILE } from './app';
export { Fleet } from './fleet';
export { Guest, Host } from './host';
export { HostGroup } from './host-group';
export { Testing } from 'cdktf';
