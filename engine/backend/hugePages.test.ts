/**
 * The addon's adviseHugePages (native/addon/huge_pages.cc) on real ArrayBuffers, and the allocator hook
 * nativeLoader.ts installs with it. Whether the kernel takes the advice depends on the machine (THP
 * compiled in, `enabled` not `never`), so results are only required to be booleans where they could
 * be either; what must hold everywhere is: no throw for an ArrayBuffer, contents unchanged.
 */
import { describe, expect, it } from 'vitest';
import { loadAddon } from './nativeLoader.js';
import {
  FRESH_HOOK_MIN_BYTES,
  memoryStats,
  releaseBuffer,
  setFreshBufferHook,
  takeBuffer,
} from '../tensor/allocator.js';

const { addon } = loadAddon();
const advise = addon?.adviseHugePages?.bind(addon);
const linux = process.platform === 'linux';

describe.skipIf(!advise)('adviseHugePages', () => {
  it('advises a fresh 16 MiB buffer without touching its contents', () => {
    const buf = new ArrayBuffer(16 << 20);
    const r = advise!(buf);
    expect(typeof r).toBe('boolean');
    if (!linux) expect(r).toBe(false);
    const u = new Uint8Array(buf);
    expect(u.every((x) => x === 0)).toBe(true);
    for (let i = 0; i < u.length; i += 4093) u[i] = i & 255;
    expect(u[4093]).toBe(4093 & 255);
  });

  it('keeps data already written', () => {
    const f = new Float32Array(3 << 20);
    for (let i = 0; i < f.length; i++) f[i] = i * 0.5;
    expect(typeof advise!(f.buffer)).toBe('boolean');
    for (let i = 0; i < f.length; i += 1) if (f[i] !== i * 0.5) throw new Error(`element ${i} changed`);
  });

  it('returns false for buffers holding no whole 2 MiB page', () => {
    expect(advise!(new ArrayBuffer(0))).toBe(false);
    expect(advise!(new ArrayBuffer(4096))).toBe(false);
    expect(advise!(new ArrayBuffer((2 << 20) - 1))).toBe(false);
  });

  it('refuses what is not an ArrayBuffer', () => {
    expect(() => advise!(new Float32Array(4) as unknown as ArrayBuffer)).toThrow('buffer must be an ArrayBuffer');
    expect(() => advise!(null as unknown as ArrayBuffer)).toThrow(TypeError);
  });
});

describe.skipIf(!advise || !linux || process.env.NORMSCOPE_HUGE_PAGES === '0')('the loader installs it', () => {
  it('as the allocator hook, which leaves fresh buffers zeroed', () => {
    const hook = setFreshBufferHook(null);
    try {
      expect(typeof hook).toBe('function');
      let calls = 0;
      setFreshBufferHook((b) => {
        calls++;
        return hook!(b);
      });
      const before = memoryStats().hugePageBuffers;
      const buf = takeBuffer(FRESH_HOOK_MIN_BYTES * 2 + 4 * 1061, true, false);
      expect(calls).toBe(1);
      // Taken or not depends on the kernel; counted only when taken.
      expect(memoryStats().hugePageBuffers - before).toBeLessThanOrEqual(1);
      expect(new Uint8Array(buf).every((x) => x === 0)).toBe(true);
      releaseBuffer(buf);
    } finally {
      setFreshBufferHook(hook);
    }
  });
});
