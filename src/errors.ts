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
