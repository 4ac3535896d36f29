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
