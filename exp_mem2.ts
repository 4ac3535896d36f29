import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
import { expandInputs } from './src/inputs.js';
import { loadTraces } from './src/db/load.js';
const mode = process.argv[2];
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await inst.connect();
if (mode === 'compress') { await con.run("attach ':memory:' as mem (compress); use mem"); }
if (mode === 'limit') { await con.run("set memory_limit='400MB'"); }
await con.run(readFileSync('src/db/schema.sql', 'utf8'));
const files = expandInputs(['/dev/shm/analyze-exp']);
let t0 = performance.now(); let ck = 0;
for (const f of files) {
  await loadTraces(con, [f], { warn: console.error });
  if (mode === 'compress') { const t = performance.now(); await con.run('checkpoint mem'); ck += performance.now() - t; }
}
console.log(mode, 'load', ((performance.now() - t0)/1000).toFixed(2), 'ckpt', (ck/1000).toFixed(2));
console.log((await con.runAndReadAll("select tag, memory_usage_bytes from duckdb_memory() where memory_usage_bytes > 0")).getRows());
const t2 = performance.now();
await con.run("create table x as select trace_id, count(*), sum(dur_ns), quantile_cont(dur_ns, 0.5) from events group by all");
console.log('scan', ((performance.now() - t2)/1000).toFixed(2));
console.log('rss', process.memoryUsage().rss / 1e6, 'maxrss', process.resourceUsage().maxRSS / 1e3);
