/**
 * Entry of a rank process, spawned by the coordinator (coordinator.ts) one per rank.
 *
 * Control messages (init, build, step, raw collectives, state) arrive over the parent channel:
 * Node's IPC channel under child_process, process.parentPort under Electron's utilityProcess.
 * The `ipc` backend's collectives need a channel the engine can block on:
 *  - fd data plane (child_process): a pipe on fd 3, read with fs.readSync on this thread;
 *  - channel data plane (utilityProcess, or NORMSCOPE_RANK_DATAPLANE=channel): the engine runs on a
 *    worker thread blocked in Atomics.wait while this thread relays collectives (channelTransport.ts).
 * If the coordinator goes away the rank exits instead of lingering.
 */
import { isMainThread, MessageChannel, parentPort, Worker, workerData, type MessagePort } from 'node:worker_threads';
import { configureRank, handleRankMessage } from './rankHandler.js';
import { FdTransport } from './fdTransport.js';
import { ChannelTransport, deliverReply } from './channelTransport.js';
import type { FromRank, ToRank } from './protocol.js';

const DATA_FD = 3;

interface ParentChannel {
  send(msg: unknown): void;
  onMessage(fn: (msg: ToRank) => void): void;
  onDisconnect(fn: () => void): void;
}

function parentChannel(): ParentChannel {
  const pp = (
    process as unknown as {
      parentPort?: { postMessage(m: unknown): void; on(e: 'message', fn: (e: { data: unknown }) => void): void };
    }
  ).parentPort;
  if (pp) {
    // Electron utilityProcess: the parent's death kills the utility process.
    return {
      send: (m) => pp.postMessage(m),
      onMessage: (fn) => pp.on('message', (e) => fn(e.data as ToRank)),
      onDisconnect: () => {},
    };
  }
  return {
    send: (m) => process.send?.(m),
    onMessage: (fn) => process.on('message', (m) => fn(m as ToRank)),
    onDisconnect: (fn) => process.on('disconnect', fn),
  };
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'rank-engine') {
  // Engine thread of the channel data plane.
  const wd = workerData as { flag: SharedArrayBuffer; replies: MessagePort };
  const flag = new Int32Array(wd.flag);
  const up = parentPort!;
  configureRank({
    send: (m) => up.postMessage(m),
    transport: new ChannelTransport((m) => up.postMessage(m), wd.replies, flag),
  });
  up.on('message', (m: ToRank) => handleRankMessage(m));
} else if (isMainThread) {
  const parent = parentChannel();
  const isUtility =
    'parentPort' in process && (process as unknown as { parentPort?: unknown }).parentPort !== undefined;
  const mode = process.env.NORMSCOPE_RANK_DATAPLANE ?? (isUtility ? 'channel' : 'fd');
  parent.onDisconnect(() => process.exit(0));
  if (mode === 'fd') {
    configureRank({ send: (m: FromRank) => parent.send(m), transport: new FdTransport(DATA_FD) });
    parent.onMessage((m) => handleRankMessage(m));
  } else {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(new URL(import.meta.url), {
      workerData: { role: 'rank-engine', flag: flag.buffer, replies: port2 },
      transferList: [port2],
      execArgv: process.execArgv,
    });
    worker.on('message', (m: FromRank) => parent.send(m));
    worker.on('error', (e) => {
      process.stderr.write(`rank engine thread failed: ${e.stack ?? e.message}\n`);
      process.exit(1);
    });
    worker.on('exit', (code) => process.exit(code));
    parent.onMessage((m) => {
      if (m.type === 'collectiveReply') deliverReply(port1, flag, { header: m.header, payload: m.payload });
      else worker.postMessage(m);
    });
  }
}
