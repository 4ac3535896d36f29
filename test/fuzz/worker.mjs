// The fuzz worker's entry point: a worker starts without the tsx loader its
// parent registered, so it registers its own (as src/db/decode-worker.mjs).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
