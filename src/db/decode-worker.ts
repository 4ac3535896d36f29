/**
 * The worker thread of source.ts: prepares the trace files it is sent and
 * posts them back, their column buffers transferred rather than copied.
 */
import { parentPort } from 'node:worker_threads';
import { TraceError } from '../errors.js';
import { prepareTrace, transferables } from './prepare.js';
import type { WorkerReply, WorkerRequest } from './source.js';

const port = parentPort!;
port.on('message', ({ id, file }: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    const trace = prepareTrace(file);
    reply = { id, trace };
    port.postMessage(reply, transferables(trace));
    return;
  } catch (err) {
    reply = err instanceof TraceError
      ? { id, traceError: { file: err.file, offset: err.offset, message: err.message } }
      : { id, internal: (err as Error)?.stack ?? String(err) };
  }
  port.postMessage(reply);
});
