import { MemoryStateStore } from '../../lib/state/memory-store';
import { stateStoreConformance } from './conformance';

stateStoreConformance('memory (test fake)', async () => new MemoryStateStore(), {
  forceUnlock: async (store) => (store as MemoryStateStore).simulateForcedUnlock(),
  seed: async (store, stored) => (store as MemoryStateStore).seedStored(stored),
});
