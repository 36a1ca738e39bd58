/**
 * What the preload exposes as `window.normscope`: exactly the contract (call + on), nothing else.
 * Kept free of Electron so it can be tested: the preload passes in ipcRenderer's invoke/on/off.
 * Host errors cross contextBridge as an Error whose message ends with the WireError as JSON (names do
 * not survive the bridge); the renderer's client module turns it back into a typed error.
 */
import {
  EVENT_NAMES,
  METHOD_NAMES,
  type ContractClient,
  type EventName,
  type MethodName,
  type WireError,
} from '../shared/contract.js';

export const CALL_CHANNEL = 'normscope:call';
/** Dropped files' paths, preload → main (see drops.ts); not part of what the page can call. */
export const DROP_CHANNEL = 'normscope:drop';
export const eventChannel = (e: EventName): string => `normscope:event:${e}`;

type Outcome = { ok: true; value: unknown } | { ok: false; error: WireError };

export interface IpcLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, payload: unknown) => void): void;
  removeListener(channel: string, listener: (event: unknown, payload: unknown) => void): void;
}

/** The methods the preload forwards (all of them, by construction; the wiring test checks it). */
export const PRELOAD_METHODS: ReadonlySet<string> = new Set<string>(METHOD_NAMES);
const EVENTS: ReadonlySet<string> = new Set<string>(EVENT_NAMES);

export function createBridge(ipc: IpcLike): ContractClient {
  return {
    async call(method: MethodName, payload: unknown) {
      if (!PRELOAD_METHODS.has(method))
        throw new Error(JSON.stringify({ name: 'PayloadError', message: `unknown method ${String(method)}` }));
      const out = (await ipc.invoke(CALL_CHANNEL, method, payload)) as Outcome;
      if (out && out.ok) return out.value as never;
      throw new Error(JSON.stringify(out?.error ?? { name: 'Error', message: 'no answer from the host' }));
    },
    on(event: EventName, listener: (payload: never) => void) {
      if (!EVENTS.has(event)) throw new Error(`unknown event ${String(event)}`);
      const handler = (_e: unknown, payload: unknown) => listener(payload as never);
      ipc.on(eventChannel(event), handler);
      return () => ipc.removeListener(eventChannel(event), handler);
    },
  } as ContractClient;
}
