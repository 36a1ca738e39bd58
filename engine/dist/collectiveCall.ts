/**
 * What one collective call is, as every rank describes it: the operation, the caller's tag (e.g. the
 * SyncBatchNorm layer's module path and pass), how many times this rank has used that tag, and the
 * payload length. Ranks compare these so that ranks calling SyncBatchNorm a different number of times
 * (the classic hang) are reported as such instead of pairing the wrong collectives.
 */
export type CollectiveOp = 'all_gather' | 'all_reduce' | 'broadcast' | 'barrier';

export interface CollectiveCall {
  op: CollectiveOp;
  /** Caller's tag, '' when none was given. */
  tag: string;
  /** 0-based count of earlier calls with the same tag on this rank within the group. */
  callIndex: number;
  /** Number of float64 values this rank contributes. */
  length: number;
  /** Broadcast source (group rank), -1 otherwise. */
  src: number;
  /** Collective sequence number within the group on this rank (0-based). */
  seq: number;
}

/** Same call on every rank? (seq is the pairing key, so it is not compared.) */
export function sameCall(a: CollectiveCall, b: CollectiveCall): boolean {
  return a.op === b.op && a.tag === b.tag && a.callIndex === b.callIndex && a.length === b.length && a.src === b.src;
}

/** Human description used in error messages: `all_gather for 'layers.1' (call 2, 65 values)`. */
export function describeCall(c: CollectiveCall): string {
  const what = c.tag ? `'${c.tag}'` : 'an untagged caller';
  return `${c.op} for ${what} (call ${c.callIndex + 1}, ${c.length} values)`;
}

/**
 * A 20-bit signature of a call. Small enough that h and h² sum exactly in float64 over any
 * realistic world size, so an all-reduce of [h, h²] proves every rank made the same call
 * (Σh = W·h and Σh² = W·h² hold only when all h are equal).
 */
export function callSignature(c: CollectiveCall): number {
  const s = `${c.op}\u0000${c.tag}\u0000${c.callIndex}\u0000${c.length}\u0000${c.src}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return (h & 0xfffff) + 1; // never 0: an empty rank's zero payload must not look like a signature
}

/** Keeps the per-group sequence and per-tag call counts of one rank. */
export class CallCounter {
  private seq = 0;
  private readonly perTag = new Map<string, number>();

  next(op: CollectiveOp, tag: string, length: number, src = -1): CollectiveCall {
    const key = `${op}\u0000${tag}`;
    const callIndex = this.perTag.get(key) ?? 0;
    this.perTag.set(key, callIndex + 1);
    return { op, tag, callIndex, length, src, seq: this.seq++ };
  }

  /** Forget the counts (a new step, or the group was restarted). Sequence numbers keep increasing. */
  resetCallIndices(): void {
    this.perTag.clear();
  }

  /** Restart the sequence too (ipc, at a step boundary: a rank that failed early is back in step). */
  resetSequence(): void {
    this.seq = 0;
  }
}

/** Explains a set of disagreeing calls, naming the ranks, for the mismatch error. */
export function describeMismatch(groupName: string, calls: ReadonlyMap<number, CollectiveCall>): string {
  const parts: string[] = [];
  for (const [rank, c] of [...calls].sort((a, b) => a[0] - b[0])) parts.push(`rank ${rank} called ${describeCall(c)}`);
  const first = [...calls.values()][0];
  const seq = first ? first.seq : -1;
  return (
    `collective mismatch in group ${groupName} at collective #${seq + 1}: ${parts.join('; ')}. ` +
    'The ranks called SyncBatchNorm (or another collective) a different number of times or in a different order.'
  );
}

/** The rank whose call differs from what the majority called (the one to blame for a mismatch). */
export function minorityRank(calls: ReadonlyMap<number, CollectiveCall>): number | null {
  const entries = [...calls];
  let best: CollectiveCall | null = null;
  let bestVotes = -1;
  for (const [, c] of entries) {
    const votes = entries.filter(([, d]) => sameCall(c, d)).length;
    if (votes > bestVotes) {
      best = c;
      bestVotes = votes;
    }
  }
  for (const [r, c] of entries) if (best && !sameCall(best, c)) return r;
  return null;
}
