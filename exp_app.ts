import { readdirSync, readFileSync } from 'node:fs';
import { decodeTrace } from './src/trace/decode.js';
import { createDb } from './src/db/connect.js';
import { ColumnAppender } from './src/db/append.js';
const dir = '/dev/shm/analyze-exp';
const files = readdirSync(dir).map(f => dir + '/' + f).slice(0, 10);
const decoded = files.map(f => decodeTrace(readFileSync(f), f));
const db = await createDb(null);
const con = db.connection;
let t0 = performance.now();
const app = await ColumnAppender.create(con, 'events');
for (const d of decoded) { const c = d.events; const n = c.length;
  app.append([new Int32Array(n).fill(1), new BigInt64Array(n), c.type, c.call, c.flags, c.startNs, c.durNs, c.tid, c.fd, c.pathId, c.res, c.bytes, c.writes, c.writeUs, c.ivalStartNs], 0, n); }
let t1 = performance.now(); app.close(); let t2 = performance.now();
console.log('append', (t1 - t0).toFixed(0), 'close', (t2 - t1).toFixed(0));
console.log((await con.runAndReadAll("select * from duckdb_memory() where memory_usage_bytes > 0")).getRows());
