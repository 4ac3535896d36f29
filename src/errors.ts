/**
 * The one error type of the analyzer. Anything a user can cause — a missing
 * file, a file that is not a trace, a bad option — is an FtError and reaches
 * the terminal as one line; anything else is a bug and exits with code 2.
 */
export class FtError extends Error {
  /** Process exit code: 1 for bad input or usage. */
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'FtError';
    this.exitCode = exitCode;
  }
}

/** A problem in one trace file, at a byte offset when there is one. */
export class TraceError extends FtError {
  readonly file: string;
  readonly offset: number | undefined;

  constructor(file: string, offset: number | undefined, what: string) {
    super(offset === undefined ? `${file}: ${what}` : `${file}: at byte ${offset}: ${what}`);
    this.name = 'TraceError';
    this.file = file;
    this.offset = offset;
  }
}

const ERRNO_WORDS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EROFS: 'read-only file system',
  ELOOP: 'too many levels of symbolic links',
};

/** A system error's code in words, as a user reads it (the code itself when it has none here). */
export function errnoWords(code: string): string {
  return ERRNO_WORDS[code] ?? code;
}
