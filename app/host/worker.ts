/**
 * The engine worker thread. Electron main and the browser-mode server start it so that their own
 * thread (windows, IPC, sockets) never waits on compute. Messages: {t:'call', id, method, payload}
 * in; {t:'result', …} and {t:'event', …} out. Long jobs yield between steps, so `job.cancel` arrives.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EventName, Events } from '../shared/contract.js';
import { dispatch } from './dispatch.js';
import { createHandlers } from './handlers.js';
import { CancelRegistry } from './cancel.js';
import { CancelFlagReader } from './cancelFlags.js';
import { bridgedFork, isForkEvent } from '../ranks/forkBridge.js';
import { withStackBudget } from './stackBudgetGate.js';
import type { StackBudget } from '../../engine/index.js';

const port = parentPort;
if (!port) throw new Error('app/host/worker.ts must run as a worker thread');

const cancels = new CancelRegistry();
const data = workerData as
  | {
      runtime?: 'electron' | 'browser';
      cancelFlags?: SharedArrayBuffer;
      rankBridge?: boolean;
      stackBudget?: StackBudget;
      budgetHint?: string;
    }
  | undefined;
const runtime = data?.runtime ?? 'browser';
const flags = new CancelFlagReader(data?.cancelFlags);
// In Electron, ranks are utility processes that only the main thread can fork (see hostWorker.ts).
const rankFork = data?.rankBridge ? bridgedFork((c) => port.postMessage(c)) : null;
const ready = createHandlers({
  runtime,
  ...(rankFork ? { rankSpawner: { kind: 'utilityProcess' as const, fork: rankFork.fork } } : {}),
  emit: <E extends EventName>(event: E, payload: Events[E]) => port.postMessage({ t: 'event', event, payload }),
  cancelled: (jobId) => cancels.isCancelled(jobId) || flags.isRaised(jobId),
  cancel: (jobId) => cancels.cancel(jobId),
  // Every build and input shape is sized against the model budget first (issue 13).
}).then((h) => withStackBudget(h, { budget: data?.stackBudget, raiseWith: data?.budgetHint }));

port.on('message', (msg: { t: 'call'; id: number; method: unknown; payload: unknown; slot?: unknown }) => {
  if (isForkEvent(msg)) {
    rankFork?.handle(msg);
    return;
  }
  if (!msg || msg.t !== 'call') return;
  flags.register(msg.payload, msg.slot);
  void ready.then(async (handlers) => {
    const out = await dispatch(handlers, msg.method, msg.payload);
    port.postMessage({ t: 'result', id: msg.id, ...out });
  });
});
port.postMessage({ t: 'ready' });
