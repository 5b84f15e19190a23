import { describe, expect, it } from 'vitest';
import { parseShape } from '../../lib/ops/capacity';

const error = (text: string) => {
  try {
    parseShape(text);
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('parseShape: the --shape of hvkit capacity', () => {
  it('reads vcpus, memory and disk, sizes as code writes them', () => {
    expect(parseShape('vcpus=2,memory=4GiB,disk=40GiB')).toEqual({ vcpus: 2, memoryMiB: 4096, diskMiB: 40960 });
    expect(parseShape(' memory=512MiB , vcpus=1 ')).toEqual({ vcpus: 1, memoryMiB: 512, diskMiB: 0 });
    expect(parseShape('vcpus=1,memory=1024')).toEqual({ vcpus: 1, memoryMiB: 1024, diskMiB: 0 });
  });

  it('refuses each mistake in one line saying what to write', () => {
    expect(error('vcpu=2,memory=4GiB')).toBe("--shape has no key 'vcpu': did you mean 'vcpus'? (like vcpus=2,memory=4GiB,disk=40GiB)");
    expect(error('vcpus=2')).toBe('--shape needs memory (like vcpus=2,memory=4GiB,disk=40GiB)');
    expect(error('')).toBe('--shape needs vcpus and memory (like vcpus=2,memory=4GiB,disk=40GiB)');
    expect(error('vcpus=2,memory')).toBe("--shape 'memory' is not key=value (like vcpus=2,memory=4GiB,disk=40GiB)");
    expect(error('vcpus=2.5,memory=4GiB')).toBe("--shape vcpus '2.5' must be a whole number of at least 1 (like vcpus=2,memory=4GiB,disk=40GiB)");
    expect(error('vcpus=0,memory=4GiB')).toBe("--shape vcpus '0' must be a whole number of at least 1 (like vcpus=2,memory=4GiB,disk=40GiB)");
    expect(error('vcpus=2,memory=4GB')).toBe("--shape memory: size '4GB' is not a size like '512MiB' or '5.5GiB' (hvkit uses binary units: write '4GiB') (like vcpus=2,memory=4GiB,disk=40GiB)");
    expect(error('vcpus=2,memory=4GiB,vcpus=3')).toBe('--shape names vcpus twice (like vcpus=2,memory=4GiB,disk=40GiB)');
    expect(error('vcpus=2,memory=0')).toBe('--shape memory must be at least 32MiB, as for a guest');
  });

  it('refuses memory=4 (4 MiB, below a guest\'s 32 MiB) with the hint that a bare number is MiB', () => {
    expect(error('vcpus=2,memory=4')).toBe('--shape memory must be at least 32MiB, as for a guest: a bare number is MiB: write memory=4GiB');
    expect(error('vcpus=2,memory=16MiB')).toBe('--shape memory must be at least 32MiB, as for a guest');
    expect(parseShape('vcpus=1,memory=32')).toEqual({ vcpus: 1, memoryMiB: 32, diskMiB: 0 });
  });
});
