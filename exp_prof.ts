import { readTrace } from './src/trace/decode.js';
import { readdirSync, readFileSync } from 'node:fs';
import { decodeTrace } from './src/trace/decode.js';
const dir = '/dev/shm/analyze-exp';
const files = readdirSync(dir).map(f => dir + '/' + f);
let t0 = performance.now(); let bufs = files.map(f => readFileSync(f)); console.log('read', (performance.now()-t0).toFixed(0));
t0 = performance.now(); let n = 0; for (const b of bufs) { const d = decodeTrace(b, 'x'); n += d.events.length; } console.log('decode', (performance.now()-t0).toFixed(0), n);
