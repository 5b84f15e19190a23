import { describe, expect, it } from 'vitest';
import { parseTrace } from '../../lib/capacity/trace';
import { isHvkitError } from '../../lib/errors';

/** The one-line message parseTrace gives, or a failure when it accepts the text. */
function problem(text: string): string {
  try {
    parseTrace(text, 'trace.csv');
  } catch (e) {
    if (!isHvkitError(e)) throw e;
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected the trace to be refused');
}

describe('parseTrace', () => {
  it('reads inf and Infinity, as converters of public traces write them, as a lifetime that outlives the trace', () => {
    expect(parseTrace('vmid,cpu,mem,at,lt\na,2,4.0,0.0,inf\nb,1,1,3,Infinity\nc,1,1,4,120.5\n', 't.csv').map((r) => r.lt)).toEqual([Infinity, Infinity, 120.5]);
  });

  it('reads rows: GiB to MiB (decimals allowed), an empty lifetime as one that outlives the trace, lines counted', () => {
    expect(parseTrace('vmid,cpu,mem,at,lt\n\na,2,1.75,0,60\nb,1,0.5,0,\n', 't.csv')).toEqual([
      { vmid: 'a', vcpus: 2, memoryMiB: 1792, at: 0, lt: 60, line: 3 },
      { vmid: 'b', vcpus: 1, memoryMiB: 512, at: 0, lt: Infinity, line: 4 },
    ]);
  });

  it('reads a trace saved with a UTF-8 byte order mark (as spreadsheet exports write it)', () => {
    expect(parseTrace('\uFEFFvmid,cpu,mem,at,lt\na,2,1,0,60\n', 't.csv')).toEqual([{ vmid: 'a', vcpus: 2, memoryMiB: 1024, at: 0, lt: 60, line: 2 }]);
  });

  it('refuses a bad header, naming line 1 and the header it wants', () => {
    expect(problem('id,cpu,mem,at,lt\na,1,1,0,1\n')).toBe('trace.csv:1: the header must be vmid,cpu,mem,at,lt (vCPUs, memory GiB, arrival second, lifetime seconds), got id,cpu,mem,at,lt');
  });

  it('refuses rows out of arrival order, with the line and how to sort', () => {
    expect(problem('vmid,cpu,mem,at,lt\na,1,1,5,1\nb,1,1,7,1\nc,1,1,6,1\n')).toBe("trace.csv:4: arrival 6 comes before the previous row's 7: sort the trace by arrival (sort -t, -k4,4n)");
  });

  it('refuses a bad number with its line and column', () => {
    expect(problem('vmid,cpu,mem,at,lt\na,1,1,0,1\nb,two,1,0,1\n')).toBe("trace.csv:3: cpu 'two' is not a whole number of vCPUs of at least 1");
    expect(problem('vmid,cpu,mem,at,lt\na,1,0,0,1\n')).toBe("trace.csv:2: mem '0' is not a memory size in GiB greater than 0 (decimals allowed: 1.75)");
    expect(problem('vmid,cpu,mem,at,lt\na,1,1,-1,1\n')).toBe("trace.csv:2: at '-1' is not an arrival second of 0 or more");
    expect(problem('vmid,cpu,mem,at,lt\na,1,1,0,soon\n')).toBe("trace.csv:2: lt 'soon' is not a lifetime in seconds (leave it empty, or inf, for a VM that outlives the trace)");
  });

  it('refuses a row with a missing field and a repeated vmid', () => {
    expect(problem('vmid,cpu,mem,at,lt\na,1,1,0\n')).toBe('trace.csv:2: the row has 4 fields: every row is vmid,cpu,mem,at,lt');
    expect(problem('vmid,cpu,mem,at,lt\na,1,1,0,1\na,1,1,0,1\n')).toBe("trace.csv:3: vmid 'a' appears twice: each VM request has its own id");
  });

  it('refuses an empty file', () => {
    expect(problem('')).toBe('trace.csv:1: the trace is empty: it needs the header vmid,cpu,mem,at,lt and one row per VM');
  });
});
