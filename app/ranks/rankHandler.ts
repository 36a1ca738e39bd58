/**
 * What a rank does with each control message (init, build, step, raw collectives, state, shutdown).
 * Synchronous on purpose: a step blocks in its collectives like a PyTorch rank. The entry
 * (rankMain.ts) wires it to the coordinator, on the process's main thread (fd data plane) or on a
 * worker thread (message data plane, for Electron's utilityProcess).
 */
import { setSyncObserver } from '../../engine/index.js';
import type { SyncTransport } from '../../engine/index.js';
import { createRankGroups, type RankGroups } from './rankGroups.js';
import { RankModel, errorInfo } from './rankTraining.js';
import { TelemetryRecorder } from './rankTelemetry.js';
import { stateHash } from './wire.js';
import type { FromRank, RankError, RawOp, ToRank } from './protocol.js';

let groups: RankGroups | null = null;
let model: RankModel | null = null;
let telemetry = new TelemetryRecorder(-1);
let send: (msg: FromRank) => void = () => {};
let transport: SyncTransport | null = null;

/** Wires the handler to its control channel and (for the ipc backend) its blocking data plane. */
export function configureRank(o: { send: (msg: FromRank) => void; transport: SyncTransport }): void {
  send = o.send;
  transport = o.transport;
}

/** Runs raw collectives; per op: the result, and the median and fastest time over its repeats (ms). */
function runRaw(ops: RawOp[]): { results: Float64Array[]; ms: number[]; minMs: number[] } {
  const g = groups!;
  const results: Float64Array[] = [];
  const ms: number[] = [];
  const minMs: number[] = [];
  for (const op of ops) {
    const group = op.group === undefined ? g.world : g.subgroups[op.group];
    if (!group) throw new Error(`rank is not a member of subgroup ${op.group}`);
    const data = op.data instanceof Float64Array ? op.data : Float64Array.from(op.data);
    const o = { tag: op.tag, timeoutMs: op.timeoutMs };
    let out: Float64Array = new Float64Array(0);
    const reps = op.repeat ?? 1;
    const times: number[] = [];
    for (let i = 0; i < reps; i++) {
      const t0 = performance.now();
      if (op.op === 'all_gather') out = group.allGather(data, o);
      else if (op.op === 'all_reduce') out = group.allReduceSum(data, o);
      else if (op.op === 'broadcast') out = group.broadcast(data, op.src ?? 0, o);
      else group.barrier(o);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    ms.push(times[Math.floor(times.length / 2)]!);
    minMs.push(times[0]!);
    results.push(out);
  }
  return { results, ms, minMs };
}

/** Handles one control message synchronously (a step blocks in its collectives). */
export function handleRankMessage(msg: ToRank): void {
  switch (msg.type) {
    case 'init': {
      try {
        telemetry = new TelemetryRecorder(msg.rank);
        groups = createRankGroups(msg, telemetry.onCollective, transport!);
        setSyncObserver(telemetry.onSync);
        send({ type: 'ready', id: msg.id, rank: msg.rank, pid: process.pid });
      } catch (e) {
        send({
          type: 'failed',
          id: msg.id,
          message: `rank ${msg.rank} could not join the group: ${(e as Error).message}`,
        });
      }
      return;
    }
    case 'build': {
      try {
        model = new RankModel(msg, groups!);
        send({ type: 'built', id: msg.id, syncLayers: model.syncLayers.map(([n]) => n) });
      } catch (e) {
        send({ type: 'failed', id: msg.id, message: (e as Error).message });
      }
      return;
    }
    case 'step': {
      telemetry.reset();
      groups!.resetCallIndices();
      for (const g of groups!.all) g.plan = msg.fault ?? null;
      let ok = true;
      let error: RankError | undefined;
      let outputs;
      try {
        if (!model) throw new Error('no model: send build first');
        outputs = model.step(msg);
      } catch (e) {
        ok = false;
        error = errorInfo(e);
      }
      for (const g of groups!.all) g.plan = null;
      const state = model?.stateWire();
      send({
        type: 'stepResult',
        id: msg.id,
        ok,
        error,
        telemetry: telemetry.snapshot(),
        outputs,
        stateHash: state ? stateHash(state) : '',
        state,
      });
      return;
    }
    case 'raw': {
      telemetry.reset();
      for (const g of groups!.all) g.plan = msg.fault ?? null;
      try {
        const { results, ms, minMs } = runRaw(msg.ops);
        send({ type: 'rawResult', id: msg.id, ok: true, results, ms, minMs });
      } catch (e) {
        send({ type: 'rawResult', id: msg.id, ok: false, results: [], ms: [], minMs: [], error: errorInfo(e) });
      }
      for (const g of groups!.all) g.plan = null;
      return;
    }
    case 'getState':
      if (!model) send({ type: 'failed', id: msg.id, message: 'no model' });
      else send({ type: 'state', id: msg.id, state: model.stateWire() });
      return;
    case 'shutdown':
      groups?.close();
      process.exit(0);
  }
}
