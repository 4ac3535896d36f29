/**
 * The sync records linked Node calls name (recorders/FORMAT.md, "Linked calls"), for the
 * tests that check the links against the trace (test/recorders/links, test/node/links).
 */

/**
 * Each call's sync, given each call's candidates in the calls' order (of its fd and kind,
 * starting inside its window, the low 32 bits of its start the call's link): the
 * earliest-starting. Two syncs of one fd that started in the same nanosecond (two threads
 * whose clocks read alike) are named alike: the calls that name them take them one each, in
 * the calls' order. Null when there is none, or none left (a sync is never given twice).
 */
export function namedSyncs<S extends { seq: number; startNs: bigint }>(candidates: S[][]): (S | null)[] {
  const used = new Set<number>();
  return candidates.map((found) => {
    if (found.length === 0) return null;
    const first = found.reduce((t, s) => (s.startNs < t ? s.startNs : t), found[0]!.startNs);
    const s = found.filter((x) => x.startNs === first && !used.has(x.seq)).sort((a, b) => a.seq - b.seq)[0] ?? null;
    if (s) used.add(s.seq);
    return s;
  });
}

/** ft_link.c: a descriptor's syncs are kept in the ring of its bucket (fd mod 16), 56 entries. */
const LINK_BUCKETS = 16;
const LINK_RING = 56;
const bucketOf = (fd: number) => ((fd % LINK_BUCKETS) + LINK_BUCKETS) % LINK_BUCKETS;

/**
 * How many of the calls were held past two laps of their bucket's ring: more than 2 x 56
 * syncs of descriptors of their bucket (of those given: the kept ones, made off the
 * JavaScript threads) started inside their window. Such a call's callback came so late
 * (its pool thread held off the processor between its sync and its callback, on a loaded
 * machine) that the sync left for it, untaken, may have been written over after a later call
 * took its own in its stead (recorders/FORMAT.md, known limits): one call of its fd in
 * flight then is unlinked, the held one or one after it. So a run may leave at most this
 * many calls unlinked, and none when no call was held that long.
 */
export function heldPastTwoLaps(calls: { fd: number; startNs: bigint; endNs: bigint }[], kept: { fd: number; startNs: bigint }[]): number {
  const starts = new Map<number, bigint[]>();
  for (const s of kept) {
    const b = bucketOf(s.fd);
    if (!starts.has(b)) starts.set(b, []);
    starts.get(b)!.push(s.startNs);
  }
  for (const list of starts.values()) list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  /** How many of the sorted starts are at or before t. */
  const upTo = (list: bigint[], t: bigint) => {
    let lo = 0, hi = list.length;
    while (lo < hi) { const m = (lo + hi) >> 1; if (list[m]! <= t) lo = m + 1; else hi = m; }
    return lo;
  };
  return calls.filter((c) => {
    const list = starts.get(bucketOf(c.fd)) ?? [];
    return upTo(list, c.endNs) - upTo(list, c.startNs - 1n) > 2 * LINK_RING;
  }).length;
}
