/**
 * The pairing of Node calls with the system calls that did their work
 * (js_pairs.ts reads the rows and writes the result; queries/56_js_waits.sql
 * joins it).
 *
 * Within one lane of one file (a process's calls of one kind, on libuv's pool
 * or on one JavaScript thread), calls C1..Cn are sorted by start and syncs
 * S1..Sm by start. Ci and Sj are compatible when Sj ran inside Ci's window;
 * calls and syncs compatible with nothing are left out first. The pool takes
 * work first in, first out, so the syncs start in the order their calls were
 * made: an alignment pairs calls with compatible syncs, one each, in that
 * order (i < i' implies j < j'), with one exception, as a pool thread can be
 * preempted between taking a call's work and starting its sync: a *late* step
 * pairs one call (or two consecutive calls) with the sync(s) right after those
 * of the d >= 1 calls that follow it, which are paired in order one to one
 * (nothing missing or left over among them); it costs k x d (k the late calls).
 * A maximum alignment pairs as many calls as any alignment can and, of those,
 * costs the least; there may be several. A call is
 * - PAIRED with Sj when every maximum alignment pairs it with Sj;
 * - AMBIGUOUS when maximum alignments disagree about it (different syncs, or
 *   paired in some and not in others);
 * - UNPAIRED when no maximum alignment pairs it.
 * Late steps are tried only in a run where the alignments in order pair fewer
 * calls than a matching that ignores the order can (a greedy count): elsewhere
 * each would only cost. In a run with more syncs than calls, where maximum
 * alignments leave syncs over, late steps cost nothing: a sync no call asked
 * for may have taken a late sync's place (each call between then taking the
 * sync before its own, in order), and the two cannot be told apart.
 *
 * Two late syncs whose delays overlap with calls paired between (A waits,
 * then B, then A's sync starts, calls go on, then B's) are not one late step.
 * Where a run's alignments pair fewer calls than a matching that ignores the
 * order, a sync left over all of whose window-holding calls were paired shows
 * one of them may hold another's sync (a late step in the wrong place): those
 * calls are made ambiguous. Then the calls of such runs not paired are aligned
 * again, the same way, with those runs' syncs no paired call took (no sync a maximum alignment
 * gives a call is any other call's in any), apart from the pairs made, until
 * no more come: once B is paired, A's is one late step.
 *
 * Computed as a longest path in the grid of (calls, syncs) taken so far, a
 * pair worth `big` (bigOf) less its cost: F forward from (0, 0), G backward from (n, m),
 * OPT the best. A step is in some maximum alignment exactly when F(start) +
 * its worth + G(end) = OPT, and some maximum alignment leaves Ci without a
 * sync exactly when F(i-1, j) + G(i, j) = OPT for some j.
 *
 * Runs: the calls split where every sync a call before could take starts
 * before every sync a call after could take; runs are aligned apart. A run's
 * `extra` is its syncs beyond one per call, max(0, m - n): at least that many
 * were no call's (a stray and a missing sync in one run balance).
 *
 * Cost: F(i, ·) and G(i-1, ·) change only over the columns [lo'(i) - 1,
 * hi'(i)], lo' the smallest first compatible sync of Ci..Cn and hi' the
 * largest last of C1..Ci (outside, they are constant or not needed): about
 * the number of calls in flight, b. O(n x b) time and memory per run, and
 * O(n x b x b) time for a run that takes late steps. A call whose window holds
 * many syncs (a callback delivered late: the event loop was busy) would widen
 * the band of every later call: a window holding more candidate syncs than K =
 * max(64, 4 x the median call's) is aligned with its first K only (a pool
 * starts a call's sync after those of the calls in flight before it), and the
 * call stays PAIRED only when every sync in the rest of its window is paired
 * with another call; else it is AMBIGUOUS (in a short run, aligned again
 * below with the syncs left, its window's whole). A queue deeper than K at some moment (a
 * burst far above the run's usual depth) leaves its deepest calls ambiguous.
 * A run whose tables would still take more than CELL_BUDGET cells leaves its
 * calls ambiguous rather than exhaust memory.
 */

