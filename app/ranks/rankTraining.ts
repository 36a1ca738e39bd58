/**
 * One rank's model and its data-parallel training step.
 *
 * A step: snapshot the state dict → forward (SyncBatchNorm layers sync through the group) →
 * backward (from the given dL/dy, or L = mean(y²)/2 over the local shard) → all-reduce the
 * parameter gradients and average them over the world (DistributedDataParallel's rule) → SGD.
 * Any failure (a collective error naming the rank, or anything else) restores the snapshot, so
 * every surviving rank is back at the state before the step.
 */
import { buildStack } from '../../engine/index.js';
import { convertSyncBatchnorm, SyncBatchNorm } from '../../engine/index.js';
import type { Module } from '../../engine/index.js';
import type { Parameter } from '../../engine/index.js';
import { objectiveBackward, stepOptimizer, type SGD } from '../../engine/index.js';
import { StateCopy, Tensor } from '../../engine/index.js';
import { tidy } from '../../engine/index.js';
import { manualSeed } from '../../engine/index.js';
import { allocate, type FloatArray } from '../../engine/index.js';
import { CollectiveError } from '../../engine/index.js';
import type { RankGroups } from './rankGroups.js';
import type { BuildMsg, RankError, StepMsg, StepOutputs } from './protocol.js';
import { fromWire, stateFromWire, stateToWire, toWire } from './wire.js';

export class RankModel {
  readonly model: Module;
  readonly syncLayers: [string, SyncBatchNorm][];
  private readonly optimizer: SGD;

  constructor(
    msg: BuildMsg,
    private readonly groups: RankGroups,
  ) {
    manualSeed(msg.seed);
    // Every BatchNorm of the stack becomes a SyncBatchNorm of this rank's sync group (the seed's
    // convert_sync_batchnorm(model, process_group)).
    this.model = convertSyncBatchnorm(buildStack(msg.spec), groups.syncGroup);
    if (msg.state) this.model.loadStateDict(stateFromWire(msg.state), { strict: true });
    this.syncLayers = [];
    for (const [name, m] of this.model.namedModules()) {
      if (m instanceof SyncBatchNorm) {
        m.syncTag = name;
        this.syncLayers.push([name, m]);
      }
    }
    this.optimizer = stepOptimizer(this.model.parameters(), msg.lr);
  }

  /** Runs one step; restores the pre-step state and rethrows on any failure. */
  step(msg: StepMsg): StepOutputs | undefined {
    // A deep copy (the step mutates parameters and buffers in place), put back strictly: every key,
    // num_batches_tracked included.
    const before = StateCopy.of(this.model);
    const skipped = this.applySkipFault(msg);
    try {
      // tidy: the step's outputs and gradients go back to the host allocator's cache (the wire copies them).
      return tidy(() => this.runStep(msg));
    } catch (e) {
      before.restoreInto(this.model, { strict: true });
      this.model.zeroGrad();
      throw e;
    } finally {
      skipped?.();
    }
  }

  private runStep(msg: StepMsg): StepOutputs | undefined {
    this.model.train();
    this.model.zeroGrad();
    const x = fromWire(msg.input);
    x.requiresGrad = true;
    const y = this.model.forward(x) as Tensor;
    // The given dL/dy, else the shared objective (engine/optim/objective.ts) over the local shard.
    if (msg.gradOutput) {
      if (y.gradFn) y.backward(fromWire(msg.gradOutput));
    } else if (y.gradFn) objectiveBackward(y);
    const params = [...this.model.namedParameters()];
    const localGrads: [string, Tensor][] = params.map(([n, p]) => [n, gradOrZeros(p)]);
    this.averageGradients(params.map(([, p]) => p));
    if (!msg.noOptimizer) this.optimizer.step();
    if (!msg.returnOutputs) return undefined;
    return {
      y: toWire(y),
      inputGrad: x.grad ? toWire(x.grad) : null,
      grads: localGrads.map(([n, g]) => [n, toWire(g)]),
    };
  }

  /** Sum every parameter gradient over the world in one all-reduce, then divide by the world size. */
  private averageGradients(params: Parameter[]): void {
    const world = this.groups.world;
    if (world.size <= 1) return;
    let total = 0;
    for (const p of params) total += p.numel();
    const flat = new Float64Array(total);
    let off = 0;
    for (const p of params) {
      const g = gradOrZeros(p).floatData();
      for (let i = 0; i < g.length; i++) flat[off + i] = g[i]!;
      off += g.length;
    }
    const summed = world.allReduceSum(flat, { tag: 'DataParallel:gradients' });
    off = 0;
    for (const p of params) {
      const g = allocate(p.dtype, p.numel()) as FloatArray;
      for (let i = 0; i < g.length; i++) g[i] = summed[off + i]! / world.size;
      off += g.length;
      p.grad = new Tensor(g, p.shape, p.dtype);
    }
  }

  stateWire() {
    return stateToWire(this.model.stateDict());
  }

  /** The `skip` fault: this rank's forward bypasses one SyncBatchNorm layer (conditional code paths). */
  private applySkipFault(msg: StepMsg): (() => void) | null {
    const f = msg.fault;
    if (!f || f.kind !== 'skip' || f.rank !== this.groups.world.ranks[this.groups.world.rank]) return null;
    const hit = this.syncLayers.find(([n]) => n === f.layer) ?? this.syncLayers[0];
    if (!hit) return null;
    const m = hit[1];
    const original = m.forward;
    m.forward = (input: Tensor) => input;
    return () => {
      m.forward = original;
    };
  }
}

function gradOrZeros(p: Tensor): Tensor {
  return p.grad ?? new Tensor(allocate(p.dtype, p.numel()), p.shape, p.dtype);
}

export function errorInfo(e: unknown): RankError {
  if (e instanceof CollectiveError) return { message: e.message, blamedRank: e.blamedRank, collective: true };
  return { message: (e as Error)?.message ?? String(e), blamedRank: null, collective: false };
}
