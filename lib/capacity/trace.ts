import { CsvError, parse } from 'csv-parse/sync';
import { HvkitError } from '../errors';
import { printable } from '../manifest/names';

/** One VM request of a trace: what it asks for, when it arrives, how long it lives. */
export interface TraceRow {
  vmid: string;
  vcpus: number;
  /** Memory in whole MiB (the trace gives GiB, decimals allowed). */
  memoryMiB: number;
  /** Arrival, in seconds. */
  at: number;
  /** Lifetime in seconds; Infinity when the trace leaves it empty or writes inf (the VM outlives the trace). */
  lt: number;
  /** Line of the file, for messages. */
  line: number;
}

export const TRACE_HEADER = ['vmid', 'cpu', 'mem', 'at', 'lt'] as const;

/**
 * Reads a VM request trace: CSV with the header `vmid,cpu,mem,at,lt` (vCPUs,
 * memory in GiB, arrival second, lifetime seconds), rows sorted by arrival.
 * Any problem is one HvkitError `FILE:LINE: what is wrong and what to do`.
 * @param file the name messages give the file
 */
export function parseTrace(text: string, file: string): TraceRow[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, trim: true, comment: '#', comment_no_infix: true }) as unknown as typeof records;
  } catch (e) {
    if (e instanceof CsvError) {
      const line = (e as CsvError & { lines?: number }).lines ?? 1;
      const what = e.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH'
        ? `the row has ${(e as CsvError & { record?: unknown[] }).record?.length ?? 'a different number of'} fields: every row is ${TRACE_HEADER.join(',')}`
        : e.message.replace(/ (on|at) line \d+$/, '');
      throw new HvkitError(`${file}:${line}: ${what}`);
    }
    throw e;
  }
  if (records.length === 0) throw new HvkitError(`${file}:1: the trace is empty: it needs the header ${TRACE_HEADER.join(',')} and one row per VM`);
  const head = records[0];
  const names = head.record.map((c) => c.toLowerCase());
  if (names.length !== TRACE_HEADER.length || names.some((n, i) => n !== TRACE_HEADER[i])) {
    throw new HvkitError(`${file}:${head.info.lines}: the header must be ${TRACE_HEADER.join(',')} (vCPUs, memory GiB, arrival second, lifetime seconds), got ${printable(head.record.join(','))}`);
  }
  const rows: TraceRow[] = [];
  const seen = new Set<string>();
  let last = -Infinity;
  for (let i = 1; i < records.length; i++) {
    const { record: r, info } = records[i];
    const line = info.lines;
    const at = (msg: string) => new HvkitError(`${file}:${line}: ${msg}`);
    const [vmid, cpu, mem, arrival, life] = r;
    if (!vmid) throw at('vmid is empty: every row names its VM');
    if (seen.has(vmid)) throw at(`vmid ${shownCell(vmid)} appears twice: each VM request has its own id`);
    seen.add(vmid);
    const vcpus = Number(cpu);
    if (cpu === '' || !Number.isInteger(vcpus) || vcpus < 1) throw at(`cpu ${shownCell(cpu)} is not a whole number of vCPUs of at least 1`);
    const gib = Number(mem);
    if (mem === '' || !Number.isFinite(gib) || gib <= 0) throw at(`mem ${shownCell(mem)} is not a memory size in GiB greater than 0 (decimals allowed: 1.75)`);
    const t = Number(arrival);
    if (arrival === '' || !Number.isFinite(t) || t < 0) throw at(`at ${shownCell(arrival)} is not an arrival second of 0 or more`);
    // Scripts that convert public traces write a VM still running at the end as empty, inf or Infinity.
    const outlives = life === '' || /^\+?inf(inity)?$/i.test(life);
    const lt = outlives ? Infinity : Number(life);
    if (!outlives && !Number.isFinite(lt)) throw at(`lt ${shownCell(life)} is not a lifetime in seconds (leave it empty, or inf, for a VM that outlives the trace)`);
    if (lt < 0) throw at(`lt ${shownCell(life)} is negative: a lifetime is 0 seconds or more`);
    if (t < last) throw at(`arrival ${arrival} comes before the previous row's ${last}: sort the trace by arrival (sort -t, -k4,4n)`);
    last = t;
    rows.push({ vmid, vcpus, memoryMiB: Math.max(1, Math.round(gib * 1024)), at: t, lt, line });
  }
  return rows;
}

function shownCell(v: string | undefined): string {
  return v === undefined || v === '' ? '(empty)' : `'${printable(v)}'`;
}
