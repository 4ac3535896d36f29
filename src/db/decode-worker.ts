/**
 * The worker thread of source.ts: prepares the batches of trace files it is
 * sent and posts each batch back in one message, the column buffers
 * transferred rather than copied. A batch is prepared in one arena, so the
 * small traces of a batch share a few buffers. Buffers the main thread sends
 * back once it has appended them are reused for the next batches' columns.
 */
import { parentPort } from 'node:worker_threads';
import { TraceError } from '../errors.js';
import { Arena, recycle, reusedBytes } from '../trace/arena.js';
import { prepareTrace, transferables } from './prepare.js';
import type { WorkerReply, WorkerRequest, WorkerResult } from './source.js';

const port = parentPort!;
port.on('message', (request: WorkerRequest) => {
  if ('recycle' in request) {
    recycle(request.recycle);
    return;
  }
  const { id, files } = request;
  let reply: WorkerReply;
  try {
    const results = new Arena().run(() => files.map(prepareOne));
    const buffers = new Set<ArrayBuffer>();
    for (const r of results) if ('trace' in r) for (const b of transferables(r.trace)) buffers.add(b);
    reply = { id, results, reusedBytes: reusedBytes() };
    port.postMessage(reply, [...buffers]);
    return;
  } catch (err) {
    reply = { id, internal: (err as Error)?.stack ?? String(err) };
  }
  port.postMessage(reply);
});

function prepareOne(file: string): WorkerResult {
  try {
    return { trace: prepareTrace(file) };
  } catch (err) {
    if (err instanceof TraceError) return { traceError: { file: err.file, offset: err.offset, message: err.message } };
    throw err;
  }
}
