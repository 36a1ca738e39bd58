/**
 * The `ipc` backend: collectives brokered by the coordinator process (app/ranks/coordinator.ts).
 *
 * A rank sends one request frame per collective (its call description + payload) and blocks until the
 * coordinator answers with the result or an error. The blocking transport is injected (the rank entry
 * provides a synchronous pipe), so this file stays free of Node APIs. The coordinator enforces every
 * timeout: it answers with an error naming the rank that died, stayed silent or called something else,
 * and it closes the pipe if it dies itself (the transport then throws).
 */
import { CollectiveError, type CollectiveOptions, type ProcessGroup } from './processGroup.js';
import { CallCounter, type CollectiveCall, type CollectiveOp } from './collectiveCall.js';

/** The header a rank sends with each collective. */
export interface IpcRequest {
  group: string;
  /** Global ranks of the group, in group-rank order. */
  members: number[];
  /** Global rank of the sender. */
  rank: number;
  call: CollectiveCall;
  timeoutMs: number;
}

/** The coordinator's answer. */
export type IpcResponse = { ok: true } | { ok: false; message: string; blamedRank: number | null };

/** A synchronous request/response channel to the coordinator. */
export interface SyncTransport {
  request(header: IpcRequest, payload: Float64Array): { header: IpcResponse; payload: Float64Array };
}

/** Observes every collective (telemetry): called after it finished or failed. */
export type CollectiveObserver = (event: {
  group: string;
  call: CollectiveCall;
  input: Float64Array;
  output: Float64Array | null;
  ms: number;
  error: string | null;
}) => void;

export interface IpcGroupOptions {
  transport: SyncTransport;
  /** Global rank of this process. */
  globalRank: number;
  /** Global ranks in the group, in group-rank order. */
  ranks: readonly number[];
  name: string;
  defaultTimeoutMs: number;
  observer?: CollectiveObserver;
}

export class IpcProcessGroup implements ProcessGroup {
  readonly backend = 'ipc' as const;
  readonly rank: number;
  readonly size: number;
  readonly ranks: readonly number[];
  readonly name: string;
  private readonly counter = new CallCounter();
  private subgroupCount = 0;

  constructor(private readonly opts: IpcGroupOptions) {
    this.ranks = Object.freeze([...opts.ranks]);
    this.rank = this.ranks.indexOf(opts.globalRank);
    if (this.rank < 0) throw new CollectiveError(`rank ${opts.globalRank} is not a member of group ${opts.name}`);
    this.size = this.ranks.length;
    this.name = opts.name;
  }

  allGather(data: Float64Array, o?: CollectiveOptions): Float64Array {
    return this.run('all_gather', data, o, -1);
  }

  allReduceSum(data: Float64Array, o?: CollectiveOptions): Float64Array {
    return this.run('all_reduce', data, o, -1);
  }

  broadcast(data: Float64Array, src: number, o?: CollectiveOptions): Float64Array {
    if (!Number.isInteger(src) || src < 0 || src >= this.size) {
      throw new CollectiveError(`broadcast source ${src} is not a rank of group ${this.name} (size ${this.size})`);
    }
    return this.run('broadcast', data, o, src);
  }

  barrier(o?: CollectiveOptions): void {
    this.run('barrier', new Float64Array(0), o, -1);
  }

  /**
   * Starts a new step: per-tag call counts and the collective sequence restart at 0, so a rank that
   * failed before reaching a collective is back in step with the others (the coordinator answered
   * or killed everything of the previous step before starting this one).
   */
  resetCallIndices(): void {
    this.counter.resetCallIndices();
    this.counter.resetSequence();
  }

  /**
   * torch.distributed.new_group: every rank of this group calls it with the same ranks, in the same
   * order; members get the subgroup, the others null.
   */
  newGroup(globalRanks: readonly number[]): IpcProcessGroup | null {
    const name = `${this.name}/g${this.subgroupCount++}`;
    if (!globalRanks.includes(this.opts.globalRank)) return null;
    return new IpcProcessGroup({ ...this.opts, ranks: globalRanks, name });
  }

  private run(op: CollectiveOp, data: Float64Array, o: CollectiveOptions | undefined, src: number): Float64Array {
    const call = this.counter.next(op, o?.tag ?? '', data.length, src);
    const header: IpcRequest = {
      group: this.name,
      members: [...this.ranks],
      rank: this.opts.globalRank,
      call,
      timeoutMs: o?.timeoutMs ?? this.opts.defaultTimeoutMs,
    };
    const t0 = performance.now();
    let out: Float64Array | null = null;
    let err: string | null = null;
    try {
      const res = this.opts.transport.request(header, data);
      if (!res.header.ok) {
        err = res.header.message;
        throw new CollectiveError(res.header.message, res.header.blamedRank);
      }
      out = res.payload;
      return out;
    } catch (e) {
      if (!err) err = (e as Error).message;
      if (e instanceof CollectiveError) throw e;
      throw new CollectiveError(`${op} in group ${this.name} failed: ${(e as Error).message}`);
    } finally {
      this.opts.observer?.({ group: this.name, call, input: data, output: out, ms: performance.now() - t0, error: err });
    }
  }
}
