/**
 * What fsync-record checks before it starts anything, so that a recording
 * that would be off is said out loud instead of ending in "no durability
 * calls recorded": the trace directory (the library's own rules, README
 * "FSYNC_TRACE_DIR"), and whether other users can load the library.
 */
import { accessSync, constants, lstatSync, statfsSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

const octal = (mode: number): string => `0${(mode & 0o7777).toString(8)}`;

function lstat(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

function writable(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EROFS' ? 'is on a read-only file system' : `is not writable by uid ${process.geteuid?.() ?? 0}`;
  }
}

/**
 * Why the recorder would not record into `dir` for this user, or undefined
 * when it would. The library refuses a symlink, a non-directory, a directory
 * owned by someone else or writable by group or others; it makes only the
 * last component of a missing one; and it stops when the file system is full.
 */
export function traceDirProblem(dir: string, maxBytes: number): string | undefined {
  const abs = resolve(dir);
  const st = lstat(abs);
  if (!st) {
    const parent = dirname(abs);
    if (!lstat(parent)?.isDirectory()) return `${abs} does not exist and neither does its parent ${parent} (the recorder makes only the last component)`;
    const why = writable(parent);
    return why ? `${abs} does not exist and cannot be made: ${parent} ${why}` : undefined;
  }
  if (st.isSymbolicLink()) return `${abs} is a symbolic link (refused: another user could point it anywhere)`;
  if (!st.isDirectory()) return `${abs} is not a directory`;
  const me = process.geteuid?.() ?? 0;
  if (st.uid !== me) return `${abs} belongs to uid ${st.uid}, not to uid ${me} (refused: it may have been planted by another user)`;
  if ((st.mode & 0o022) !== 0) return `${abs} is writable by group or others (mode ${octal(st.mode)}; refused: make it 0700)`;
  const why = writable(abs);
  if (why) return `${abs} ${why}`;
  const fs = statfsSync(abs);
  const free = Number(fs.bavail) * Number(fs.bsize);
  if (free < 65536) return `${abs} is on a full file system (${free} bytes free)`;
  if (free < maxBytes) return `${abs} has ${free} bytes free, less than one trace file (${maxBytes}): recording stops when it fills`;
  return undefined;
}

/**
 * Why another user (a service's) could not load `file`, or undefined: the
 * file must be readable by others and every directory above it searchable.
 */
export function othersCannotRead(file: string): string | undefined {
  const st = statSync(file);
  if ((st.mode & 0o004) === 0) return `${file} is mode ${octal(st.mode)}`;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const d = statSync(dir);
    if ((d.mode & 0o001) === 0) return `${dir} is mode ${octal(d.mode)}`;
    if (dir === dirname(dir)) return undefined;
  }
}
