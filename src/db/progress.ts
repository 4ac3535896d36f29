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
/** How long work runs before it is shown: 1 s (FSYNC_ANALYZE_PROGRESS_DELAY_MS for tests). */
const DELAY_MS = Number(process.env.FSYNC_ANALYZE_PROGRESS_DELAY_MS ?? 1000);

export function progressBar(label: string, total: number, opts: { quiet?: boolean; delayMs?: number } = {}): Progress | null {
  const out = process.stderr;
  if (opts.quiet || !out.isTTY || total <= 0) return null;
  const started = Date.now();
  const delay = opts.delayMs ?? DELAY_MS;
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

/**
 * A phase without a measure of its progress (the analysis queries, the
 * report's rendering): once it has run `delayMs`, a line on a terminal's
 * stderr says what is running and for how long, redrawn while the event loop
 * turns, and erased when it ends.
 */
export async function phase<T>(label: string, opts: { quiet?: boolean; delayMs?: number }, work: () => Promise<T>): Promise<T> {
  const out = process.stderr;
  if (opts.quiet || !out.isTTY) return work();
  const started = Date.now();
  const delay = opts.delayMs ?? DELAY_MS;
  let drawn = false;
  const draw = () => {
    const s = (Date.now() - started) / 1000;
    if (s * 1000 < delay) return;
    drawn = true;
    out.write(`\r${label}... ${s.toFixed(0)} s\x1b[K`);
  };
  const timer = setInterval(draw, 250);
  if (delay === 0) draw();
  try {
    return await work();
  } finally {
    clearInterval(timer);
    if (drawn) out.write('\r\x1b[K');
  }
}

/**
 * A synchronous phase (nothing can redraw while it runs): its line is written
 * before it starts when `likelySlow` (say, the load before it took seconds).
 */
export function syncPhase<T>(label: string, opts: { quiet?: boolean; likelySlow: boolean }, work: () => T): T {
  const out = process.stderr;
  const show = !opts.quiet && out.isTTY && opts.likelySlow;
  if (show) out.write(`\r${label}...\x1b[K`);
  try {
    return work();
  } finally {
    if (show) out.write('\r\x1b[K');
  }
}
