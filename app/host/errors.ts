/** Errors the host raises itself (engine errors keep PyTorch's name and text). */
import type { WireError } from '../shared/contract.js';

/** A workspace whose engine part has not landed (or cannot run here), said plainly. */
export class NotAvailableError extends Error {
  override name = 'NotAvailable';
}

/** Thrown by long jobs that saw their cancellation flag. */
export class CancelledError extends Error {
  override name = 'Cancelled';
}

export function toWireError(e: unknown): WireError {
  if (e instanceof Error) return { name: e.name || 'Error', message: e.message };
  return { name: 'Error', message: String(e) };
}
