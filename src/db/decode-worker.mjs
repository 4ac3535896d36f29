// The entry point of source.ts's worker thread. A worker starts without the
// tsx loader its parent registered, so it registers its own, then runs the
// worker proper.
import { register } from 'tsx/esm/api';

register();
await import('./decode-worker.ts');
