/**
 * The main-thread side of the host: starts the engine worker and gives callers a promise per request
 * and a stream of events. Used by Electron main (IPC) and the browser-mode server (WebSocket).
 */
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EventName, Events, WireError } from '../shared/contract.js';
import type { Outcome } from './dispatch.js';
import { CancelFlagWriter, createCancelFlags } from './cancelFlags.js';
import { isForkCommand, serveForks } from '../ranks/forkBridge.js';
import type { UtilityFork } from '../ranks/rankProcess.js';
import type { StackBudget } from '../../engine/index.js';

export type EventListener = <E extends EventName>(event: E, payload: Events[E]) => void;

export interface HostConnection {
  /** Sends a request; the outcome is never a throw (errors come back as WireError). */
  request(method: string, payload: unknown): Promise<Outcome>;
  onEvent(listener: EventListener): () => void;
  close(): Promise<void>;
}

/**
 * The worker next to this file: worker.js when built; from source (tsx, vitest) a tiny bootstrap that
 * registers tsx's loader inside the worker first, because loader flags do not reach worker threads.
 */
function spawnWorker(
  runtime: 'electron' | 'browser',
  cancelFlags: SharedArrayBuffer,
  rankBridge: boolean,
  budget: Pick<HostWorkerOptions, 'stackBudget' | 'budgetHint'> = {},
): Worker {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts'))
    return new Worker(here.replace(/hostWorker\.js$/, 'worker.js'), {
      workerData: { runtime, cancelFlags, rankBridge, ...budget },
    });
  // tsx's ESM API entry (its CommonJS build cannot register the hooks from inside a worker).
  const tsxApi = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/index\.cjs$/, 'index.mjs'),
  ).href;
  const entry = pathToFileURL(here.replace(/hostWorker\.ts$/, 'worker.ts')).href;
  const boot = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: { runtime, cancelFlags, rankBridge, ...budget } });
}

export interface HostWorkerOptions {
  /**
   * Electron main passes utilityProcess.fork: the worker's rank coordinator then asks this thread to
   * start its ranks (app/ranks/forkBridge.ts), since packaged builds cannot run child_process ranks.
   */
  rankFork?: UtilityFork;
  /** The largest stack a build may make (default: the engine's DEFAULT_STACK_BUDGET); see stackBudgetGate.ts. */
  stackBudget?: StackBudget;
  /** How to raise it, appended to refusals (e.g. the `serve` flags). */
  budgetHint?: string;
}

export async function startHostWorker(
  runtime: 'electron' | 'browser',
  opts: HostWorkerOptions = {},
): Promise<HostConnection> {
  const flagsBuffer = createCancelFlags();
  const flags = new CancelFlagWriter(flagsBuffer);
  const worker = spawnWorker(runtime, flagsBuffer, opts.rankFork !== undefined, {
    stackBudget: opts.stackBudget,
    budgetHint: opts.budgetHint,
  });
  const ranks = opts.rankFork ? serveForks(opts.rankFork, (e) => worker.postMessage(e)) : null;
  const pending = new Map<number, (o: Outcome) => void>();
  const listeners = new Set<EventListener>();
  let nextId = 1;
  let dead: WireError | null = null;

  // Requests are not held until the worker has loaded the engine: a worker's port queues messages
  // until its listener is attached, so the server can listen (and the window load) meanwhile.
  worker.on('message', (m: { t: string; id?: number; event?: EventName; payload?: unknown } & Outcome) => {
    if (isForkCommand(m)) ranks?.handle(m);
    else if (m.t === 'result' && typeof m.id === 'number') {
      const done = pending.get(m.id);
      pending.delete(m.id);
      done?.(m.ok ? { ok: true, value: m.value } : { ok: false, error: m.error });
    } else if (m.t === 'event' && m.event) {
      for (const l of listeners) l(m.event, m.payload as never);
    }
  });
  const failAll = (err: WireError) => {
    dead = err;
    for (const done of pending.values()) done({ ok: false, error: err });
    pending.clear();
  };
  worker.on('error', (e) => failAll({ name: 'HostCrashed', message: `the engine worker failed: ${e.message}` }));
  worker.on('exit', (code) => failAll({ name: 'HostCrashed', message: `the engine worker exited (code ${code})` }));

  return {
    request(method, payload) {
      if (dead) return Promise.resolve({ ok: false, error: dead });
      const id = nextId++;
      return new Promise((resolve) => {
        pending.set(id, resolve);
        const slot = flags.onRequest(method, payload);
        worker.postMessage({ t: 'call', id, method, payload, slot });
      });
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      ranks?.killAll();
      await worker.terminate();
    },
  };
}
