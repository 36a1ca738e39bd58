/**
 * A ProcessGroup wrapper that fires an injected fault (crash, exit, sleep) on this rank when a
 * collective with a matching tag starts — how the fault scenarios reproduce a rank dying or
 * stalling in the middle of a SyncBatchNorm step. Without a plan it only delegates.
 */
import type { CollectiveOptions, ProcessGroup } from '../../engine/index.js';
import type { FaultPlan } from './protocol.js';

export class FaultyGroup implements ProcessGroup {
  plan: FaultPlan | null = null;

  constructor(
    readonly inner: ProcessGroup,
    private readonly globalRank: number,
  ) {}

  get rank(): number {
    return this.inner.rank;
  }
  get size(): number {
    return this.inner.size;
  }
  get backend() {
    return this.inner.backend;
  }
  get ranks(): readonly number[] {
    return this.inner.ranks;
  }

  allGather(data: Float64Array, o?: CollectiveOptions): Float64Array {
    this.maybeFire(o);
    return this.inner.allGather(data, o);
  }
  allReduceSum(data: Float64Array, o?: CollectiveOptions): Float64Array {
    this.maybeFire(o);
    return this.inner.allReduceSum(data, o);
  }
  broadcast(data: Float64Array, src: number, o?: CollectiveOptions): Float64Array {
    this.maybeFire(o);
    return this.inner.broadcast(data, src, o);
  }
  barrier(o?: CollectiveOptions): void {
    this.maybeFire(o);
    this.inner.barrier(o);
  }

  private maybeFire(o?: CollectiveOptions): void {
    const p = this.plan;
    if (!p || p.rank !== this.globalRank || p.kind === 'skip') return;
    if (p.layer !== undefined && !(o?.tag ?? '').startsWith(p.layer)) return;
    this.plan = null; // fire once
    if (p.kind === 'crash') process.kill(process.pid, 'SIGKILL');
    if (p.kind === 'exit') process.exit(3);
    if (p.kind === 'sleep') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, p.ms ?? 10_000);
  }
}
