/**
 * One browser-mode WebSocket: decodes each message, forwards contract calls to the host and sends
 * back their results. Whatever the client sends (binary frames, malformed JSON, unknown shapes,
 * too many calls at once) ends in an error result or this socket's close, never in a throw that
 * reaches the process; a protocol error on the socket (unmasked frame, oversize message) closes it only.
 */
import type { WebSocket } from 'ws';
import type { HostConnection } from '../host/hostWorker.js';
import type { Outcome } from '../host/dispatch.js';
import type { WireError } from '../shared/contract.js';
import { decodeMessage, encodeMessage, type ClientMessage, type ServerMessage } from '../shared/wire.js';
import { limitMessages } from './limits.js';

/** Checks (and may rewrite) a call before the host sees it; returns an error to send instead. */
export type CallGate = (method: string, payload: unknown) => Promise<{ payload: unknown } | { error: WireError }>;

export interface SocketSessionOptions {
  connection: HostConnection;
  maxInFlight: number;
  gate?: CallGate;
}

const payloadError = (message: string): WireError => ({ name: 'PayloadError', message });

/**
 * Bytes queued to a client that does not read its answers before that socket is dropped: without a
 * bound, a client could make the server hold every result it ever asked for.
 */
export const MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

/** Sends text unless the socket is closed; drops a socket whose unread backlog is over the bound. */
export function sendText(ws: WebSocket, text: string): void {
  if (ws.readyState !== ws.OPEN) return;
  if (ws.bufferedAmount > MAX_BUFFERED_BYTES) {
    ws.terminate();
    return;
  }
  ws.send(text, (err) => {
    if (err) ws.terminate();
  });
}

function safeSend(ws: WebSocket, msg: ServerMessage): void {
  if (ws.readyState !== ws.OPEN) return;
  let text: string;
  try {
    text = encodeMessage(msg);
  } catch (e) {
    // A value the wire cannot carry: say so under the call's id instead of dropping the answer.
    if (msg.t !== 'result') return;
    text = encodeMessage({ t: 'result', id: msg.id, ok: false, error: payloadError((e as Error).message) });
  }
  sendText(ws, text);
}

/** Attaches the handlers; returns nothing the caller must keep (the socket owns its state). */
export function serveSocket(ws: WebSocket, opts: SocketSessionOptions): void {
  let inFlight = 0;
  // A protocol error (unmasked frame, bad opcode, over maxPayload, invalid UTF-8) ends this socket only.
  ws.on('error', () => ws.terminate());
  ws.on('message', (data, isBinary) => {
    let msg: ClientMessage;
    try {
      if (isBinary) throw new Error('binary messages are not part of the contract');
      msg = decodeMessage<ClientMessage>(data.toString());
    } catch (e) {
      safeSend(ws, {
        t: 'result',
        id: -1,
        ok: false,
        error: payloadError(`malformed message: ${(e as Error).message}`),
      });
      return;
    }
    const ok =
      msg !== null &&
      typeof msg === 'object' &&
      msg.t === 'call' &&
      Number.isSafeInteger(msg.id) &&
      typeof msg.method === 'string';
    if (!ok) {
      const id = msg && typeof msg === 'object' && Number.isSafeInteger(msg.id) ? msg.id : -1;
      safeSend(ws, {
        t: 'result',
        id,
        ok: false,
        error: payloadError('malformed message: expected {t:"call", id, method, payload}'),
      });
      return;
    }
    if (inFlight >= opts.maxInFlight) {
      safeSend(ws, {
        t: 'result',
        id: msg.id,
        ok: false,
        error: { name: 'LimitError', message: limitMessages.inFlight(opts.maxInFlight) },
      });
      return;
    }
    inFlight++;
    const { id, method } = msg;
    void (async (): Promise<Outcome> => {
      const gated = opts.gate ? await opts.gate(method, msg.payload) : { payload: msg.payload };
      if ('error' in gated) return { ok: false, error: gated.error };
      return opts.connection.request(method, gated.payload);
    })()
      .catch((e: unknown): Outcome => ({
        ok: false,
        error: { name: 'HostError', message: String((e as Error)?.message ?? e) },
      }))
      .then((out) => {
        inFlight--;
        safeSend(ws, { t: 'result', id, ...out } as ServerMessage);
      });
  });
}
