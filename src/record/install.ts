/**
 * fsync-record --install [DIR]: copy the recorder library where a service
 * running as any user can load it, and say the unit-file line that uses it.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FtError } from '../errors.js';
import { othersCannotRead } from './checks.js';

export const INSTALL_DIR = '/usr/local/lib';
export const LIBRARY_NAME = 'libfsync_recorder.so';

/**
 * Install `lib` into `dir` (made 0755 if missing; its parent must exist) as a 0644 file, replaced
 * atomically (a program loading the old copy keeps its mapping). Returns the
 * installed path; an FtError naming the directory when it cannot be done.
 */
export function install(lib: string, dir = INSTALL_DIR): string {
  const target = join(resolve(dir), LIBRARY_NAME);
  const tmp = `${target}.${process.pid}.tmp`;
  try {
    if (!existsSync(resolve(dir))) mkdirSync(resolve(dir), { mode: 0o755 });
    copyFileSync(lib, tmp);
    chmodSync(tmp, 0o644);
    renameSync(tmp, target);
  } catch (err) {
    if (existsSync(tmp)) rmSync(tmp, { force: true });
    throw new FtError(`fsync-record: cannot install into ${resolve(dir)}: ${(err as Error).message}`);
  }
  return target;
}

/** The warning for a library path other users cannot load, or undefined. */
export function unreadableWarning(lib: string): string | undefined {
  const why = othersCannotRead(lib);
  if (!why) return undefined;
  return `fsync-record: warning: other users cannot load ${lib} (${why}): a service running as another user records nothing; ` +
    `fsync-record --install [DIR] copies it to a readable place (default ${INSTALL_DIR})`;
}
