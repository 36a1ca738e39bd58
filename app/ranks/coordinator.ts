/**
 * The rank coordinator: spawns W rank processes, brokers the `ipc` collectives, steps the ranks
 * (forward, backward, optimizer) and gathers their telemetry, and keeps the host's copy of the model.
 *
 * Faults: every collective has a timeout (enforced here for ipc, by gloo for gloo); a rank that
 * crashes, exits or stops answering fails the step on every rank with an error naming the rank and
 * the layer; ranks that do not report within the timeout plus a grace period after a failure are
 * killed, so nothing hangs. The host state changes only after a step succeeded on every rank, and
 * each rank restores its own pre-step snapshot on failure. restart() respawns the group from the
 * host state (needed after a rank died, and after any gloo failure, which breaks gloo contexts).
 */
import { rmSync } from 'node:fs';
import type { ProcessGroupBackend } from '../../engine/index.js';
import { DEFAULT_LR, type StackSpec } from '../../engine/index.js';
import { CollectiveBroker } from './collectiveBroker.js';
import { glooAvailability } from './glooAddon.js';
import { initRanks, rankEnvironment, spawnRanks } from './rankLaunch.js';
import { rankEntryCommand, type Liveness, type RankProcess, type RankSpawner } from './rankProcess.js';
import { openRendezvous, type RendezvousOptions } from './rendezvous.js';
import { explainFailure, rankStepReport, statesIdentical, type StepReport } from './stepReport.js';
import type { TcpStoreServer } from './tcpStore.js';
import { checkStackBudget, DEFAULT_STACK_BUDGET, type StackBudget } from '../../engine/index.js';
import type { FaultPlan, FromRank, RawOp, WireState, WireTensor } from './protocol.js';

export type { RankStepReport, StepReport } from './stepReport.js';

export interface CoordinatorOptions extends RendezvousOptions {
  world: number;
  backend: ProcessGroupBackend;
  /** Per-collective timeout (ms). */
  timeoutMs?: number;
  /** new_group calls (e.g. [[0,1,2,3],[4,5,6,7]]); SyncBatchNorm syncs within the rank's first group. */
  subgroups?: number[][];
  /** Longest a healthy step may take before ranks are declared stuck (ms). */
  stepTimeoutMs?: number;
  /**
   * Several machines (gloo + tcp rendezvous only): this coordinator hosts global ranks
   * firstRank .. firstRank+localRanks-1 of the world; the others run on other machines under their
   * own coordinators, joined through the same TCP store (storeHost:storePort).
   */
  firstRank?: number;
  localRanks?: number;
  /** The largest stack the ranks on this machine may build together (default: the engine's). */
  stackBudget?: StackBudget;
  /** How to raise it (e.g. the CLI's flags), appended to refusals. */
  budgetHint?: string;
  /** How ranks are started (default child_process with the fd data plane; Electron main injects utilityProcess). */
  spawner?: RankSpawner;
}

export interface StepRequest {
  step: number;
  /** One input shard per rank (shape [n_r, ...]; n_r may be 0). */
  inputs: WireTensor[];
  gradOutputs?: WireTensor[] | null;
  fault?: FaultPlan;
  noOptimizer?: boolean;
  returnOutputs?: boolean;
}

export class RankCoordinator {
  readonly world: number;
  readonly backend: ProcessGroupBackend;
  readonly timeoutMs: number;
  /** Global rank of the first rank hosted here, and how many are hosted here. */
  readonly firstRank: number;
  readonly localRanks: number;
  private ranks: RankProcess[] = [];
  private broker: CollectiveBroker;
  private storeDir: string | null = null;
  private tcpStore: TcpStoreServer | null = null;
  private spec: StackSpec | null = null;
  private buildOpts = { seed: 0, lr: DEFAULT_LR };
  /** The host's copy of the model state: changes only after a successful step. */
  hostState: WireState | null = null;
  private broken: string | null = null;
  private stepping = false;
  private generation = 0;

