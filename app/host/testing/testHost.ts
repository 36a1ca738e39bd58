/**
 * What host tests share: a HostContext that records the events it emits and cancels jobs like the
 * worker does, and calls through `dispatch` (payload checks included) that return the value or throw
 * the host's error as the window would see it.
 */
import { CancelRegistry } from '../cancel.js';
import { dispatch } from '../dispatch.js';
import type { Handlers, HostContext } from '../handlers.js';

export type TestHostContext = HostContext & {
  /** Every emitted event in order, as [name, payload]. */
  events: Array<[string, unknown]>;
  cancels: CancelRegistry;
  /** Called after each event is recorded (a test may cancel a job from here). */
  onEvent?: (event: string) => void;
};

export function testHostContext(): TestHostContext {
  const cancels = new CancelRegistry();
  const c: TestHostContext = {
    runtime: 'browser',
    events: [],
    cancels,
    emit: (e, p) => {
      c.events.push([e, p]);
      c.onEvent?.(e);
    },
    cancelled: (id) => cancels.isCancelled(id),
    cancel: (id) => cancels.cancel(id),
  };
  return c;
}

/** The call's value, or its error (name and message, as the window gets them) thrown. */
export async function call(h: Handlers, method: string, payload: unknown): Promise<any> {
  const r = await dispatch(h, method, payload);
  if (!r.ok) throw Object.assign(new Error(r.error.message), { name: r.error.name });
  return r.value;
}

/** The error of a call that must fail; throws when it succeeds. */
export async function failure(
  h: Handlers,
  method: string,
  payload: unknown,
): Promise<{ name: string; message: string }> {
  const r = await dispatch(h, method, payload);
  if (r.ok) throw new Error(`${method} should fail but returned ${JSON.stringify(r.value)?.slice(0, 200)}`);
  return r.error;
}
