/**
 * The worker thread of load-thread.ts: one load into a database file, made,
 * filled and closed here. Warnings and progress go to the main thread as
 * messages, and so does the outcome: the load's figures, or its error.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FtError } from '../errors.js';
import { fillDb, type LoadReply, type LoadRequest } from './load-thread.js';

const port = parentPort!;
const request = workerData as LoadRequest;
const post = (reply: LoadReply) => port.postMessage(reply);

try {
  const result = await fillDb(request, {
    quiet: request.quiet,
    warn: (message) => post({ warn: message }),
    progressBar: (label, total, opts) => {
      if (opts?.quiet) return null;
      post({ progress: { start: [label, total] } });
      return {
        update: (done, note) => post({ progress: { update: [done, note] } }),
        clear: () => post({ progress: { clear: true } }),
        finish: () => post({ progress: { finish: true } }),
      };
    },
  });
  post({ done: result });
} catch (err) {
  post(err instanceof FtError ? { error: { message: err.message, exitCode: err.exitCode } } : { internal: (err as Error)?.stack ?? String(err) });
}
