/**
 * The host's implementation of every contract method. Runtime-agnostic: the engine worker thread
 * (Electron main and browser mode) and the tests call these. Workspaces whose engine part cannot run
 * here throw NotAvailableError with the reason, and `app.info` reports the same, so the window shows an
 * honest "not available" state rather than fake data.
 */
import type {
  AppInfo,
  EventName,
  Events,
  FeatureName,
  FeatureStatus,
  MethodName,
  Req,
  Res,
} from '../shared/contract.js';
import { backendsView, chooseBackend, runBench } from './backends.js';
import { DEFAULT_LR, validateStack } from '../../engine/index.js';
import { NotAvailableError } from './errors.js';
import { previewSync } from './syncPreview.js';
import { Session } from './session.js';
import { statSync } from 'node:fs';
import type { CheckpointStore } from './checkpoints.js';
import type { Renaming } from './loadState.js';
import { resolveUserPath } from './userPath.js';
import type { Checkpoint } from '../../engine/index.js';
import type { StackSpec } from '../shared/stackSpec.js';
import type { RanksService } from './ranks.js';
import type { RankSpawner } from '../ranks/rankProcess.js';
import type { ModelStore } from './models.js';

export interface HostContext {
  runtime: 'electron' | 'browser';
  /** How rank processes start (Electron: utilityProcess through the main thread); default child_process. */
  rankSpawner?: RankSpawner;
  emit<E extends EventName>(event: E, payload: Events[E]): void;
  /** Whether `job.cancel` was called for this job id. */
  cancelled(jobId: string): boolean;
  cancel(jobId: string): boolean;
}

export type Handlers = { [M in MethodName]: (payload: Req<M>) => Promise<Res<M>> };

const VERSION = '0.1.0';

/** Which engine parts this host can drive; each entry says why not when it cannot. */
export function features(session: Session): Record<FeatureName, FeatureStatus> {
  const engine = session.engineStatus();
  return {
    stack: { available: true, reason: null },
    stepping: engine,
    inspect: engine,
    stateDict: engine,
    checkpoints: { available: true, reason: null },
    diff: { available: true, reason: null },
    // In Electron, app/ranks spawns rank processes from the Electron binary with ELECTRON_RUN_AS_NODE=1.
    ranks: { available: true, reason: null },
    backends: { available: true, reason: null },
    models: { available: true, reason: null },
  };
}

/** What Load does with the file a stack was built from (its BatchNorm layers renumbered, adapters not in it). */
function builtFromText(spec: StackSpec, keys: ReadonlyMap<string, string>): string {
  const first = [...keys].slice(0, 2).map(([a, b]) => `${a} → ${b}`);
  const adapters = spec.layers.flatMap((l, i) => (l.type === 'Linear' ? [String(i)] : []));
  return (
    `the stack was built from this file's BatchNorm layers: their keys map to the stack's (${first.join(', ')}, …); ` +
    `keys of other layers are left out` +
    (adapters.length
      ? `; the Linear adapter layer(s) ${adapters.join(', ')} are not in the file, so strict loading reports them missing`
      : '')
  );
}