export const UNPAIRED = 0;
export const PAIRED = 1;
export const AMBIGUOUS = 2;

export interface Match {
  /** Per call: UNPAIRED, PAIRED or AMBIGUOUS. */
  state: Uint8Array;
  /** Per call: the index of its sync when PAIRED, else -1. */
  sync: Int32Array;
  /** Per call: its run (0, 1, ...), or -1 when no sync is compatible with it. */
  run: Int32Array;
  /** Per sync: its run, or -1 when no call is compatible with it. */
  syncRun: Int32Array;
  /** Per run: its syncs beyond one per call (at least that many were no call's). */
  extra: number[];
  /** Per run: its alignments pair fewer calls than a matching that ignores the order. */
  short: boolean[];
}

/**
 * A pair's worth in a run of n calls: above any alignment's total cost of late
 * steps (each k x d with k <= 2, the d calls disjoint: at most 2n), and small
 * enough that n pairs' worth stays an exact double (n <= 2^25, which the cell
 * budget ensures: a row's band is 2 cells at least).
 */
const bigOf = (n: number) => 2 ** Math.ceil(Math.log2(2 * n + 2));
/** The most consecutive calls a late step moves. */
const LATE_CALLS = 2;

/**
 * Match calls (windows [a[i], b[i]], sorted by a) with syncs ([s[j], e[j]],
 * sorted by s): Sj is compatible with Ci when a[i] <= s[j] and e[j] <= b[i]
 * (the caller widens the windows by its slack).
 */
export function matchWindows(a: Float64Array, b: Float64Array, s: Float64Array, e: Float64Array, budget = CELL_BUDGET): Match {
  const n = a.length;
  const m = s.length;
  const out: Match = {
    state: new Uint8Array(n), sync: new Int32Array(n).fill(-1), run: new Int32Array(n).fill(-1),
    syncRun: new Int32Array(m).fill(-1), extra: [], short: [],
  };
  // Each call's compatible syncs, in start order (call i's are list[at[i] .. at[i + 1])).
  let at = new Int32Array(n + 1);
  let list: Int32Array<ArrayBuffer> = new Int32Array(Math.max(16, 2 * n));
  let len = 0;
  let first = 0;
  for (let i = 0; i < n; i++) {
    while (first < m && s[first]! < a[i]!) first++;
    at[i] = len;
    for (let j = first; j < m && s[j]! <= b[i]!; j++) {
      if (e[j]! > b[i]!) continue;
      if (len === list.length) list = grow(list);
      list[len++] = j;
    }
  }
  at[n] = len;

  // A wide window (more candidate syncs than WIDE_TIMES x the median call's, and than
  // WIDE_MIN) is aligned with its first `limit` only, so that it widens no band (below).
  const limit = wideLimit(at, n);
  const full = { at, list };
  const wide: number[] = [];
  for (let i = 0; i < n; i++) if (at[i + 1]! - at[i]! > limit) wide.push(i);
  if (wide.length > 0) {
    const clipped = new Int32Array(n + 1);
    for (let i = 0; i < n; i++) clipped[i + 1] = clipped[i]! + Math.min(limit, at[i + 1]! - at[i]!);
    const kept = new Int32Array(clipped[n]!);
    for (let i = 0; i < n; i++) kept.set(list.subarray(at[i]!, at[i]! + clipped[i + 1]! - clipped[i]!), clipped[i]!);
    at = clipped;
    list = kept;
  }
  // The calls with a compatible sync, and where runs end: after call c when every sync
  // the calls after it can take starts after every sync the calls up to it could.
  const calls: number[] = [];
  for (let i = 0; i < n; i++) if (at[i + 1]! > at[i]!) calls.push(i);
  const k = calls.length;
  const lowFrom = new Int32Array(k + 1).fill(m);
  for (let c = k - 1; c >= 0; c--) lowFrom[c] = Math.min(lowFrom[c + 1]!, list[at[calls[c]!]!]!);
  let high = -1;
  let begin = 0;
  for (let c = 0; c < k; c++) {
    high = Math.max(high, list[at[calls[c]! + 1]! - 1]!);
    if (c + 1 < k && lowFrom[c + 1]! <= high) continue;
    solveRun(calls.slice(begin, c + 1), lowFrom[begin]!, high, at, list, { a, b, s, e }, out, budget);
    begin = c + 1;
  }
  doubtWide(wide, limit, full, out);
  again(a, b, s, e, out, budget);
  return out;
}

