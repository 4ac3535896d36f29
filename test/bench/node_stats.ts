/**
 * The statistics npm run bench:node quotes for its in-process comparison
 * (test/bench/node_ab.mjs): the median of per-block differences with a
 * distribution-free 95% interval (order statistics: no assumption about the
 * differences' shape, which a busy machine makes heavy-tailed), and the
 * verdict against a target that interval allows.
 */
export interface MedianCi {
  median: number;
  lo: number;
  hi: number;
  n: number;
}

export function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The median and its 95% interval: the order statistics n/2 -+ 1.96 sqrt(n)/2 (binomial, p = 1/2). */
export function medianCi(xs: number[]): MedianCi {
  const s = xs.slice().sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { median: NaN, lo: NaN, hi: NaN, n };
  const half = 0.98 * Math.sqrt(n);
  return { median: median(s), lo: s[Math.max(0, Math.floor(n / 2 - half))]!, hi: s[Math.min(n - 1, Math.ceil(n / 2 + half) - 1)]!, n };
}

/** 'met' when the whole interval is at or under the target, 'missed' when over it, else 'undecided'. */
export function verdict(ci: MedianCi, target: number): 'met' | 'missed' | 'undecided' {
  if (ci.hi <= target) return 'met';
  if (ci.lo > target) return 'missed';
  return 'undecided';
}

/** "+283 (+270..+301)". */
export function ciText(ci: MedianCi): string {
  const f = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(Math.round(x)).toLocaleString('en-US')}`;
  return `${f(ci.median)} (${f(ci.lo)}..${f(ci.hi)})`;
}
