/**
 * The lines recorders/kernel/fsync.bt prints, read from bpftrace's JSON
 * output (`-f json`: one object a line; printf text in `data`). Every event
 * line starts with its letter and the monotonic time it was printed, which
 * orders lines that reach us through different per-CPU buffers.
 */

export type KernelLine =
  | { kind: 'S'; at: bigint; call: number; pid: number; tid: number; fd: number; start: bigint; dur: bigint; ret: number; a: bigint; b: bigint; c: bigint; w: Pending }
  | { kind: 'W'; at: bigint; call: number; pid: number; tid: number; fd: number; start: bigint; dur: bigint; ret: number; w: Pending }
  | { kind: 'O'; at: bigint; pid: number; tid: number; fd: number; start: bigint; flags: number; dirfd: number; created: boolean; ino: bigint }
  | { kind: 'C'; at: bigint; pid: number; tid: number; fd: number; w: Pending }
  | { kind: 'D'; at: bigint; pid: number; oldfd: number; newfd: number }
  | { kind: 'R'; at: bigint; pid: number; tid: number; start: bigint; olddir: number; newdir: number }
  | { kind: 'L'; at: bigint; pid: number; tid: number; start: bigint; olddir: number; newdir: number; flags: number }
  | { kind: 'U'; at: bigint; pid: number; tid: number; start: bigint; dir: number }
  | { kind: 'N'; at: bigint; tid: number; name: string }
  | { kind: 'F'; at: bigint; pid: number; child: number }
  | { kind: 'E'; at: bigint; pid: number; filename: string }
  | { kind: 'X'; at: bigint; pid: number };

/** Writes the kernel added up for one (process, fd) since its last sync or close. */
export interface Pending {
  bytes: bigint;
  count: number;
  ns: bigint;
}

/** What one line of bpftrace's output says. */
export type Output = { type: 'line'; line: KernelLine } | { type: 'ready' } | { type: 'lost'; events: number } | { type: 'other' };

const int = (s: string | undefined): number => Number(s);
const big = (s: string | undefined): bigint => BigInt(s ?? '0');
const pending = (f: string[], i: number): Pending => ({ bytes: big(f[i]), count: int(f[i + 1]), ns: big(f[i + 2]) });

/** One event line of fsync.bt (without its newline); null when it is not one. */
export function parseLine(text: string): KernelLine | null {
  const tab = text.indexOf('\t');
  const head = tab < 0 ? text : text.slice(0, tab);
  const name = tab < 0 ? '' : text.slice(tab + 1);
  const f = head.split(' ');
  const at = /^\d+$/.test(f[1] ?? '') ? BigInt(f[1]!) : -1n;
  if (at < 0n) return null;
  switch (f[0]) {
    case 'S':
      return { kind: 'S', at, call: int(f[2]), pid: int(f[3]), tid: int(f[4]), fd: int(f[5]), start: big(f[6]), dur: big(f[7]), ret: int(f[8]),
        a: big(f[9]), b: big(f[10]), c: big(f[11]), w: pending(f, 12) };
    case 'W':
      return { kind: 'W', at, call: int(f[2]), pid: int(f[3]), tid: int(f[4]), fd: int(f[5]), start: big(f[6]), dur: big(f[7]), ret: int(f[8]), w: pending(f, 9) };
    case 'O':
      return { kind: 'O', at, pid: int(f[2]), tid: int(f[3]), fd: int(f[4]), start: big(f[5]), flags: int(f[6]), dirfd: int(f[7]), created: f[8] === '1', ino: big(f[9]) };
    case 'C':
      return { kind: 'C', at, pid: int(f[2]), tid: int(f[3]), fd: int(f[4]), w: pending(f, 5) };
    case 'D':
      return { kind: 'D', at, pid: int(f[2]), oldfd: int(f[3]), newfd: int(f[4]) };
    case 'R':
      return { kind: 'R', at, pid: int(f[2]), tid: int(f[3]), start: big(f[4]), olddir: int(f[5]), newdir: int(f[6]) };
    case 'L':
      return { kind: 'L', at, pid: int(f[2]), tid: int(f[3]), start: big(f[4]), olddir: int(f[5]), newdir: int(f[6]), flags: int(f[7]) };
    case 'U':
      return { kind: 'U', at, pid: int(f[2]), tid: int(f[3]), start: big(f[4]), dir: int(f[5]) };
    case 'N':
      return { kind: 'N', at, tid: int(f[2]), name };
    case 'F':
      return { kind: 'F', at, pid: int(f[2]), child: int(f[3]) };
    case 'E':
      return { kind: 'E', at, pid: int(f[2]), filename: name };
    case 'X':
      return { kind: 'X', at, pid: int(f[2]) };
    default:
      return null;
  }
}

/** One line of `bpftrace -f json` output. */
export function parseOutput(json: string): Output {
  let msg: { type?: string; data?: unknown };
  try {
    msg = JSON.parse(json) as { type?: string; data?: unknown };
  } catch {
    return { type: 'other' };
  }
  if (msg.type === 'lost_events') return { type: 'lost', events: Number((msg.data as { events?: number })?.events ?? 0) };
  if (msg.type !== 'printf' || typeof msg.data !== 'string') return { type: 'other' };
  const text = msg.data.endsWith('\n') ? msg.data.slice(0, -1) : msg.data;
  if (text === 'B') return { type: 'ready' };
  const line = parseLine(text);
  return line ? { type: 'line', line } : { type: 'other' };
}
