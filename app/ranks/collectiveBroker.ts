/**
 * The coordinator's side of the `ipc` backend: matches the ranks' collective requests by group and
 * sequence number, checks that every member made the same call, computes the result, and answers.
 *
 * It never lets a rank wait forever: the first arrival starts the collective's timeout; a rank that
 * exits fails every pending collective of its groups; any failure aborts the step, so later requests
 * (a slow rank waking up) are answered at once with the same error. Errors name the rank to blame.
 */
import type { IpcRequest, IpcResponse } from '../../engine/index.js';
import {
  describeCall,
  describeMismatch,
  minorityRank,
  sameCall,
  type CollectiveCall,
} from '../../engine/index.js';

export type Reply = (rank: number, header: IpcResponse, payload: Float64Array) => void;

interface Pending {
  group: string;
  members: number[];
  arrivals: Map<number, { call: CollectiveCall; payload: Float64Array }>;
  timer: ReturnType<typeof setTimeout>;
  timeoutMs: number;
}

export interface BrokerFailure {
  message: string;
  blamedRank: number | null;
}

export class CollectiveBroker {
  private readonly pending = new Map<string, Pending>();
  private readonly dead = new Map<number, string>();
  private abort: BrokerFailure | null = null;

  /**
   * @param reply sends an answer to a rank
   * @param livenessOf describes a rank that did not arrive ("alive (pid 123) but silent")
   * @param onFailure told once per failure (the coordinator fails the step)
   */
  constructor(
    private readonly reply: Reply,
    private readonly livenessOf: (rank: number) => string,
    private readonly onFailure: (f: BrokerFailure) => void = () => {},
  ) {}

  /** A new step: earlier failures no longer answer requests. Dead ranks stay dead. */
  startStep(): void {
    this.abort = null;
  }

  get failure(): BrokerFailure | null {
    return this.abort;
  }

  submit(req: IpcRequest, payload: Float64Array): void {
    const rank = req.rank;
    if (this.abort) {
      this.reply(
        rank,
        { ok: false, message: `step aborted: ${this.abort.message}`, blamedRank: this.abort.blamedRank },
        new Float64Array(0),
      );
      return;
    }
    const deadMember = req.members.find((m) => this.dead.has(m));
    if (deadMember !== undefined) {
      this.fail({
        message: `rank ${deadMember} ${this.dead.get(deadMember)}; ${describeCall(req.call)} in group ${req.group} cannot complete`,
        blamedRank: deadMember,
      });
      this.reply(rank, { ok: false, message: this.abort!.message, blamedRank: deadMember }, new Float64Array(0));
      return;
    }
    const key = `${req.group}#${req.call.seq}`;
    let p = this.pending.get(key);
    if (!p) {
      p = {
        group: req.group,
        members: req.members,
        arrivals: new Map(),
        timer: setTimeout(() => this.timeout(key), Math.max(1, req.timeoutMs)),
        timeoutMs: req.timeoutMs,
      };
      this.pending.set(key, p);
    }
    p.arrivals.set(rank, { call: req.call, payload });
    if (p.arrivals.size === p.members.length) this.complete(key, p);
  }

  /** A rank's process ended: every collective it belongs to fails, naming it. */
  rankExited(rank: number, how: string): void {
    this.dead.set(rank, how);
    for (const [key, p] of this.pending) {
      if (!p.members.includes(rank)) continue;
      const call = [...p.arrivals.values()][0]!.call;
      const where = p.arrivals.has(rank) ? 'in the middle of' : 'before joining';
      this.failPending(key, p, {
        message: `rank ${rank} ${how} ${where} ${describeCall(call)} in group ${p.group} (collective #${call.seq + 1})`,
        blamedRank: rank,
      });
    }
  }

  /**
   * A rank failed on its own (an exception before its next collective): fail the step now instead of
   * letting the others wait for the timeout.
   */
  rankFailed(rank: number, message: string): void {
    this.fail({ message: `rank ${rank} failed outside a collective: ${message}`, blamedRank: rank });
  }

  /** The group is being restarted: forget the dead and any failure. */
  reset(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.dead.clear();
    this.abort = null;
  }

  /** A new step on a healthy group: drop anything left of the previous one (sequences restart). */
  clearPending(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  private complete(key: string, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(key);
    const calls = new Map<number, CollectiveCall>();
    for (const m of p.members) calls.set(m, p.arrivals.get(m)!.call);
    const first = calls.get(p.members[0]!)!;
    if ([...calls.values()].some((c) => !sameCall(c, first))) {
      const f = { message: describeMismatch(p.group, calls), blamedRank: minorityRank(calls) };
      this.fail(f);
      for (const m of p.members) this.reply(m, { ok: false, ...f }, new Float64Array(0));
      return;
    }
    const inputs = p.members.map((m) => p.arrivals.get(m)!.payload);
    let out: Float64Array;
    switch (first.op) {
      case 'all_gather': {
        out = new Float64Array(first.length * inputs.length);
        inputs.forEach((x, i) => out.set(x, i * first.length));
        break;
      }
      case 'all_reduce': {
        out = new Float64Array(first.length);
        for (const x of inputs) for (let i = 0; i < out.length; i++) out[i]! += x[i]!;
        break;
      }
      case 'broadcast':
        out = inputs[first.src]!;
        break;
      case 'barrier':
        out = new Float64Array(0);
        break;
    }
    // One header object for all members: the sender encodes the frame once (see RankProcess).
    const ok: IpcResponse = { ok: true };
    for (const m of p.members) this.reply(m, ok, out);
  }

  private timeout(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    const call = [...p.arrivals.values()][0]!.call;
    const missing = p.members.filter((m) => !p.arrivals.has(m));
    const who = missing.map((m) => `rank ${m} (${this.livenessOf(m)})`).join(', ');
    this.failPending(key, p, {
      message: `${who} did not join ${describeCall(call)} in group ${p.group} (collective #${call.seq + 1}) within ${p.timeoutMs} ms`,
      blamedRank: missing[0] ?? null,
    });
  }

  private failPending(key: string, p: Pending, f: BrokerFailure): void {
    clearTimeout(p.timer);
    this.pending.delete(key);
    this.fail(f);
    for (const m of p.arrivals.keys()) {
      if (!this.dead.has(m)) this.reply(m, { ok: false, ...f }, new Float64Array(0));
    }
  }

  /** First failure of the step: remember it and fail every other pending collective too. */
  private fail(f: BrokerFailure): void {
    if (this.abort) return;
    this.abort = f;
    this.onFailure(f);
    for (const [key, p] of [...this.pending]) {
      this.failPending(key, p, { message: `step aborted: ${f.message}`, blamedRank: f.blamedRank });
    }
  }
}
