/**
 * Which Backend runs the BatchNorm kernels. `auto` picks CUDA when a device is present, else the
 * native CPU kernels, else the same kernels compiled to WebAssembly, else TypeScript.
 * NORMSCOPE_BACKEND=auto|ts|wasm|cpu|cuda or setBackend() forces one.
 */
import type { Backend, BackendName } from './backend.js';
import { tsBackend } from './tsKernels.js';
import { loadNativeBackends, type NativeBackends } from './nativeLoader.js';
import { loadWasmBackend, type WasmBackendSlot } from './wasmLoader.js';
import { memoryStats, type MemoryStats } from '../tensor/allocator.js';
import { ValueError } from '../errors.js';
import type { Device } from '../tensor/device.js';
import { createHostDevice } from './hostDevice.js';

export type BackendChoice = BackendName | 'auto';
/** Every name NORMSCOPE_BACKEND, setBackend and the window's backend switch accept. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'ts', 'wasm', 'cpu', 'cuda'];

export interface BackendStatus {
  name: BackendName;
  available: boolean;
  /** Why the backend cannot run ("nvcc not found at build", "no CUDA driver", …); null when available. */
  reason: string | null;
  device?: string;
  memoryBytes?: number;
  threads?: number;
  /** Where tensors live between steps on this backend (CUDA: on the device, or copied per call). */
  residency?: string;
  /** Bytes that crossed the host boundary so far (backends with device ops). */
  transfers?: { hostToDeviceBytes: number; deviceToHostBytes: number; deviceBytesInUse: number };
}

export interface BackendInfo {
  active: BackendName;
  requested: BackendChoice;
  backends: BackendStatus[];
  /** The host allocator's bytes in use, cached for reuse and peak (engine/tensor/allocator.ts). */
  memory: MemoryStats;
}

let native: NativeBackends | null = null;
let wasm: WasmBackendSlot | null = null;
let requested: BackendChoice = parseChoice(globalThis.process?.env?.NORMSCOPE_BACKEND);
let active: Backend | null = null;

function parseChoice(v: string | undefined): BackendChoice {
  if (!v) return 'auto';
  const choice = BACKEND_CHOICES.find((c) => c === v);
  if (choice) return choice;
  throw new ValueError(`NORMSCOPE_BACKEND must be one of ${BACKEND_CHOICES.join(', ')} (got ${JSON.stringify(v)})`);
}

function nativeBackends(): NativeBackends {
  native ??= loadNativeBackends();
  return native;
}

function wasmBackend(): WasmBackendSlot {
  wasm ??= loadWasmBackend();
  return wasm;
}

function resolve(choice: BackendChoice): Backend {
  if (choice === 'ts') return tsBackend;
  if (choice === 'wasm') {
    const w = wasmBackend();
    if (!w.backend) throw new ValueError(`backend 'wasm' is unavailable: ${w.reason}`);
    return w.backend;
  }
  const nb = nativeBackends();
  if (choice === 'cpu' || choice === 'cuda') {
    const b = nb[choice];
    if (!b.backend) throw new ValueError(`backend '${choice}' is unavailable: ${b.reason}`);
    return b.backend;
  }
  return nb.cuda.backend ?? nb.cpu.backend ?? wasmBackend().backend ?? tsBackend;
}

/** The backend that runs kernels now. */
export function getBackend(): Backend {
  active ??= resolve(requested);
  return active;
}

const hostDevices = new WeakMap<Backend, Device>();

/** A backend's host device (engine/backend/hostDevice.ts): its kernels over host arrays. */
function hostDeviceOf(b: Backend): Device {
  let d = hostDevices.get(b);
  if (!d) {
    d = createHostDevice(b);
    hostDevices.set(b, d);
  }
  return d;
}

/** The device ops run on: the active backend's own (CUDA keeps tensors on it), else its host device. */
export function activeDevice(): Device {
  const b = getBackend();
  return b.device ?? hostDeviceOf(b);
}

/** The active backend's host device (for tensors that should stay on the host). */
export function activeHostDevice(): Device {
  return hostDeviceOf(getBackend());
}

/** Forces a backend (or `auto`). Throws a ValueError naming the reason when it cannot run here. */
export function setBackend(choice: BackendChoice): Backend {
  const b = resolve(parseChoice(choice));
  requested = choice;
  active = b;
  return b;
}

function deviceStatus(b: Backend | null): Pick<BackendStatus, 'transfers'> {
  const s = b?.device?.transferStats();
  if (!s) return {};
  const { hostToDeviceBytes, deviceToHostBytes, deviceBytesInUse } = s;
  return { transfers: { hostToDeviceBytes, deviceToHostBytes, deviceBytesInUse } };
}

/** Which backend is active, and for each one whether it can run and why not. */
export function backendInfo(): BackendInfo {
  const nb = nativeBackends();
  const cur = getBackend();
  return {
    active: cur.name,
    requested,
    backends: [
      { name: 'ts', available: true, reason: null, threads: 1 },
      { ...wasmBackend().status },
      { ...nb.cpu.status },
      { ...nb.cuda.status, ...deviceStatus(nb.cuda.backend) },
    ],
    memory: memoryStats(),
  };
}