/** A window is wide when it holds more candidate syncs than this many times the median call's... */
const WIDE_TIMES = 4;
/** ...and more than this many. */
const WIDE_MIN = 64;
/** The most cells (F and G entries each, 8 bytes) one run's tables may take: beyond, its calls are left ambiguous. */
export const CELL_BUDGET = 2 ** 26;

/** The count of candidate syncs above which a call's window is wide. */
function wideLimit(at: Int32Array, n: number): number {
  const counts: number[] = [];
  for (let i = 0; i < n; i++) if (at[i + 1]! > at[i]!) counts.push(at[i + 1]! - at[i]!);
  if (counts.length === 0) return Infinity;
  counts.sort((p, q) => p - q);
  return Math.max(WIDE_MIN, WIDE_TIMES * counts[counts.length >> 1]!);
}

/**
 * A wide call, aligned with its window's first `limit` candidate syncs, stays PAIRED
 * only when every sync beyond them in its window is paired with another call; else
 * (or when not paired) it is AMBIGUOUS (in a short run, aligned again by
 * again() with the syncs left, its window's tail included).
 */
function doubtWide(wide: number[], limit: number, full: { at: Int32Array; list: Int32Array }, out: Match): void {
  if (wide.length === 0) return;
  const held = new Uint8Array(out.syncRun.length);
  for (let i = 0; i < out.state.length; i++) if (out.state[i] === PAIRED) held[out.sync[i]!] = 1;
  for (const i of wide) {
    let sure = out.state[i] === PAIRED;
    for (let p = full.at[i]! + limit; p < full.at[i + 1]!; p++) {
      const j = full.list[p]!;
      sure &&= held[j] === 1;
      // A sync only the window's tail holds is in the call's run (the second alignment may give it).
      if (out.syncRun[j]! < 0) out.syncRun[j] = out.run[i]!;
    }
    if (sure) continue;
    out.state[i] = AMBIGUOUS;
    out.sync[i] = -1;
  }
}

/**
 * In the runs whose alignments pair fewer calls than a matching that ignores
 * the order (and only there: elsewhere the alignments' verdicts stand), the
 * calls left unpaired or ambiguous, aligned again with those runs' syncs no
 * paired call took, apart from the pairs made (until no more are): two late syncs
 * whose delays overlap, with calls paired between (A waits, then B, then A's
 * sync starts, calls go on, then B's), are not one late step, but once B is
 * paired, A's is one. A sync a maximum alignment gives a call is given to no
 * other call by any, so nothing is taken from the calls left.
 */
function again(a: Float64Array, b: Float64Array, s: Float64Array, e: Float64Array, out: Match, budget: number): void {
  if (!out.short.some(Boolean)) return;
  doubt(a, b, s, e, out);
  const short = (r: number) => r >= 0 && out.short[r] === true;
  const left: number[] = [];
  let calls = 0;
  for (let i = 0; i < a.length; i++) {
    if (!short(out.run[i]!)) continue;
    calls++;
    if (out.state[i] !== PAIRED) left.push(i);
  }
  if (left.length === 0) return;
  const taken = new Uint8Array(s.length);
  for (let i = 0; i < a.length; i++) if (out.state[i] === PAIRED) taken[out.sync[i]!] = 1;
  const free: number[] = [];
  let syncs = 0;
  for (let j = 0; j < s.length; j++) {
    if (!short(out.syncRun[j]!)) continue;
    syncs++;
    if (!taken[j]) free.push(j);
  }
  if (left.length + free.length === calls + syncs) return;
  const pick = (v: Float64Array, at: number[]) => Float64Array.from(at, (k) => v[k]!);
  const m = matchWindows(pick(a, left), pick(b, left), pick(s, free), pick(e, free), budget);
  left.forEach((i, k) => {
    out.state[i] = m.run[k]! < 0 ? UNPAIRED : m.state[k]!;
    out.sync[i] = m.state[k] === PAIRED ? free[m.sync[k]!]! : -1;
  });
}

