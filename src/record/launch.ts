/**
 * What fsync-record's plan is made of: where the library is, where the
 * traces go, the environment that preloads the library, sizes.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FtError } from '../errors.js';

const LIBRARY = fileURLToPath(new URL('../../recorders/build/libfsync_recorder.so', import.meta.url));
const NODE_HOOK = fileURLToPath(new URL('../../recorders/node/hook.cjs', import.meta.url));
const NODE_ADDON = fileURLToPath(new URL('../../recorders/build/fsync_trace_node.node', import.meta.url));

/** The recorder library's absolute path; it is built by `npm ci` (make -C recorders). */
export function libraryPath(): string {
  if (!existsSync(LIBRARY)) {
    throw new FtError(`fsync-record: the recorder library is not built (${LIBRARY}); run: make -C recorders`);
  }
  return LIBRARY;
}

/** The recorder's own default: a per-user directory on tmpfs. */
export function defaultTraceDir(): string {
  return `/dev/shm/fsync-trace-${process.getuid?.() ?? 0}`;
}

/**
 * The environment for the command: the library first in LD_PRELOAD (keeping
 * what was there: ld.so takes spaces or colons between entries), and the
 * recorder's settings.
 */
export function preloadEnv(base: NodeJS.ProcessEnv, lib: string, dir: string, maxBytes?: number): NodeJS.ProcessEnv {
  const kept = (base.LD_PRELOAD ?? '').split(/[ :]+/).filter((e) => e !== '' && e !== lib);
  const env: NodeJS.ProcessEnv = { ...base, LD_PRELOAD: [lib, ...kept].join(':'), FSYNC_TRACE_DIR: resolve(dir) };
  if (maxBytes !== undefined) env.FSYNC_TRACE_MAX_BYTES = String(maxBytes);
  return env;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "65536", "64K", "64M", "1G" (binary units) to bytes. */
export function parseSize(text: string): number {
  const m = /^(\d+)\s*([kmg]?)(i?b)?$/i.exec(text.trim());
  if (!m) throw new FtError(`not a size: '${text}' (expected a number of bytes, or e.g. 64K, 64M, 1G)`);
  const bytes = Number(m[1]) * UNITS[m[2]!.toLowerCase()]!;
  if (!Number.isSafeInteger(bytes) || bytes < 16384) throw new FtError(`size '${text}' is too small: the least is 16K`);
  return bytes;
}

/**
 * --node: NODE_OPTIONS that load the Node hook (recorders/node/hook.cjs) into
 * every Node process the command starts, before the program's own code
 * (--require serves CommonJS and ES module programs alike), keeping the
 * options already there. The addon must be built (make -C recorders, with
 * Node's headers), or the hook would record nothing.
 */
export function nodeOptions(base: string | undefined): string {
  if (!existsSync(NODE_ADDON)) {
    throw new FtError(`fsync-record: --node: the hook's addon is not built (${NODE_ADDON}); run: make -C recorders (it needs Node's headers, node_api.h)`);
  }
  const hook = /[\s"\\]/.test(NODE_HOOK) ? `"${NODE_HOOK.replace(/(["\\])/g, '\\$1')}"` : NODE_HOOK;
  return [`--require ${hook}`, base ?? ''].filter((o) => o.trim() !== '').join(' ');
}