  constructor(private readonly opts: CoordinatorOptions) {
    if (!Number.isInteger(opts.world) || opts.world < 1)
      throw new Error(`world size must be a positive integer, got ${opts.world}`);
    this.world = opts.world;
    this.backend = opts.backend;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.firstRank = opts.firstRank ?? 0;
    this.localRanks = opts.localRanks ?? opts.world - this.firstRank;
    if (
      !Number.isInteger(this.firstRank) ||
      this.firstRank < 0 ||
      !Number.isInteger(this.localRanks) ||
      this.localRanks < 1 ||
      this.firstRank + this.localRanks > opts.world
    ) {
      throw new Error(
        `local ranks ${this.firstRank}..${this.firstRank + this.localRanks - 1} do not fit a world of ${opts.world}`,
      );
    }
    if (this.localRanks !== opts.world && (opts.backend !== 'gloo' || opts.rendezvous !== 'tcp')) {
      throw new Error(
        'ranks on several machines need the gloo backend with a TCP store (rendezvous "tcp"); ipc works on one machine only',
      );
    }
    for (const g of opts.subgroups ?? []) {
      if (g.some((r) => !Number.isInteger(r) || r < 0 || r >= opts.world))
        throw new Error(`subgroup [${g}] has ranks outside 0..${opts.world - 1}`);
    }
    this.broker = this.newBroker();
  }

  private newBroker(): CollectiveBroker {
    return new CollectiveBroker(
      (rank, header, payload) => this.proc(rank)?.replyCollective(header, payload),
      (rank) => this.describeLiveness(rank),
    );
  }

  /** The local process of a global rank (undefined when it runs elsewhere). */
  private proc(rank: number): RankProcess | undefined {
    return this.ranks[rank - this.firstRank];
  }

  private describeLiveness(rank: number): string {
    const l = this.proc(rank)?.liveness;
    if (!l) return 'not started';
    return l.alive ? `alive, pid ${l.pid}, but silent` : `${l.ended}`;
  }

  /** Every local rank holds a copy; refusals say how to raise the budget when the caller told us. */
  private budgetOptions(): { copies: number; flagHint?: string } {
    return { copies: this.localRanks, ...(this.opts.budgetHint ? { flagHint: this.opts.budgetHint } : {}) };
  }

  /** Spawns the ranks and joins them into the group. */
  async start(): Promise<void> {
    if (this.backend === 'gloo') {
      const g = glooAvailability();
      if (!g.available) throw new Error(`gloo backend unavailable: ${g.reason}`);
    }
    this.generation++;
    this.broker.reset();
    const opened = this.backend === 'gloo' ? await this.openRendezvous() : null;
    const plan = {
      firstRank: this.firstRank,
      count: this.localRanks,
      entry: await rankEntryCommand(),
      env: rankEnvironment(opened?.storeSecret ?? null),
      spawner: this.opts.spawner,
    };
    this.ranks = spawnRanks(plan, this.broker);
    const failed = await initRanks(this.ranks, {
      world: this.world,
      backend: this.backend,
      timeoutMs: this.timeoutMs,
      gloo: opened?.rendezvous,
      subgroups: this.opts.subgroups,
    });
    if (failed) {
      await this.stop();
      throw new Error(failed);
    }
    this.broken = null;
  }

  /** gloo: the store the ranks meet at (kept for stop() to close or remove). */
  private async openRendezvous() {
    const opened = await openRendezvous(this.opts, {
      generation: this.generation,
      firstRank: this.firstRank,
      localRanks: this.localRanks,
      world: this.world,
    });
    this.tcpStore = opened.tcpStore;
    this.storeDir = opened.storeDir;
    return opened;
  }