/**
 * In a run whose alignments pair fewer calls than a matching that ignores the
 * order (delays beyond a late step), a sync left over whose window-holding
 * calls were all paired shows that one of them may have been given another's
 * sync (a late step taken in the wrong place): those are made ambiguous, to
 * be aligned again with the syncs left.
 */
function doubt(a: Float64Array, b: Float64Array, s: Float64Array, e: Float64Array, out: Match): void {
  if (!out.short.some(Boolean)) return;
  const taken = new Uint8Array(s.length);
  for (let i = 0; i < a.length; i++) if (out.state[i] === PAIRED) taken[out.sync[i]!] = 1;
  // Each run's calls are consecutive among those with a sync: its first.
  const first = new Int32Array(out.short.length).fill(-1);
  for (let i = a.length - 1; i >= 0; i--) if (out.run[i]! >= 0) first[out.run[i]!] = i;
  const doubted: number[] = [];
  for (let j = 0; j < s.length; j++) {
    const r = out.syncRun[j]!;
    if (r < 0 || taken[j] || !out.short[r]) continue;
    const holders: number[] = [];
    for (let i = first[r]!; i < a.length && a[i]! <= s[j]!; i++) if (out.run[i] === r && e[j]! <= b[i]!) holders.push(i);
    if (holders.every((i) => out.state[i] === PAIRED)) doubted.push(...holders);
  }
  for (const i of doubted) {
    out.state[i] = AMBIGUOUS;
    out.sync[i] = -1;
  }
}

/** One run, its calls and syncs numbered from 1, and its grid. */
interface Run {
  n: number;
  m: number;
  /** A pair's worth (bigOf(n)). */
  big: number;
  /** Row r's compatible columns: col[rowAt[r] .. rowAt[r + 1]), ascending. */
  rowAt: Int32Array;
  col: Int32Array;
  /** Column c's compatible rows: row[colAt[c] .. colAt[c + 1]), ascending; entry[] is each one's index in col. */
  colAt: Int32Array;
  row: Int32Array;
  entry: Int32Array;
  /** Per compatible cell (index in col): how many compatible cells end (back) / start (ahead) at it along its diagonal (made for late steps only). */
  back: Int32Array;
  ahead: Int32Array;
  /** Row r's band [lo[r], hi[r]], both non-decreasing; F(r, ·) and G(r - 1, ·) are kept over it from off[r]. */
  lo: Int32Array;
  hi: Int32Array;
  /** (Doubles: the total is checked against the budget before any table is made.) */
  off: Float64Array;
}

/**
 * One run: `calls` (indices, in order), whose compatible syncs all lie in
 * [lowSync, highSync]. Fills the calls' state, sync and run, and the syncs' run.
 */
