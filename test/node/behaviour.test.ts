/**
 * Nothing changes for a program under the Node hook: failed calls reach it
 * with the same error (code, errno, message, own properties and stack) as
 * without the hook, whether the system said EBADF or an injected EIO; and when
 * the hook cannot record (the trace directory unusable, no addon built) the
 * program runs as before. Without the preload library the hook still records
 * the JavaScript calls (the addon loads the library itself).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyzeJson, type SummaryJson } from '../../scripts/workloads/common.js';
import { account, countBy, FILE_OF, HOOK, NODES, PROGRAMS, recorded, removeRuns, trackedRun, type NodeRun } from './harness.js';

interface Seen { where: string; code?: string; errno?: number; message?: string; stack?: string; props: string[] | null }

const run = trackedRun;
test.after(removeRuns);

/** errors.cjs's account, its data directory written out of its stacks (each run has its own). */
function seen(r: NodeRun): Seen[] {
  assert.is(r.ran.status, 0, r.ran.stderr);
  return account<{ seen: Seen[] }>(r).seen.map((s) => ({ ...s, stack: s.stack?.split(r.data).join('DATA') }));
}

const EIO = ['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'trace=fsync,fdatasync', '-e', 'inject=fsync:error=EIO', '-e', 'inject=fdatasync:error=EIO'];

for (const node of NODES) test(`${node.name}: EBADF: the same errors, stacks included, with and without the hook; each failed call recorded with -EBADF`, () => {
  const bare = run('errors.cjs', [], { node: node.bin, hook: null });
  const hooked = run('errors.cjs', [], { node: node.bin, hook: 'require', env: { FSYNC_TRACE_JS_SITES: 'all' } });
  const a = seen(bare);
  assert.equal(seen(hooked), a);
  assert.equal(a.slice(0, 4).map((s) => [s.where, s.code, s.errno]),
    [['fsyncSync', 'EBADF', -9], ['fdatasyncSync', 'EBADF', -9], ['fsync', 'EBADF', -9], ['fdatasync', 'EBADF', -9]]);
  assert.match(a[0]!.stack!, /^Error: EBADF: bad file descriptor, fsync\n {4}at Object\.fsyncSync \(node:fs:\d+:\d+\)\n {4}at main \(/);
  assert.equal(a[a.length - 1]!.code, 'ERR_INVALID_ARG_TYPE');
  const { js } = recorded(hooked);
  // The bad argument made no system call: not recorded.
  assert.equal(js.map((j) => [j.api, j.res]).sort(), [
    ['filehandle.sync', 0], ['fs.fdatasync', -9], ['fs.fdatasyncSync', -9], ['fs.fsync', -9], ['fs.fsync', 0],
    ['fs.fsyncSync', -9], ['fs.fsyncSync', 0], ['fs.writeFile', 0],
  ]);
});

for (const node of NODES) test(`${node.name}: EIO injected (strace): the same errors with and without the hook; recorded with -EIO, paired with the failed fsync`, () => {
  const bare = run('errors.cjs', [], { node: node.bin, hook: null, wrap: EIO });
  const hooked = run('errors.cjs', [], { node: node.bin, hook: 'require', wrap: EIO });
  const a = seen(bare);
  assert.equal(seen(hooked), a);
  assert.equal(a.slice(0, -1).map((s) => s.code), Array(8).fill('EIO'));
  assert.match(a.find((s) => s.where === 'file filehandle.sync')!.stack!, /at async main \(/);
  const { js, syncs } = recorded(hooked);
  assert.equal(countBy(js, (j) => String(j.res)), { '-5': 8 });
  assert.ok(syncs.length >= 8 && syncs.every((s) => s.res === -5));
});

/*
 * A rejection nobody handles is reported as without the hook: the default
 * (Node prints the error, exit code 1) and an 'unhandledRejection' listener,
 * which gets the same reason, fields and stack, and the very promise the call
 * returned. `stolen`: the system's EBADF from the pool (recorded, -9);
 * `closed` and `badarg`: errors Node makes during the call, under the
 * wrapper's frame, which their stack loses (before, it showed
 * "at FileHandle.sync (.../hook.cjs:...)"); no system call, nothing recorded.
 * For those two, Node's first lines (the source line it blames) name where it
 * reported the rejection instead of where the error was made: taking the
 * hook's frame out of a stack formats it, and V8 then no longer knows the
 * place. The system's errors are left unread, so all of stderr is the same.
 */
const UNHANDLED: [string, string, string][] = [
  ['stolen', 'sync', 'filehandle.sync'], ['stolen', 'datasync', 'filehandle.datasync'],
  ['closed', 'sync', ''], ['closed', 'datasync', ''], ['badarg', 'sync', ''],
];
for (const node of NODES) test(`${node.name}: an unhandled rejection (filehandle.sync/datasync, fs.promises.writeFile with flush) is reported as without the hook`, () => {
  for (const [failure, method, api] of UNHANDLED) {
    const what = `${failure} ${method}`;
    const pair = (who: string) => [null, 'import' as const].map((hook) => run('unhandled.mjs', [failure, who, method], { node: node.bin, hook }));
    const [bare, hooked] = pair('default') as [NodeRun, NodeRun];
    assert.is(bare.ran.status, 1, what);
    assert.is(hooked.ran.status, 1, what);
    const message = (r: NodeRun) => r.ran.stderr.split('\n\n').slice(1).join('\n\n');
    assert.match(message(bare), failure === 'badarg' ? /^TypeError \[ERR_INVALID_ARG_TYPE\]/ : /^Error: (file closed|EBADF: bad file descriptor)/, what);
    if (failure === 'stolen') assert.is(hooked.ran.stderr, bare.ran.stderr, what);
    else assert.is(message(hooked), message(bare), what);
    assert.not.match(hooked.ran.stderr, /hook\.cjs/, what);
    const js = recorded(hooked).js.map((j) => [j.api, j.res]);
    assert.equal(js, api ? [[api, -9]] : [], what);
    const [bareHeard, hookedHeard] = pair('listener') as [NodeRun, NodeRun];
    assert.is(hookedHeard.ran.status, 0, hookedHeard.ran.stderr);
    const heard = account<{ same: boolean; code: string; stack: string }>(bareHeard);
    assert.equal(account(hookedHeard), heard, what);
    assert.equal([heard.same, heard.code], [true, failure === 'badarg' ? 'ERR_INVALID_ARG_TYPE' : 'EBADF'], what);
  }
});

test('an unusable trace directory: the program runs as before and writes the same files', () => {
  const bare = run('apis.mjs', ['1'], { hook: null });
  const blocked = join(bare.dir, 'not-a-directory');
  writeFileSync(blocked, 'x');
  const hooked = run('apis.mjs', ['1'], { env: { FSYNC_TRACE_DIR: blocked } });
  assert.is(hooked.ran.status, 0, hooked.ran.stderr);
  assert.equal(Object.keys(account(hooked)), ['pid', 'n']);
  const files = (r: NodeRun) => readdirSync(r.data).sort().map((f) => [f, readFileSync(join(r.data, f), 'utf8')]);
  assert.equal(files(hooked), files(bare));
  assert.equal(readdirSync(hooked.traces), []);
});

test('without the addon the hook wraps nothing: the program runs as before, the library still records its syscalls', () => {
  const r = run('apis.mjs', ['1'], { hook: null });
  const lone = join(r.dir, 'lone', 'node');
  mkdirSync(lone, { recursive: true });
  copyFileSync(HOOK, join(lone, 'hook.cjs'));
  const hooked = run('apis.mjs', ['1'], { hookFile: join(lone, 'hook.cjs') });
  assert.is(hooked.ran.status, 0, hooked.ran.stderr);
  const { js, syncs } = recorded(hooked);
  assert.is(js.length, 0);
  assert.is(syncs.length, 15);
});

for (const node of NODES) test(`${node.name}: without the preload library: the Node calls are recorded all the same, their files with no sync calls of their own`, () => {
  const r = run('apis.mjs', ['1'], { node: node.bin, preload: false });
  assert.is(r.ran.status, 0, r.ran.stderr);
  const { js, syncs } = recorded(r);
  assert.is(js.length, 15);
  assert.is(syncs.length, 0);
  // Named through /proc (flag 0x2), once per descriptor while it holds the same file:
  // descriptor numbers are reused by the next file, and each call names its own.
  for (const j of js) assert.is(j.path, join(r.data, FILE_OF[j.api]!), j.api);
  assert.ok(js.filter((j) => j.fd >= 0).every((j) => (j.flags & 0x2) !== 0));
  const s = analyzeJson<SummaryJson>(['summary', r.traces]);
  const fd = s.files.find((f) => f.path === join(r.data, 'fd.dat'))!;
  assert.equal([fd.calls, fd.js!.calls], [0, 5]);
  assert.is(s.totals.calls, 0);
});

/** The line of PROGRAMS/program that ends with `// <tag>`, as a call site. */
function lineOf(program: string, tag: string): string {
  const lines = readFileSync(join(PROGRAMS, program), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.endsWith(`// ${tag}`));
  assert.ok(i >= 0, tag);
  return `${join(PROGRAMS, program)}:${i + 1}`;
}

for (const node of NODES) {
  for (const when of ['before', 'after'] as const) {
    test(`${node.name}: built-ins replaced ${when} the hook loads (apply, call, Reflect.apply refusing fs calls; startsWith, URL, Buffer.isBuffer, ... broken): the same results, every call recorded at its line`, () => {
      // before: preloaded (node -r) ahead of the hook; after: required by the program.
      const preload = when === 'before' ? ['--require', join(PROGRAMS, 'breakbuiltins.cjs')] : [];
      const bare = run('builtins.mjs', [when], { node: node.bin, hook: null, wrapNode: preload });
      const hooked = run('builtins.mjs', [when], { node: node.bin, hook: null, wrapNode: [...preload, '--import', HOOK] });
      assert.is(bare.ran.status, 0, bare.ran.stderr);
      assert.is(hooked.ran.status, 0, hooked.ran.stderr);
      const out = { fsync: null, appendFile: null, a: 'a', b: 'b', c: 'c', d: 'd' };
      assert.equal(account(bare), out);
      assert.equal(account(hooked), out);
      const { js } = recorded(hooked);
      const at = (tag: string): string => lineOf('builtins.mjs', tag);
      assert.equal(js.map((j) => [j.api, j.res, j.site]), [
        ['fs.fsyncSync', 0, at('line S')], ['fs.fsync', 0, at('line C')], ['fs.writeFileSync', 0, at('line W')],
        ['fs.appendFile', 0, at('line A')], ['fs.promises.writeFile', 0, at('line P')], ['filehandle.sync', 0, at('line H')],
      ]);
      assert.equal(js.find((j) => j.api === 'fs.writeFileSync')!.path, join(hooked.data, 'b.dat'));
    });
  }
}

test.run();
