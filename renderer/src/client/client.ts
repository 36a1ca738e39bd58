/**
 * The one client module for the contract. In Electron the preload exposes `window.normscope`
 * (contextBridge, exactly the contract); in browser mode we speak the contract over a WebSocket to the
 * server that served this page, with the token from the page URL.
 */
import type { ContractClient, EventName, Events, MethodName, Req, Res, WireError } from '../../../app/shared/contract';
import { decodeMessage, encodeMessage, type ServerMessage } from '../../../app/shared/wire';

declare global {
  interface Window {
    normscope?: ContractClient;
  }
}

/** An error raised by the host, carrying PyTorch's type name where the engine raised it. */
export class HostError extends Error {
  constructor(e: WireError) {
    super(e.message);
    this.name = e.name;
  }
}

type Listener = (payload: never) => void;

export function createWebSocketClient(url: string, onStatus: (s: 'open' | 'closed') => void): ContractClient {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<EventName, Set<Listener>>();
  let nextId = 1;
  let ws: WebSocket;
  let opened: Promise<void>;

  const connect = () => {
    ws = new WebSocket(url);
    opened = new Promise((resolve, reject) => {
      ws.onopen = () => {
        onStatus('open');
        resolve();
      };
      ws.onerror = () => reject(new Error('cannot reach the NormScope host (is `normscope serve` running?)'));
    });
    opened.catch(() => undefined);
    ws.onclose = () => {
      onStatus('closed');
      for (const p of pending.values()) p.reject(new Error('the connection to the NormScope host closed'));
      pending.clear();
    };
    ws.onmessage = (ev) => {
      const msg = decodeMessage<ServerMessage>(String(ev.data));
      if (msg.t === 'result') {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (!p) return;
        if (msg.ok) p.resolve(msg.value);
        else p.reject(new HostError(msg.error));
      } else if (msg.t === 'event') {
        for (const l of listeners.get(msg.event) ?? []) l(msg.payload as never);
      }
    };
  };
  connect();

  return {
    async call<M extends MethodName>(method: M, payload: Req<M>): Promise<Res<M>> {
      await opened;
      const id = nextId++;
      return new Promise<Res<M>>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        ws.send(encodeMessage({ t: 'call', id, method, payload }));
      });
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as Listener);
      return () => set.delete(listener as Listener);
    },
  };
}

/** Wraps the preload's bridge so host errors arrive as HostError with their name. */
function electronClient(bridge: ContractClient): ContractClient {
  return {
    async call(method, payload) {
      try {
        return await bridge.call(method, payload);
      } catch (e) {
        const err = e as { name?: string; message?: string };
        // Electron prefixes rejected-invoke messages; the preload passes the WireError as JSON in the message.
        const m = /\{"name":.*\}$/.exec(err.message ?? '');
        if (m) throw new HostError(JSON.parse(m[0]) as WireError);
        throw e;
      }
    },
    on: (event, listener) => bridge.on(event, listener),
  };
}

export function createClient(onStatus: (s: 'open' | 'closed') => void): ContractClient {
  if (window.normscope) {
    onStatus('open');
    return electronClient(window.normscope);
  }
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  return createWebSocketClient(`${proto}://${location.host}/ws?token=${encodeURIComponent(token)}`, onStatus);
}
