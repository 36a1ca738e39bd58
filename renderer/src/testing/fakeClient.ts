/**
 * The one fake host for the renderer's tests. Typed against the contract (a handler takes its method's
 * request and returns its response), and it fails the way the real client does: a method the contract
 * lacks is refused with the host's PayloadError, a method this test did not answer with NotAvailable,
 * and whatever a handler throws arrives as a HostError carrying only its name and message, as a
 * WireError does after crossing the boundary.
 */
import {
  isMethodName,
  unknownMethodMessage,
  type ContractClient,
  type EventName,
  type Events,
  type MethodName,
  type Req,
  type Res,
} from '../../../app/shared/contract';
import { HostError } from '../client/client';

/** What a test answers per method; the others are not available. */
export type FakeHandlers = { [M in MethodName]?: (payload: Req<M>) => Res<M> | Promise<Res<M>> };

/** One recorded call: the method and its payload, as sent. */
export type FakeCall = { [M in MethodName]: [M, Req<M>] }[MethodName];

export interface FakeHost {
  client: ContractClient;
  /** Every call in order, refused ones included. */
  calls: FakeCall[];
  /** Pushes an event to the client's listeners, as the host does. */
  emit<E extends EventName>(event: E, payload: Events[E]): void;
}

export function fakeClient(handlers: FakeHandlers = {}): FakeHost {
  const calls: FakeCall[] = [];
  const listeners = new Map<EventName, Set<(payload: never) => void>>();
  const client: ContractClient = {
    async call<M extends MethodName>(method: M, payload: Req<M>): Promise<Res<M>> {
      calls.push([method, payload] as FakeCall);
      if (!isMethodName(method)) throw new HostError({ name: 'PayloadError', message: unknownMethodMessage(method) });
      const handler = handlers[method] as ((p: Req<M>) => Res<M> | Promise<Res<M>>) | undefined;
      if (!handler) throw new HostError({ name: 'NotAvailable', message: `no fake for ${method}` });
      try {
        return await handler(payload);
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        throw new HostError({ name: err.name || 'Error', message: err.message });
      }
    },
    on<E extends EventName>(event: E, listener: (payload: Events[E]) => void) {
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener as (payload: never) => void);
      return () => set.delete(listener as (payload: never) => void);
    },
  };
  const emit = <E extends EventName>(event: E, payload: Events[E]) => {
    for (const l of listeners.get(event) ?? []) l(payload as never);
  };
  return { client, calls, emit };
}
