/**
 * One entry for every request, whatever the transport: validate method and payload, run the
 * handler, and turn any throw into a WireError (never a crash of the host).
 */
import type { WireError } from '../shared/contract.js';
import { toWireError } from './errors.js';
import type { Handlers } from './handlers.js';
import { validatePayload } from './validate.js';

export type Outcome = { ok: true; value: unknown } | { ok: false; error: WireError };

export async function dispatch(handlers: Handlers, method: unknown, payload: unknown): Promise<Outcome> {
  try {
    validatePayload(method, payload);
    const fn = handlers[method] as (p: unknown) => Promise<unknown>;
    return { ok: true, value: await fn(payload) };
  } catch (e) {
    return { ok: false, error: toWireError(e) };
  }
}