function solveRun(
  calls: number[], lowSync: number, highSync: number, at: Int32Array, list: Int32Array,
  t: { a: Float64Array; b: Float64Array; s: Float64Array; e: Float64Array }, out: Match, budget: number,
): void {
  const id = out.extra.length;
  // The run's candidate syncs, numbered 1..m.
  const local = new Int32Array(highSync - lowSync + 1);
  for (const i of calls) for (let p = at[i]!; p < at[i + 1]!; p++) local[list[p]! - lowSync] = 1;
  const global: number[] = [0];
  for (let j = 0; j < local.length; j++) {
    if (local[j] === 0) continue;
    local[j] = global.length;
    global.push(lowSync + j);
    out.syncRun[lowSync + j] = id;
  }
  const m = global.length - 1;
  const n = calls.length;
  for (const i of calls) out.run[i] = id;
  if (n === 1) {
    // One call: paired when its window holds one candidate sync, else any of them.
    out.extra.push(m - 1);
    out.short.push(false);
    out.state[calls[0]!] = m === 1 ? PAIRED : AMBIGUOUS;
    if (m === 1) out.sync[calls[0]!] = global[1]!;
    return;
  }
  const g = grid(calls, lowSync, at, list, local, m);
  if (g.off[n + 1]! > budget) {
    // Tables too large for memory: the run's calls are left ambiguous.
    out.extra.push(Math.max(0, m - n));
    out.short.push(false);
    for (const i of calls) out.state[i] = AMBIGUOUS;
    return;
  }
  let late: Lateness = null;
  let best = align(g, late);
  const most = greedyCount(calls, global, t);
  if (Math.ceil(best.opt / g.big) < most) {
    late = 'costs';
    best = align(g, late);
  }
  const pairs = Math.ceil(best.opt / g.big);
  out.short.push(pairs < most);
  if (pairs < m && m > n) {
    // More syncs than calls: one no call asked for may have taken a late sync's place
    // (the calls between then each took the sync before their own, at no cost):
    // lateness is no reason to prefer one alignment to another here.
    late = 'free';
    best = align(g, late);
  }
  out.extra.push(Math.max(0, m - n));
  const options = classify(g, best, late);
  for (let r = 1; r <= n; r++) {
    const i = calls[r - 1]!;
    const o = options[r]!;
    if (o > 0 && !best.skip[r]) {
      out.state[i] = PAIRED;
      out.sync[i] = global[o]!;
    } else {
      out.state[i] = o === 0 ? UNPAIRED : AMBIGUOUS;
    }
  }
}

/** The run's grid: compatible cells by row and by column, their diagonal runs, and the bands. */
function grid(calls: number[], lowSync: number, at: Int32Array, list: Int32Array, local: Int32Array, m: number): Run {
  const n = calls.length;
  const rowAt = new Int32Array(n + 2);
  for (let r = 1; r <= n; r++) rowAt[r + 1] = rowAt[r]! + at[calls[r - 1]! + 1]! - at[calls[r - 1]!]!;
  const col = new Int32Array(rowAt[n + 1]!);
  const colAt = new Int32Array(m + 2);
  for (let r = 1; r <= n; r++) {
    const i = calls[r - 1]!;
    for (let p = at[i]!, q = rowAt[r]!; p < at[i + 1]!; p++, q++) {
      col[q] = local[list[p]! - lowSync]!;
      colAt[col[q]! + 1] = colAt[col[q]! + 1]! + 1;
    }
  }
  for (let c = 1; c <= m + 1; c++) colAt[c] = colAt[c]! + colAt[c - 1]!;
  const row = new Int32Array(col.length);
  const entry = new Int32Array(col.length);
  const fill = colAt.slice();
  for (let r = 1; r <= n; r++) {
    for (let q = rowAt[r]!; q < rowAt[r + 1]!; q++) {
      const p = fill[col[q]!]!;
      fill[col[q]!] = p + 1;
      row[p] = r;
      entry[p] = q;
    }
  }
  const g: Run = {
    n, m, big: bigOf(n), rowAt, col, colAt, row, entry, back: new Int32Array(0), ahead: new Int32Array(0),
    lo: new Int32Array(n + 2), hi: new Int32Array(n + 2), off: new Float64Array(n + 2),
  };
  const { lo, hi, off } = g;
  lo[n + 1] = m;
  for (let r = n; r >= 1; r--) lo[r] = Math.min(lo[r + 1]!, col[rowAt[r]!]! - 1);
  for (let r = 1; r <= n; r++) hi[r] = Math.max(hi[r - 1]!, col[rowAt[r + 1]! - 1]!);
  hi[n + 1] = m;
  for (let r = 1; r <= n; r++) off[r + 1] = off[r]! + hi[r]! - lo[r]! + 1;
  return g;
}

