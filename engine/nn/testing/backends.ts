/**
 * Runs numeric parity cases on every compute backend that can run here (ts always; the native cpu
 * and cuda backends when built and usable), so new backends are covered without touching the tests.
 */
import { backendInfo, setBackend, type BackendChoice, type BackendName } from '../../index.js';

/**
 * Names of the backends available in this process; NORMSCOPE_TEST_BACKENDS (comma-separated) narrows
 * them, so a run against one addon (the CUDA emulator's, in `npm test`) does not repeat the others.
 */
export function availableBackends(): BackendName[] {
  const only = globalThis.process?.env?.NORMSCOPE_TEST_BACKENDS?.split(',').map((s) => s.trim());
  return backendInfo()
    .backends.filter((b) => b.available && (!only || only.includes(b.name)))
    .map((b) => b.name);
}

/** Runs `fn` with `name` active, restoring the previously requested backend afterwards. */
export function withBackend<T>(name: BackendName, fn: () => T): T {
  const previous: BackendChoice = backendInfo().requested;
  setBackend(name);
  try {
    return fn();
  } finally {
    setBackend(previous);
  }
}
