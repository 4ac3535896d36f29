// The entry point of load-thread.ts's worker thread from the sources: a worker starts
// without the tsx loader its parent registered, so it registers its own first.
import { register } from 'tsx/esm/api';

register();
await import('./load-worker.ts');