/** The diagonal runs of the compatible cells, which late steps need. */
function diagonals(g: Run): void {
  if (g.back.length === g.col.length) return;
  const { n, rowAt, col } = g;
  g.back = new Int32Array(col.length);
  g.ahead = new Int32Array(col.length);
  for (let r = 1; r <= n; r++) {
    for (let q = rowAt[r]!; q < rowAt[r + 1]!; q++) {
      const p = find(g, r - 1, col[q]! - 1);
      g.back[q] = p < 0 ? 1 : g.back[p]! + 1;
    }
  }
  for (let r = n; r >= 1; r--) {
    for (let q = rowAt[r]!; q < rowAt[r + 1]!; q++) {
      const p = find(g, r + 1, col[q]! + 1);
      g.ahead[q] = p < 0 ? 1 : g.ahead[p]! + 1;
    }
  }
}

/** The index in `col` of cell (r, c), or -1 when it is not compatible. */
function find(g: Run, r: number, c: number): number {
  if (r < 1 || r > g.n) return -1;
  let lo = g.rowAt[r]!;
  let hi = g.rowAt[r + 1]! - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = g.col[mid]!;
    if (v === c) return mid;
    if (v < c) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

interface Aligned {
  opt: number;
  /** F(r, ·) and G(r - 1, ·) over row r's band. */
  f: Float64Array;
  gb: Float64Array;
  F: (r: number, c: number) => number;
  G: (r: number, c: number) => number;
  /** Per row: some maximum alignment leaves the call without a sync. */
  skip: Uint8Array;
}

/** A late step: late calls r0+1..r0+k with syncs c1+1..c1+k; calls r0+k+1..r0+k+d in order with syncs c0+1..c0+d (c1 = c0 + d). */
type Late = (r0: number, c0: number, k: number, d: number) => void;

/** Every late step that ends at cell (R, J). */
function lateEndingAt(g: Run, R: number, J: number, each: Late): void {
  for (let k = 1; k <= LATE_CALLS; k++) {
    const chain = find(g, R, J - k);
    if (chain < 0) continue;
    const longest = g.back[chain]!;
    // The last late call r' = R - d holds sync J, with k compatible cells up its diagonal.
    for (let p = g.colAt[J]!; p < g.colAt[J + 1]!; p++) {
      const r1 = g.row[p]!;
      const d = R - r1;
      if (d < 1 || d > longest || g.back[g.entry[p]!]! < k || r1 - k < 0 || J - k - d < 0) continue;
      each(r1 - k, J - k - d, k, d);
    }
  }
}

/** Every late step that starts at cell (r, c). */
function lateStartingAt(g: Run, r: number, c: number, each: Late): void {
  for (let k = 1; k <= LATE_CALLS; k++) {
    const chain = find(g, r + k + 1, c + 1);
    if (chain < 0) continue;
    const longest = g.ahead[chain]!;
    // The first late call r + 1 holds sync c + d + 1, with k compatible cells down its diagonal.
    for (let q = g.rowAt[r + 1]!; q < g.rowAt[r + 2]!; q++) {
      const d = g.col[q]! - c - 1;
      if (d < 1 || d > longest || g.ahead[q]! < k || r + k + d > g.n || c + d + k > g.m) continue;
      each(r, c, k, d);
    }
  }
}

/** Late steps: not taken (null), taken at a cost of k x d, or taken at no cost. */
type Lateness = null | 'costs' | 'free';

const worth = (big: number, late: Lateness, k: number, d: number) => big * (k + d) - (late === 'costs' ? k * d : 0);

/** The forward and backward tables of a run, with late steps or without. */
function align(g: Run, late: Lateness): Aligned {
  if (late) diagonals(g);
  const { n, m, lo, hi, off, rowAt, col, big: BIG } = g;
  const f = new Float64Array(off[n + 1]!);
  const gb = new Float64Array(off[n + 1]!);
  const F = (r: number, c: number) => (r === 0 ? 0 : f[off[r]! + Math.min(c, hi[r]!) - lo[r]!]!);
  const G = (r: number, c: number) => (r === n ? 0 : gb[off[r + 1]! + Math.max(c, lo[r + 1]!) - lo[r + 1]!]!);
  const mark = new Int32Array(m + 2);
  for (let r = 1; r <= n; r++) {
    for (let q = rowAt[r]!; q < rowAt[r + 1]!; q++) mark[col[q]!] = r;
    const o = off[r]! - lo[r]!;
    f[o + lo[r]!] = F(r - 1, lo[r]!);
    for (let c = lo[r]! + 1; c <= hi[r]!; c++) {
      let v = Math.max(F(r - 1, c), f[o + c - 1]!);
      if (mark[c] === r) v = Math.max(v, F(r - 1, c - 1) + BIG);
      if (late) lateEndingAt(g, r, c, (r0, c0, k, d) => { v = Math.max(v, F(r0, c0) + worth(BIG, late, k, d)); });
      f[o + c] = v;
    }
  }
  mark.fill(0);
  for (let r = n; r >= 1; r--) {
    for (let q = rowAt[r]!; q < rowAt[r + 1]!; q++) mark[col[q]!] = r;
    const o = off[r]! - lo[r]!;
    gb[o + hi[r]!] = G(r, hi[r]!);
    for (let c = hi[r]! - 1; c >= lo[r]!; c--) {
      let v = Math.max(G(r, c), gb[o + c + 1]!);
      if (mark[c + 1] === r) v = Math.max(v, G(r, c + 1) + BIG);
      if (late) lateStartingAt(g, r - 1, c, (r0, c0, k, d) => { v = Math.max(v, worth(BIG, late, k, d) + G(r0 + k + d, c0 + d + k)); });
      gb[o + c] = v;
    }
  }
  const opt = F(n, m);
  // Left without a sync in some maximum alignment: split between the syncs the calls
  // before take and those the calls after take, at some column of [min(A, B), B].
  const skip = new Uint8Array(n + 1);
  for (let r = 1; r <= n; r++) {
    const B = hi[r - 1]!;
    for (let c = Math.min(lo[r + 1]!, B); c <= B && skip[r] === 0; c++) skip[r] = F(r - 1, c) + G(r, c) === opt ? 1 : 0;
  }
  return { opt, f, gb, F, G, skip };
}

/** Per row, the sync maximum alignments give it: 0 none, -1 more than one, else its number. */
function classify(g: Run, best: Aligned, late: Lateness): Int32Array {
  const { n, lo, hi, rowAt, col, big: BIG } = g;
  const { F, G, opt } = best;
  const options = new Int32Array(n + 1);
  const offer = (r: number, c: number) => {
    const o = options[r]!;
    options[r] = o === 0 || o === c ? c : -1;
  };
  for (let r = 1; r <= n; r++) {
    for (let q = rowAt[r]!; q < rowAt[r + 1]!; q++) {
      const c = col[q]!;
      if (F(r - 1, c - 1) + BIG + G(r, c) === opt) offer(r, c);
    }
    if (!late) continue;
    for (let c = lo[r]! + 1; c <= hi[r]!; c++) {
      lateEndingAt(g, r, c, (r0, c0, k, d) => {
        if (F(r0, c0) + worth(BIG, late, k, d) + G(r, c) !== opt) return;
        for (let t = 1; t <= k; t++) offer(r0 + t, c0 + d + t);
        for (let t = 1; t <= d; t++) offer(r0 + k + t, c0 + t);
      });
    }
  }
  return options;
}

/**
 * The most calls a matching that ignores the order pairs: syncs by start, each
 * given to the window open for it (started before it) that closes first among
 * those that hold it; a window closed before a sync starts holds no later one.
 */
function greedyCount(calls: number[], global: number[], t: { a: Float64Array; b: Float64Array; s: Float64Array; e: Float64Array }): number {
  const open: number[] = [];
  let next = 0;
  let count = 0;
  for (let c = 1; c < global.length; c++) {
    const j = global[c]!;
    while (next < calls.length && t.a[calls[next]!]! <= t.s[j]!) {
      const end = t.b[calls[next++]!]!;
      open.splice(lowerBound(open, end), 0, end);
    }
    let gone = 0;
    while (gone < open.length && open[gone]! < t.s[j]!) gone++;
    if (gone > 0) open.splice(0, gone);
    const w = lowerBound(open, t.e[j]!);
    if (w < open.length) {
      open.splice(w, 1);
      count++;
    }
  }
  return count;
}

function lowerBound(sorted: number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
