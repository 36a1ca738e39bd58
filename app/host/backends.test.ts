import { describe, expect, it } from 'vitest';
import { backendsView } from './backends.js';
import { BatchNorm2d, Tensor, tidy } from '../../engine/index.js';

describe('backendsView', () => {
  it("lists the wasm backend and reports the host allocator's memory", () => {
    const x = new Tensor(new Float32Array(2 * 4 * 32 * 32).fill(1), [2, 4, 32, 32]);
    const bn = new BatchNorm2d(4);
    tidy(() => void bn.forward(x)); // one output of 32 KiB back to the cache
    const v = backendsView();
    expect(v.backends.map((b) => b.name)).toContain('wasm');
    expect(v.memory!.bytesCached).toBeGreaterThanOrEqual(x.numel() * 4);
    expect(v.memory!.peakBytesInUse).toBeGreaterThanOrEqual(v.memory!.bytesInUse);
    expect(JSON.parse(JSON.stringify(v))).toEqual(v); // crosses IPC as plain data
  });
});
