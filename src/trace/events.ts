/**
 * Events of a decoded trace as plain objects, for tests, `info` and anything
 * else that wants one event at a time rather than columns.
 */
import type { DecodedTrace } from './decode.js';
import { CALL_NAMES, EVENT_TYPE_NAMES, FLAG_JS_LINKED, JS_API_NAMES, RecordType } from './layout.js';

export interface TraceEvent {
  seq: number;
  type: 'sync' | 'open' | 'close' | 'rename' | 'link' | 'unlink';
  /** The durability call for sync events (a `by_kind` name), else null. */
  call: string | null;
  flags: number;
  startNs: bigint;
  durNs: bigint;
  tid: number;
  fd: number;
  pathId: number;
  /** The file's name, or null when the trace does not hold it. */
  path: string | null;
  /** Return value, or -errno. */
  res: number;
  bytes: bigint;
  writes: number;
  writeUs: number;
  ivalStartNs: bigint;
}

/** Event `i` of a decoded trace. */
export function eventAt(trace: DecodedTrace, i: number): TraceEvent {
  const c = trace.events;
  const type = c.type[i]!;
  const pathId = c.pathId[i]!;
  return {
    seq: c.seq[i]!,
    type: EVENT_TYPE_NAMES[type] as TraceEvent['type'],
    call: type === RecordType.Sync ? CALL_NAMES[c.call[i]!]! : null,
    flags: c.flags[i]!,
    startNs: c.startNs[i]!,
    durNs: c.durNs[i]!,
    tid: c.tid[i]!,
    fd: c.fd[i]!,
    pathId,
    path: trace.paths.get(pathId)?.name ?? null,
    res: c.res[i]!,
    bytes: c.bytes[i]!,
    writes: c.writes[i]!,
    writeUs: c.writeUs[i]!,
    ivalStartNs: c.ivalStartNs[i]!,
  };
}

/** All events, in sequence order. */
export function eventList(trace: DecodedTrace): TraceEvent[] {
  const out: TraceEvent[] = [];
  for (let i = 0; i < trace.events.length; i++) out.push(eventAt(trace, i));
  return out;
}

/** The keep ring's events that the ring does not also hold, as `eventList` gives the ring's. */
export function keptList(trace: DecodedTrace): TraceEvent[] {
  const view: DecodedTrace = { ...trace, events: trace.kept };
  const out: TraceEvent[] = [];
  for (let i = 0; i < trace.kept.length; i++) out.push(eventAt(view, i));
  return out;
}

/**
 * One call recorded by the Node hook (a type-12 record): an event's fields,
 * where startNs/durNs are the program's wait and res is 0 or -errno of the
 * error it got.
 */
export interface JsCall extends Pick<TraceEvent, 'seq' | 'flags' | 'startNs' | 'durNs' | 'tid' | 'fd' | 'pathId' | 'path' | 'res' | 'bytes'> {
  /** The API, as JS_API_NAMES has it (`fs.fsync`, `filehandle.sync`, ...). */
  api: string;
  /** The call site ("file:line"), or null when it was not captured. */
  site: string | null;
  /** With flag 0x80 (linked), the low 32 bits of the start_ns of the sync that did its work; else null. */
  link: number | null;
}

/** The Node hook's calls, in sequence order. */
export function jsList(trace: DecodedTrace): JsCall[] {
  const c = trace.js;
  const out: JsCall[] = [];
  for (let i = 0; i < c.length; i++) {
    const site = c.writes[i]!;
    out.push({
      seq: c.seq[i]!,
      api: JS_API_NAMES[c.call[i]!]!,
      flags: c.flags[i]!,
      startNs: c.startNs[i]!,
      durNs: c.durNs[i]!,
      tid: c.tid[i]!,
      fd: c.fd[i]!,
      pathId: c.pathId[i]!,
      path: trace.paths.get(c.pathId[i]!)?.name ?? null,
      res: c.res[i]!,
      bytes: c.bytes[i]!,
      site: site === 0 ? null : trace.paths.get(site)?.name ?? null,
      link: (c.flags[i]! & FLAG_JS_LINKED) !== 0 ? c.writeUs[i]! : null,
    });
  }
  return out;
}
