/**
 * pgbench throughput bare and recorded, and what the recorder's traces cost in
 * space at that rate. Prints figures; asserts nothing.
 *
 *   node --import tsx scripts/bench-pgbench.ts [--runs N] [--seconds S] [--scale K] [--clients C]
 *
 * One throwaway cluster (scripts/workloads/postgres.ts), initialized once.
 * Runs alternate bare, recorded, bare, recorded, ... (N of each, default 3),
 * each one a fresh start of the server (pg_ctl, with or without the recorder
 * preloaded), a pgbench run of S seconds, and a fast shutdown, so that drift
 * in the machine's load falls on both sides alike. Traces go to tmpfs
 * (/dev/shm), as in production, with the default 64 MiB cap per process.
 */
import { chmodSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeJson, analyzeSql, freshDir, removeDir, type InfoJson } from './workloads/common.js';
import { client, createCluster, parsePgbench, startCluster, stopCluster } from './workloads/postgres.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
}

const runs = option('--runs', 3);
const seconds = option('--seconds', 20);
const scale = option('--scale', 10);
const clients = option('--clients', 4);
const MAX_BYTES = 64 << 20;
const RECORD_BYTES = 64;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const say = (line: string) => process.stdout.write(`${line}\n`);

const tmpfs = existsSync('/dev/shm') ? '/dev/shm' : undefined;
const tracesRoot = freshDir('bench-pg-traces', tmpfs);
chmodSync(tracesRoot, 0o755); // the server's user must reach its trace directory inside
const c = await createCluster({ traces: join(tracesRoot, 'traces') });
const tps: { bare: number[]; recorded: number[] } = { bare: [], recorded: [] };
const rates: { records: number; syncs: number; busiest: number; processes: number }[] = [];
try {
  startCluster(c, false);
  say(`pgbench -i -s ${scale} ...`);
  client(c, 'pgbench', ['-i', '-s', String(scale), '-q']);
  stopCluster(c);
  say(`pgbench -c ${clients} -j ${Math.min(clients, 2)} -T ${seconds}, ${runs} runs bare and ${runs} recorded, alternating; ${c.root}`);
  for (let i = 0; i < 2 * runs; i++) {
    const recorded = i % 2 === 1;
    startCluster(c, recorded ? { maxBytes: MAX_BYTES } : false);
    const b = parsePgbench(client(c, 'pgbench', ['-c', String(clients), '-j', String(Math.min(clients, 2)), '-T', String(seconds)]).stdout);
    stopCluster(c);
    (recorded ? tps.recorded : tps.bare).push(b.tps);
    let extra = '';
    if (recorded) {
      // Records per second over the pgbench run: every record (syncs, opens,
      // closes, paths), all processes; and the busiest single process (its own ring).
      const info = analyzeJson<InfoJson>(['info', c.traces]);
      const records = info.traces.reduce((n, t) => n + t.records, 0);
      const busiest = Math.max(...info.traces.map((t) => t.records));
      const [syncs] = analyzeSql<{ n: number | string }>('select count(*) as n from events where type = 3', [c.traces]);
      const r = { records: records / seconds, syncs: Number(syncs!.n) / seconds, busiest: busiest / seconds, processes: info.traces.length };
      rates.push(r);
      extra = `  ${r.records.toFixed(0)} records/s (${r.syncs.toFixed(0)} syncs/s) from ${r.processes} processes; busiest process ${r.busiest.toFixed(0)} records/s`;
      for (const f of info.traces) rmSync(f.file, { force: true });
    }
    say(`  run ${i + 1}: ${recorded ? 'recorded' : 'bare    '} ${b.tps.toFixed(1)} tps${extra}`);
  }
} finally {
  stopCluster(c);
  removeDir(c.root);
  removeDir(tracesRoot);
}

const bare = median(tps.bare);
const rec = median(tps.recorded);
say('');
say(`| pgbench -s ${scale} -c ${clients} -T ${seconds} | median tps | runs |`);
say('|---|---:|---|');
say(`| bare | ${bare.toFixed(1)} | ${tps.bare.map((t) => t.toFixed(1)).join(', ')} |`);
say(`| recorded | ${rec.toFixed(1)} | ${tps.recorded.map((t) => t.toFixed(1)).join(', ')} |`);
say(`| difference | ${(((rec - bare) / bare) * 100).toFixed(1)} % | |`);
const recordsPerSecond = median(rates.map((r) => r.records));
const busiest = median(rates.map((r) => r.busiest));
const perHour = recordsPerSecond * RECORD_BYTES * 3600;
const slots = Math.floor((MAX_BYTES - 4096) / RECORD_BYTES);
say('');
say(`records: ${recordsPerSecond.toFixed(0)}/s in all (${median(rates.map((r) => r.syncs)).toFixed(0)} syncs/s), busiest process ${busiest.toFixed(0)}/s`);
say(`trace bytes per hour at that rate: ${recordsPerSecond.toFixed(0)} x 64 B x 3600 = ${(perHour / 2 ** 20).toFixed(1)} MiB/h across all processes`);
say(`ring cap: ${MAX_BYTES / 2 ** 20} MiB per process = ${slots} records: the busiest process fills its ring in ${(slots / busiest / 3600).toFixed(1)} h, then keeps the newest`);