  /** Builds the stack on every rank from `state` (e.g. the host's), or seed-initialized when none is given. */
  async build(spec: StackSpec, o: { seed?: number; lr?: number; state?: WireState | null } = {}): Promise<string[]> {
    // Every local rank holds a copy: refuse a stack over the budget before any rank allocates it.
    checkStackBudget(spec, null, this.opts.stackBudget ?? DEFAULT_STACK_BUDGET, this.budgetOptions());
    this.spec = spec;
    this.buildOpts = { seed: o.seed ?? 0, lr: o.lr ?? DEFAULT_LR };
    const state = o.state ?? null;
    const replies = await Promise.all(
      this.ranks.map((rp) => rp.request({ type: 'build', spec, state, ...this.buildOpts })),
    );
    for (const [i, r] of replies.entries())
      if (r.type !== 'built')
        throw new Error(`rank ${i} could not build the stack: ${r.type === 'failed' ? r.message : r.type}`);
    const st = await this.ranks[0]!.request({ type: 'getState' });
    if (st.type !== 'state') throw new Error(`rank ${this.firstRank} did not return its state`);
    this.hostState = st.state;
    return (replies[0] as Extract<FromRank, { type: 'built' }>).syncLayers;
  }

  /** Runs one training step on every rank; never hangs, never changes the host state on failure. */
  async step(req: StepRequest): Promise<StepReport> {
    if (this.broken) throw new Error(`the group must be restarted: ${this.broken}`);
    if (req.inputs.length !== this.localRanks)
      throw new Error(`need ${this.localRanks} input shards (one per local rank), got ${req.inputs.length}`);
    if (this.stepping) throw new Error('a step is already running on this group');
    // The largest shard sizes every local rank's forward (an upper bound on what they keep together).
    const largest = req.inputs.reduce<WireTensor | null>(
      (a, t) => (!a || (t.shape[0] ?? 0) > (a.shape[0] ?? 0) ? t : a),
      null,
    );
    if (largest && this.spec)
      checkStackBudget(this.spec, largest.shape, this.opts.stackBudget ?? DEFAULT_STACK_BUDGET, this.budgetOptions());
    this.stepping = true;
    try {
      return await this.runStep(req);
    } finally {
      this.stepping = false;
    }
  }

  private async runStep(req: StepRequest): Promise<StepReport> {
    this.broker.startStep();
    this.broker.clearPending();
    const gen = this.generation;
    const n = this.localRanks;
    const settled: (FromRank | Error | null)[] = new Array(n).fill(null);
    let failed = false;
    let deadline = Date.now() + (this.opts.stepTimeoutMs ?? Math.max(120_000, this.timeoutMs * 4));
    const markFailed = () => {
      if (failed) return;
      failed = true;
      // The others get the collective timeout plus time to diagnose, roll back and answer.
      deadline = Math.min(deadline, Date.now() + this.timeoutMs + 3_000);
    };
    const pending = this.ranks.map((rp, r) =>
      rp
        .request(
          {
            type: 'step',
            step: req.step,
            input: req.inputs[r]!,
            gradOutput: req.gradOutputs?.[r] ?? null,
            fault: req.fault,
            noOptimizer: req.noOptimizer,
            returnOutputs: req.returnOutputs,
          },
          24 * 3600_000,
        ) // the step's own deadline (below) governs
        .then(
          (m) => {
            settled[r] = m;
            if (m.type !== 'stepResult' || !m.ok) {
              // A rank that failed before its next collective: the others need not wait for the timeout.
              if (m.type === 'stepResult' && m.error && !this.broker.failure && this.backend === 'ipc') {
                this.broker.rankFailed(this.firstRank + r, m.error.message);
              }
              markFailed();
            }
          },
          (e: Error) => {
            settled[r] = e;
            markFailed();
          },
        ),
    );
    const all = Promise.all(pending);
    while (settled.some((s) => s === null)) {
      if (this.broker.failure) markFailed();
      const left = deadline - Date.now();
      if (left <= 0) break;
      await Promise.race([all, new Promise((r) => setTimeout(r, Math.min(left, 50)))]);
    }
    // Ranks still busy past the deadline are stuck: kill them so nothing hangs.
    for (let r = 0; r < n; r++) {
      if (settled[r] === null) {
        this.ranks[r]!.kill();
        settled[r] = new Error(`rank ${this.firstRank + r} did not finish the step within the timeout and was killed`);
        failed = true;
      }
    }
    await Promise.race([all, new Promise((r) => setTimeout(r, 1000))]);
    if (gen !== this.generation) throw new Error('the group was restarted during the step');
    return this.report(req, settled, failed);
  }

