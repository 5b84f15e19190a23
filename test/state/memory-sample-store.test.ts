import { MemorySampleStore } from '../../lib/state/memory-sample-store';
import { sampleStoreConformance } from './sample-conformance';

sampleStoreConformance('memory (test fake)', async () => new MemorySampleStore());
