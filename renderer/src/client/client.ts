/**
 * The one client module for the contract. In Electron the preload exposes `window.normscope`
 * (contextBridge, exactly the contract); in browser mode we speak the contract over a WebSocket to the
 * server that served this page, with the session's token (token.ts: taken from ?token= once, then
 * kept in sessionStorage). Without a token, or with one the server refuses, the window says exactly
 * that (TOKEN_MESSAGE) instead of reporting a lost connection.
 */
import type { ContractClient, EventName, Events, MethodName, Req, Res, WireError } from '../../../app/shared/contract';
import { decodeMessage, encodeMessage, TOKEN_CHECK_PATH, type ServerMessage } from '../../../app/shared/wire';
import { dropToken, takeToken, TOKEN_MESSAGE, tokenHeaders } from './token';

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

export interface SocketClientOptions {
  /** Asked when the socket closes before it ever opened: did the server refuse the token? */
  tokenRefused?: () => Promise<boolean>;
  /** Called instead of onStatus('closed') when it did. */
  onUnauthorized?: () => void;
}

const unauthorized = (): HostError => new HostError({ name: 'Unauthorized', message: TOKEN_MESSAGE });

export function createWebSocketClient(
  url: string,
  onStatus: (s: 'open' | 'closed') => void,
  opts: SocketClientOptions = {},
): ContractClient {
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<EventName, Set<Listener>>();
  let nextId = 1;
  let ws: WebSocket;
  let opened: Promise<void>;
  let everOpened = false;
  let refused = false;

  const connect = () => {
    ws = new WebSocket(url);
    let failOpen: (e: Error) => void = () => undefined;
    opened = new Promise((resolve, reject) => {
      failOpen = reject;
      ws.onopen = () => {
        everOpened = true;
        onStatus('open');
        resolve();
      };
    });
    opened.catch(() => undefined);
    ws.onclose = () => {
      const end = (isRefused: boolean) => {
        refused = isRefused;
        const err = isRefused ? unauthorized() : new Error('the connection to the NormScope host closed');
        failOpen(isRefused ? err : new Error('cannot reach the NormScope host (is `normscope serve` running?)'));
        for (const p of pending.values()) p.reject(err);
        pending.clear();
        if (isRefused) opts.onUnauthorized?.();
        else onStatus('closed');
      };
      // A socket refused at the handshake looks like any failed one: ask the server about the token.
      if (!everOpened && opts.tokenRefused) void opts.tokenRefused().then(end, () => end(false));
      else end(false);
    };
    ws.onmessage = (ev) => {
      let msg: ServerMessage;
      try {
        msg = decodeMessage<ServerMessage>(String(ev.data));
      } catch {
        return; // not from our server; nothing to resolve
      }
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
      if (refused) throw unauthorized();
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
  const token = takeToken();
  if (!token) {
    showTokenMessage();
    return refusedClient();
  }
  const proto = location.protocol === 'https:' ? 'wss' : 'ws';
  return createWebSocketClient(`${proto}://${location.host}/ws?token=${encodeURIComponent(token)}`, onStatus, {
    tokenRefused: async () =>
      (await fetch(TOKEN_CHECK_PATH, { headers: tokenHeaders(), cache: 'no-store' })).status === 403,
    onUnauthorized: () => {
      dropToken();
      showTokenMessage();
    },
  });
}

/** A client for a page opened without a token: every call fails with TOKEN_MESSAGE. */
function refusedClient(): ContractClient {
  return {
    call: async () => {
      throw unauthorized();
    },
    on: () => () => undefined,
  };
}

/** Puts TOKEN_MESSAGE at the top of the page (once), where the connection state would say "closed". */
function showTokenMessage(): void {
  if (document.getElementById('normscope-token-message')) return;
  const p = document.createElement('p');
  p.id = 'normscope-token-message';
  p.className = 'error';
  p.setAttribute('role', 'alert');
  p.setAttribute('data-testid', 'token-message');
  p.textContent = TOKEN_MESSAGE;
  document.body.prepend(p);
}
