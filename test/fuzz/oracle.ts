/**
 * What a fuzz case must come to: a decoded trace that holds together, or the
 * analyzer's typed one-line error naming the file. Anything else — another
 * kind of error, a message over several lines or naming no file, a decoded
 * trace that contradicts itself — is a crash, kept with its seed and index.
 */
import { FtError, TraceError } from '../../src/errors.js';
import { prepareDecoded } from '../../src/db/prepare.js';
import { decodeTrace, type DecodedTrace } from '../../src/trace/decode.js';

export type Verdict = 'decoded' | 'refused' | 'crash';

export interface Outcome {
  verdict: Verdict;
  /** The error's message, or what was decoded, or what went wrong. */
  detail: string;
  ms: number;
  /** Bytes of ArrayBuffer memory the case left allocated (before any collection). */
  buffers: number;
  /** Growth of the JS heap during the case. */
  heap: number;
}

/** A typed error's problems: it must be one line that names the file. */
export function typedErrorProblem(err: unknown, file: string): string | null {
  if (!(err instanceof FtError)) {
    const e = err as Error;
    return `untyped ${e?.name ?? typeof err}: ${e?.stack ?? String(err)}`;
  }
  if (err.message.includes('\n')) return `${err.name} over several lines: ${JSON.stringify(err.message)}`;
  if (err instanceof TraceError && !err.message.startsWith(`${file}: `)) return `${err.name} does not start with the file name: ${err.message}`;
  if (!(err instanceof TraceError)) return `an FtError that is not a TraceError names no byte offset: ${err.message}`;
  return null;
}

/** Ways a decoded trace can contradict itself. */
export function decodedProblem(t: DecodedTrace, size: number): string | null {
  const s = t.stats;
  const c = t.events;
  if (s.records > s.slots) return `${s.records} records in ${s.slots} slots`;
  if (s.events > s.records || s.events !== c.length) return `${s.events} events, ${c.length} in columns, ${s.records} records`;
  if (s.slots > t.header.ringSlots) return `${s.slots} slots read, ring of ${t.header.ringSlots}`;
  if (t.size !== size) return `size ${t.size}, file of ${size}`;
  for (const col of [c.seq, c.type, c.call, c.flags, c.startNs, c.durNs, c.tid, c.fd, c.pathId, c.res, c.bytes, c.writes, c.writeUs, c.ivalStartNs]) {
    if (col.length !== c.length) return `a column of ${col.length} for ${c.length} events`;
  }
  for (let i = 1; i < c.length; i++) if (!(c.seq[i]! > c.seq[i - 1]!)) return `events out of sequence order at ${i}: ${c.seq[i - 1]} then ${c.seq[i]}`;
  for (let i = 0; i < c.length; i++) if (!Number.isSafeInteger(c.seq[i]!)) return `sequence number ${c.seq[i]} is not an exact integer`;
  for (const p of t.paths.values()) if (p.name.length > 4096) return `path of ${p.name.length} characters`;
  return null;
}

/**
 * The most a case may leave allocated in ArrayBuffers: the decoder's columns
 * and the loader's are each about the size of the ring, so 8 times the input
 * and a MiB is generous; a count taken from a corrupt header is not.
 */
export function bufferBound(size: number): number {
  return 8 * size + (1 << 20);
}

/** Decode `bytes` as the trace `file` and prepare it for loading, as the loader does; judge the result. */
export function decodeCase(bytes: Uint8Array, file: string): Outcome {
  const before = process.memoryUsage();
  const t0 = performance.now();
  let verdict: Verdict;
  let detail: string;
  try {
    const trace = decodeTrace(bytes, file);
    const problem = decodedProblem(trace, bytes.length);
    if (!problem) prepareDecoded(trace);
    verdict = problem ? 'crash' : 'decoded';
    detail = problem ?? `${trace.events.length} events, ${trace.paths.size} paths`;
  } catch (err) {
    const problem = typedErrorProblem(err, file);
    verdict = problem ? 'crash' : 'refused';
    detail = problem ?? (err as Error).message;
  }
  const ms = performance.now() - t0;
  const after = process.memoryUsage();
  const buffers = Math.max(0, after.arrayBuffers - before.arrayBuffers);
  if (buffers > bufferBound(bytes.length) && verdict !== 'crash') {
    verdict = 'crash';
    detail = `allocated ${buffers} bytes of ArrayBuffers for ${bytes.length} bytes of input`;
  }
  return { verdict, detail, ms, buffers, heap: Math.max(0, after.heapUsed - before.heapUsed) };
}
