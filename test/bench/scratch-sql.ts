// scratch: run SQL on a kept db with timing
import { DuckDBInstance } from '@duckdb/node-api';
import { readFileSync } from 'node:fs';
const db = await DuckDBInstance.create(process.argv[2]!, { threads: '2', memory_limit: '1GB' });
const c = await db.connect();
for (const sql of process.argv.slice(3)) {
  const text = sql.startsWith('@') ? readFileSync(sql.slice(1), 'utf8') : sql;
  const t = performance.now(); const cpu = process.cpuUsage();
  const r = await c.runAndReadAll(text);
  const u = process.cpuUsage(cpu);
  const rows = r.getRowObjectsJS();
  console.log(`${((performance.now() - t) / 1000).toFixed(2)} s wall ${((u.user + u.system) / 1e6).toFixed(2)} cpu rss ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MB: ${text.slice(0, 80).replace(/\s+/g, ' ')}`);
  for (const row of rows.slice(0, 40)) console.log(JSON.stringify(row, (_k, v) => typeof v === 'bigint' ? String(v) : v));
}