  private report(req: StepRequest, settled: (FromRank | Error | null)[], failed: boolean): StepReport {
    const ranks = settled.map((s, r) => {
      const live = this.ranks[r]!.liveness;
      return rankStepReport(s, {
        rank: this.firstRank + r,
        pid: live.pid,
        alive: live.alive,
        count: req.inputs[r]!.shape[0] ?? 0,
      });
    });
    const identical = statesIdentical(ranks, this.opts.subgroups, this.world);
    if (!failed && ranks.every((r) => r.ok)) {
      this.hostState = ranks[0]!.state ?? this.hostState;
      return {
        ok: true,
        step: req.step,
        error: null,
        blamedRank: null,
        ranks,
        usable: true,
        statesIdentical: identical,
      };
    }
    const { message, blamed } = explainFailure(ranks, this.broker.failure, (rank) => {
      const rp = this.proc(rank)!;
      return { killedByCoordinator: rp.killedByCoordinator, ended: rp.liveness.ended };
    });
    const anyDead = ranks.some((r) => !r.alive);
    const usable = !anyDead && this.backend === 'ipc';
    if (!usable) this.broken = message;
    return {
      ok: false,
      step: req.step,
      error: `step ${req.step} failed: ${message}`,
      blamedRank: blamed,
      ranks,
      usable,
      statesIdentical: identical,
    };
  }

  /** Raw collectives on every local rank (tests, benchmarks): ops[i] is local rank i's list. */
  async raw(ops: RawOp[][], fault?: FaultPlan): Promise<(FromRank | Error)[]> {
    this.broker.startStep();
    return Promise.all(
      this.ranks.map((rp, r) => rp.request({ type: 'raw', ops: ops[r] ?? [], fault }).catch((e: Error) => e)),
    );
  }

  /** Every rank's current state (to check a rollback). */
  async states(): Promise<(WireState | null)[]> {
    return Promise.all(
      this.ranks.map((rp) =>
        rp.liveness.alive
          ? rp.request({ type: 'getState' }).then(
              (m) => (m.type === 'state' ? m.state : null),
              () => null,
            )
          : Promise.resolve(null),
      ),
    );
  }

  liveness(): Liveness[] {
    return this.ranks.map((r) => ({ ...r.liveness }));
  }

  /** Kills a rank from outside, as a crash would (fault scenarios). */
  killRank(rank: number): void {
    const rp = this.proc(rank);
    if (!rp) return;
    const was = rp.killedByCoordinator;
    rp.kill();
    rp.killedByCoordinator = was; // this is a fault, not the coordinator cleaning up
  }

  /** Stops every rank and respawns the group from the host state. */
  async restart(): Promise<void> {
    await this.stop();
    await this.start();
    if (this.spec !== null) await this.build(this.spec, { ...this.buildOpts, state: this.hostState });
  }

  async stop(): Promise<void> {
    const ranks = this.ranks;
    for (const rp of ranks) {
      if (rp.liveness.alive) {
        rp.killedByCoordinator = true;
        rp.shutdown();
      }
    }
    await Promise.race([Promise.all(ranks.map((r) => r.exited)), new Promise((r) => setTimeout(r, 2000))]);
    for (const rp of ranks) rp.kill();
    await Promise.all(ranks.map((r) => r.exited));
    for (const rp of ranks) rp.data?.destroy();
    this.broker.reset();
    if (this.tcpStore) await this.tcpStore.close();
    this.tcpStore = null;
    if (this.storeDir) rmSync(this.storeDir, { recursive: true, force: true });
    this.storeDir = null;
  }
}