/** Builds the handlers (loading the engine's stack builder first). */
export async function createHandlers(ctx: HostContext): Promise<Handlers> {
  const session = new Session(ctx);
  // Checkpoint I/O and the rank coordinator load on first use, so the window comes up sooner.
  let ckStore: CheckpointStore | null = null;
  let rankService: RanksService | null = null;
  let modelStore: ModelStore | null = null;
  const models = async () => (modelStore ??= new (await import('./models.js')).ModelStore());
  /** A typed path made the host's (~, relative), its note added to an error's text. */
  const withPath = async <T>(typed: string, fn: (path: string) => T | Promise<T>): Promise<T> => {
    const { path, note } = resolveUserPath(typed);
    try {
      return await fn(path);
    } catch (e) {
      if (note && e instanceof Error) e.message = `${e.message} (${note})`;
      throw e;
    }
  };
  const files = () => import('./checkpoints.js');
  const loading = () => import('./loadState.js');
  const store = async () => (ckStore ??= new (await files()).CheckpointStore());
  const rankSvc = async () =>
    (rankService ??= new (await import('./ranks.js')).RanksService((s) => ctx.emit('ranks', s), ctx.rankSpawner));
  const yieldNow = (): Promise<void> => new Promise((r) => setImmediate(r));
  // A stack built from a checkpoint's BatchNorm layers remembers the file and its keys, so loading
  // that state dict again renames the file's keys to the stack's (`module.bn1.weight` → `0.weight`).
  // Matched by the file's path, so the file opened again (a new id) still loads.
  let builtFrom: { file: string; stateDictPath: string; renaming: Renaming } | null = null;
  const fromFile = (file: string, stateDictPath: string, ck: Checkpoint): Renaming | null =>
    builtFrom && builtFrom.file === file && builtFrom.stateDictPath === (stateDictPath || ck.found().path)
      ? builtFrom.renaming
      : null;
  return {
    'app.info': async (): Promise<AppInfo> => ({
      version: VERSION,
      runtime: ctx.runtime,
      platform: process.platform,
      features: features(session),
    }),
    'job.cancel': async ({ jobId }) => ({ cancelled: ctx.cancel(jobId) }),
    // Electron main answers this itself with a dialog; the host has no dialogs (browser mode).
    'files.choose': async () => {
      throw new NotAvailableError('no file dialog in browser mode: type the path of a file on the host machine');
    },

    'stack.validate': async ({ spec, inputShape }) => validateStack(spec, inputShape, true),
    'stack.build': async (p) => {
      builtFrom = null;
      return session.build(p.spec, p.inputShape, p.seed);
    },
    'stack.previewSync': async ({ spec }) => previewSync(spec),
    'stack.convertSync': async () => session.convertSync(),

    'step.state': async () => session.state(),
    'step.setInput': async (p) => session.setInput(p),
    'step.setMode': async ({ training }) => session.setMode(training),
    'step.forward': async () => session.forward(),
    'step.train': async ({ lr }) => session.trainStep(lr),
    'step.run': async (p) => session.run(p.jobId, p.steps, p.lr, p.train),
    'step.reset': async ({ what }) => session.reset(what),
    'step.snapshot': async () => session.snapshot(),
    'step.rollback': async () => session.rollback(),
    'step.compare': async () => session.compare(),

    'inspect.layer': async ({ path }) => session.inspect(path),

    'stateDict.view': async () => session.stateDictView(),
    'stateDict.export': async ({ path, format }) => {
      (await loading()).exportStateDict(session.current().model, path, format);
      return { path, bytes: statSync(path).size };
    },
    'stateDict.previewLoad': async ({ checkpointId, stateDictPath }) => {
      const { model, spec } = session.current();
      const { ck, view } = (await store()).get(checkpointId);
      return (await loading()).previewLoad(
        model,
        spec,
        ck.stateDict(stateDictPath || undefined),
        fromFile(view.path, stateDictPath, ck),
      );
    },
    'stateDict.load': async ({ checkpointId, stateDictPath, strict }) => {
      const { ck, view } = (await store()).get(checkpointId);
      const report = (await loading()).loadInto(
        session.current().model,
        ck.stateDict(stateDictPath || undefined),
        strict,
        fromFile(view.path, stateDictPath, ck),
      );
      session.invalidate();
      return report;
    },

    'checkpoint.open': async ({ path: typed, jobId, tensorsOnly }) => {
      const { path, note } = resolveUserPath(typed);
      try {
        const view = await (
          await store()
        ).openFile(
          path,
          tensorsOnly,
          (done, total) => ctx.emit('progress', { jobId, done, total, label: `reading tensors` }),
          () => ctx.cancelled(jobId),
        );
        return note ? { ...view, warnings: [`opened ${path}: ${note}`, ...view.warnings] } : view;
      } catch (e) {
        if (note && e instanceof Error) e.message = `${e.message} (${note})`;
        throw e;
      }
    },
    'checkpoint.tensors': async ({ id, offset, limit, filter }) => (await store()).tensors(id, offset, limit, filter),
    'checkpoint.buildStack': async ({ id }) => {
      const o = (await store()).get(id);
      const { stackFromCheckpoint } = await import('./stackFromCheckpoint.js');
      const built = stackFromCheckpoint(o.ck, o.report);
      const summary = session.build(built.spec, built.inputShape, 0);
      // Version-1 layers get their counter injected by the module's own loading, as in PyTorch.
      session.current().model.loadStateDict(built.stateDict, { strict: false });
      session.invalidate();
      builtFrom = {
        file: o.view.path,
        stateDictPath: built.source.stateDictPath,
        renaming: {
          strip: '',
          add: '',
          keys: built.source.keys,
          description: builtFromText(built.spec, built.source.keys),
        },
      };
      return { spec: built.spec, inputShape: built.inputShape, summary, notes: built.notes };
    },
    'checkpoint.close': async ({ id }) => ({ closed: (await store()).close(id) }),

    'diff.run': async ({ a, b, stripPrefix, jobId }) => {
      ctx.emit('progress', { jobId, done: 0, total: 1, label: 'diffing' });
      const d = (await files()).diffFiles(resolveUserPath(a).path, resolveUserPath(b).path, stripPrefix);
      ctx.emit('progress', { jobId, done: 1, total: 1, label: 'done' });
      return d;
    },

    'ranks.start': async ({ worldSize, shards, subgroups }) =>
      (await rankSvc()).start(worldSize, shards, subgroups, session.rankInputs(DEFAULT_LR)),
    'ranks.step': async () => (await rankSvc()).step(),
    'ranks.kill': async ({ rank }) => (await rankSvc()).kill(rank),
    'ranks.restart': async () => (await rankSvc()).restart(),
    'ranks.stop': async () => (await rankSvc()).stop(),
    'ranks.state': async () => (await rankSvc()).snapshot(),

    'backend.info': async () => backendsView(),
    'backend.set': async ({ name }) => chooseBackend(name),
    'backend.bench': async ({ jobId }) => ({
      rows: await runBench({
        progress: (done, total, label) => ctx.emit('progress', { jobId, done, total, label }),
        cancelled: () => ctx.cancelled(jobId),
        yieldNow,
      }),
    }),

    'model.open': async ({ path, jobId }) => {
      ctx.emit('progress', { jobId, done: 0, total: 1, label: 'reading the model' });
      const store = await models();
      const view = await withPath(path, (p) => store.openFile(p));
      ctx.emit('progress', { jobId, done: 1, total: 1, label: 'done' });
      return view;
    },
    'model.weights': async ({ path }) => {
      const store = await models();
      return withPath(path, (p) => store.applyWeightsFile(p));
    },
    'model.setInput': async ({ path, batch, seed, input }) => {
      const store = await models();
      const name = input ?? null;
      return path === null
        ? store.setInput(name, null, batch, seed)
        : withPath(path, (p) => store.setInput(name, p, batch, seed));
    },
    'model.step': async ({ mode }) => (await models()).step(mode),
    'model.compare': async () => (await models()).compare(),
    'model.inspect': async ({ path }) => (await models()).inspect(path),
    'model.recalibrate': async ({ jobId, batchSize }) =>
      (await models()).recalibrate(
        batchSize,
        (done, total) => ctx.emit('progress', { jobId, done, total, label: 'recalibrating' }),
        () => ctx.cancelled(jobId),
      ),
    'model.export': async ({ path, format }) => {
      const store = await models();
      return withPath(path, (p) => store.exportTo(p, format));
    },
    'model.train': async (req) => {
      const store = await models();
      const { jobId } = req;
      const run = (target: string | null) =>
        store.train(req, target, {
          progress: (done, total, label) => ctx.emit('progress', { jobId, done, total, label }),
          losses: (p) => ctx.emit('modelTrain', { jobId, ...p }),
          cancelled: () => ctx.cancelled(jobId),
        });
      return req.target === null ? run(null) : withPath(req.target, run);
    },
  };
}
