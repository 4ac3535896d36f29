/**
 * Turn the trace arguments of a command — files, directories, globs — into a
 * sorted list of trace files. A directory stands for every `*.fstrace` under
 * it; a glob (quoted, so the shell leaves it alone) may use `*`, `?`, `[...]`
 * and `**`. A named file is taken whatever its name, so a copied trace need
 * not keep its extension.
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { FtError } from './errors.js';

const TRACE_SUFFIX = '.fstrace';
const GLOB_CHARS = /[*?[]/;

/** Every trace file the arguments name, each once, in path order. */
export function expandInputs(args: readonly string[], warn: (message: string) => void = () => undefined): string[] {
  const found = new Set<string>();
  const denied: string[] = [];
  for (const arg of args) {
    for (const file of expandOne(arg, denied)) found.add(file);
  }
  if (denied.length > 0) {
    const which = `${denied.slice(0, 3).join(', ')}${denied.length > 3 ? ` and ${denied.length - 3} more` : ''}`;
    if (found.size === 0) throw new FtError(`${which}: permission denied`);
    warn(`${which}: permission denied (skipped)`);
  }
  if (found.size === 0) {
    throw new FtError(args.length === 0
      ? 'no trace files given (name trace files, directories or globs, or use --db FILE)'
      : `no trace files found in ${args.join(', ')} (expected *${TRACE_SUFFIX} files)`);
  }
  return [...found].sort();
}

function expandOne(arg: string, denied: string[]): string[] {
  let stat;
  try {
    stat = statSync(arg, { throwIfNoEntry: false });
  } catch (err) {
    if (isDenied(err)) throw new FtError(`${arg}: permission denied`);
    throw err;
  }
  if (stat?.isFile()) return [resolve(arg)];
  if (stat?.isDirectory()) return walk(resolve(arg), denied).filter((f) => f.endsWith(TRACE_SUFFIX));
  if (GLOB_CHARS.test(arg)) return glob(arg, denied);
  throw new FtError(`${arg}: no such file or directory`);
}

function isDenied(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException)?.code;
  return code === 'EACCES' || code === 'EPERM';
}

/** Files under `dir`, recursively; directories that cannot be read go to `denied`. */
function walk(dir: string, denied: string[]): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (isDenied(err)) denied.push(dir);
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(path, denied));
    else if (e.isFile()) out.push(path);
    else if (e.isSymbolicLink() && statSync(path, { throwIfNoEntry: false })?.isFile()) out.push(path);
  }
  return out;
}

/**
 * Files matching `pattern`. The walk starts at the longest leading part of the
 * pattern without glob characters; what a match names is a file, or the
 * `*.fstrace` files of a directory.
 */
function glob(pattern: string, denied: string[]): string[] {
  const abs = resolve(pattern);
  const parts = abs.split(sep);
  const fixed = parts.findIndex((p) => GLOB_CHARS.test(p));
  const root = parts.slice(0, fixed).join(sep) || sep;
  const re = globRegExp(parts.slice(fixed).join('/'));
  const out: string[] = [];
  for (const file of walk(root, denied)) {
    const rel = file.slice(root.length).replace(/^[/\\]+/, '').split(sep).join('/');
    if (re.test(rel)) {
      out.push(file);
      continue;
    }
    // A pattern that names directories (logs/*) stands for their traces.
    const dirs = rel.split('/').slice(0, -1);
    for (let i = 1; i <= dirs.length; i++) {
      if (re.test(dirs.slice(0, i).join('/')) && file.endsWith(TRACE_SUFFIX)) {
        out.push(file);
        break;
      }
    }
  }
  return out;
}

/** A glob as an anchored regular expression over '/'-separated relative paths. */
export function globRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // '**/' matches any number of whole directories, '**' anything at all.
      if (pattern[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) {
        re += '\\[';
      } else {
        const body = pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else {
      re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}
