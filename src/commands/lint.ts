/** `lint`: writes a crash would lose (queries/90_lint_events.sql to 97_lint.sql), one finding per rule, file family and process. */
import { bindings, DEFAULT_PARAMS } from '../db/params.js';
import { readFindings, type Evidence, type Finding } from '../db/lint.js';
import { bytes, count, json, when } from './format.js';
import { out, withSession, type LoadOptions } from './options.js';

export interface LintOptions extends LoadOptions {
  json?: boolean;
}

export async function lint(traces: string[], o: LintOptions): Promise<void> {
  // --since, --until and --path choose which occurrences count; the rules judge them on
  // the events those filters cut away too (db/lint.ts).
  const findings = await withSession(traces, o, (s) => readFindings(s, bindings(DEFAULT_PARAMS)));
  if (o.json) {
    await out(json({ findings: findings.map(jsonFinding) }));
    return;
  }
  if (findings.length === 0) {
    await out('no findings\n');
    return;
  }
  await out(findings.map(text).join('\n'));
  await out(`\n${count(findings.length)} finding${findings.length === 1 ? '' : 's'}\n`);
}

/** The contract's fields first (DESIGN.md), then ours. */
function jsonFinding(f: Finding) {
  return {
    rule: f.rule, path: f.path, pid: f.pid, exe: f.exe, at: f.at, detail: f.detail,
    count: f.count, last: f.last, host: f.host, family: f.family, files: f.files, evidence: f.evidence,
  };
}

function text(f: Finding): string {
  const times = f.count === 1 ? `at ${when(f.at)}` : `${count(f.count)} times, ${when(f.at)} to ${when(f.last)}`;
  const family = f.files > 1 ? ` (${count(f.files)} files like ${f.family})` : '';
  return `${f.rule}: ${f.path}${family}\n` +
    `  ${f.exe} pid ${f.pid} on ${f.host}, ${times}\n` +
    `  ${f.detail}\n` +
    f.evidence.map((e) => `    ${when(e.at)}  ${evidence(e)}\n`).join('');
}

function evidence(e: Evidence): string {
  const fd = e.fd >= 0 ? ` fd ${e.fd}` : '';
  const name = e.to === null ? e.path ?? '(unknown)' : `${e.path ?? '(unknown)'} -> ${e.to}`;
  const result = e.error !== null ? ` failed: ${e.error}` : '';
  const amount = e.bytes === null ? '' : e.event === 'close' || e.event === 'exit' ? `, ${bytes(e.bytes)} never synced` : e.event === 'open' ? '' : `, ${bytes(e.bytes)} written since the last sync`;
  return `${e.event} ${name}${fd}${result}${amount}`;
}
