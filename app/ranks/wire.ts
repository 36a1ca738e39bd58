/** Tensors and state dicts to and from their wire form (structured clone keeps typed arrays). */
import { Tensor } from '../../engine/index.js';
import type { DType, TypedArray } from '../../engine/index.js';
import { StateDict } from '../../engine/index.js';
import type { WireState, WireTensor } from './protocol.js';

export function toWire(t: Tensor): WireTensor {
  return { shape: [...t.shape], dtype: t.dtype, data: t.hostView().slice() as WireTensor['data'] };
}

export function fromWire(w: WireTensor): Tensor {
  return new Tensor(w.data as TypedArray, w.shape, w.dtype as DType);
}

export function stateToWire(sd: StateDict): WireState {
  return {
    entries: [...sd].map(([k, t]) => [k, toWire(t)]),
    metadata: [...sd.metadata].map(([k, v]) => [k, { ...v }]),
  };
}

export function stateFromWire(w: WireState): StateDict {
  return new StateDict(
    w.entries.map(([k, t]) => [k, fromWire(t)] as const),
    new Map(w.metadata.map(([k, v]) => [k, v])),
  );
}

/** FNV-1a over keys, shapes and raw bytes: equal hashes mean bit-identical states. */
export function stateHash(w: WireState): string {
  let h = 0x811c9dc5;
  const mix = (b: number) => {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const [k, t] of w.entries) {
    for (let i = 0; i < k.length; i++) mix(k.charCodeAt(i) & 0xff);
    for (const d of t.shape) mix(d & 0xff);
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    for (let i = 0; i < bytes.length; i++) mix(bytes[i]!);
  }
  return h.toString(16).padStart(8, '0');
}
