import { Session } from './src/db/session.js';
import { bindings, DEFAULT_PARAMS } from './src/db/params.js';
import { BIGINT } from '@duckdb/node-api';
const dir = process.argv[2] ?? '/dev/shm/analyze-exp';
let t0 = performance.now();
const cpu0 = process.cpuUsage();
const s = await Session.open({ inputs: [dir], warn: (m) => console.error(m) });
console.log('load', s.load, 'cpu', JSON.stringify(process.cpuUsage(cpu0)));
const b = { ...bindings(DEFAULT_PARAMS), heat_bucket_ns: { value: 60_000_000_000n, type: BIGINT }, heat_files: { value: 50n, type: BIGINT }, max_points: { value: 5000n, type: BIGINT } };
for (const name of (process.argv[3] ?? 'baselines,outliers,incidents,file_stats,totals,trace_info,heat,points').split(',')) {
  t0 = performance.now();
  await s.build([name], b);
  const n = await s.rows(`select count(*) as n from ${name}`);
  console.log(name, (performance.now() - t0).toFixed(0), 'ms', n[0]);
}
console.log((await s.rows("select * from duckdb_memory() where memory_usage_bytes > 0")));
console.log(await s.rows("select incident, start, finish, outliers, files, processes, hosts, worst_ms, worst_path, scope, cause from incidents limit 30"));
console.log('rss', process.memoryUsage().rss / 1e6, 'maxrss', process.resourceUsage().maxRSS / 1e3);
