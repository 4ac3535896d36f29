/**
 * A progress bar for loads that take a while: drawn on stderr only when it is
 * a terminal, only once the work has run for `delayMs`, and erased at the end
 * so that nothing of it remains in the scrollback.
 */
export interface Progress {
  /** `done` of `total` units are finished; `note` says what they amount to. */
  update(done: number, note: string): void;
  /** Erase the bar so another line can be written; the next update draws it again. */
  clear(): void;
  finish(): void;
}

const WIDTH = 30;
const REDRAW_MS = 100;

export function progressBar(label: string, total: number, opts: { quiet?: boolean; delayMs?: number } = {}): Progress | null {
  const out = process.stderr;
  if (opts.quiet || !out.isTTY || total <= 0) return null;
  const started = Date.now();
  const delay = opts.delayMs ?? 1000;
  let drawnAt = 0;
  let drawn = false;
  return {
    update(done, note) {
      const now = Date.now();
      if (now - started < delay || now - drawnAt < REDRAW_MS) return;
      drawnAt = now;
      drawn = true;
      const frac = Math.min(1, done / total);
      const filled = Math.round(frac * WIDTH);
      const bar = '#'.repeat(filled) + '-'.repeat(WIDTH - filled);
      out.write(`\r${label} [${bar}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${note}\x1b[K`);
    },
    clear() {
      if (drawn) out.write('\r\x1b[K');
      drawn = false;
      drawnAt = 0;
    },
    finish() {
      this.clear();
    },
  };
}
