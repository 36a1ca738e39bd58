/**
 * The message data plane, for ranks whose engine runs on a worker thread (Electron's
 * utilityProcess has no extra pipe to block on): the engine thread posts a collective request to
 * the rank's main thread and blocks in Atomics.wait; the main thread relays it to the coordinator
 * and, when the answer comes back, posts it on a dedicated port and wakes the engine thread, which
 * takes it with receiveMessageOnPort — synchronous from the engine's point of view.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import type { IpcRequest, IpcResponse, SyncTransport } from '../../engine/index.js';

/** Grace beyond the collective's own timeout (the coordinator answers within it unless it died). */
const COORDINATOR_GRACE_MS = 30_000;

export class ChannelTransport implements SyncTransport {
  constructor(
    private readonly post: (msg: { type: 'collective'; id: 0; header: IpcRequest; payload: Float64Array }) => void,
    private readonly replies: MessagePort,
    private readonly flag: Int32Array,
  ) {}

  request(header: IpcRequest, payload: Float64Array): { header: IpcResponse; payload: Float64Array } {
    Atomics.store(this.flag, 0, 0);
    this.post({ type: 'collective', id: 0, header, payload });
    const deadline = Date.now() + header.timeoutMs + COORDINATOR_GRACE_MS;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no answer from the coordinator (it stopped responding)');
      Atomics.wait(this.flag, 0, 0, left);
      const m = receiveMessageOnPort(this.replies);
      if (m) return m.message as { header: IpcResponse; payload: Float64Array };
    }
  }
}

/** The main-thread side: hands the coordinator's answer to the blocked engine thread. */
export function deliverReply(
  port: MessagePort,
  flag: Int32Array,
  reply: { header: IpcResponse; payload: Float64Array },
): void {
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}
