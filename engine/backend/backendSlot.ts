/**
 * What a backend loader hands the registry: the Backend when it can run, else null and the reason
 * (shown in the Backends view and backendInfo()). Shared by the native (nativeLoader.ts) and
 * WebAssembly (wasmLoader.ts) loaders.
 */
import type { Backend, BackendName } from './backend.js';
import type { BackendStatus } from './registry.js';

export interface BackendSlot {
  backend: Backend | null;
  reason: string | null;
  status: BackendStatus;
}

/** A slot for a backend that cannot run, and why. */
export function unavailableSlot(name: BackendName, reason: string): BackendSlot {
  return { backend: null, reason, status: { name, available: false, reason } };
}
