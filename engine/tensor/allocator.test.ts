/**
 * The fresh-buffer hook (what engine/backend installs for transparent huge page advice): it sees only
 * large buffers the allocator has just made, never pool hits or small arrays, and cannot fail or change
 * an allocation. Sizes are odd multiples so no other test's cached buffer is reused by accident.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FRESH_HOOK_MIN_BYTES, memoryStats, releaseBuffer, setFreshBufferHook, takeBuffer } from './allocator.js';
import type { FreshBufferHook } from './allocator.js';

let saved: FreshBufferHook | null | undefined;
function install(hook: FreshBufferHook | null): void {
  const prev = setFreshBufferHook(hook);
  if (saved === undefined) saved = prev;
}
afterEach(() => {
  if (saved !== undefined) setFreshBufferHook(saved);
  saved = undefined;
});

describe('fresh-buffer hook', () => {
  it('is called once with each fresh large buffer, before the caller gets it', () => {
    const seen: ArrayBuffer[] = [];
    install((b) => {
      seen.push(b);
    });
    const bytes = FRESH_HOOK_MIN_BYTES + 4 * 1031;
    const misses = memoryStats().poolMisses;
    const buf = takeBuffer(bytes, true, false);
    expect(memoryStats().poolMisses).toBe(misses + 1);
    expect(seen).toEqual([buf]);
    expect(seen[0]).toBe(buf);
    expect(buf.byteLength).toBe(bytes);
    releaseBuffer(buf);
  });

  it('counts the buffers it reports advised in memoryStats().hugePageBuffers', () => {
    let taken = true;
    install(() => taken);
    const before = memoryStats().hugePageBuffers;
    const a = takeBuffer(FRESH_HOOK_MIN_BYTES + 4 * 1063, false, false);
    taken = false;
    const b = takeBuffer(FRESH_HOOK_MIN_BYTES + 4 * 1069, false, false);
    expect(memoryStats().hugePageBuffers).toBe(before + 1);
    releaseBuffer(a);
    releaseBuffer(b);
  });

  it('is not called for pool hits', () => {
    const bytes = FRESH_HOOK_MIN_BYTES + 4 * 1033;
    const first = takeBuffer(bytes, false, false);
    releaseBuffer(first);
    let calls = 0;
    install(() => {
      calls++;
    });
    const hits = memoryStats().poolHits;
    const again = takeBuffer(bytes, true, false);
    expect(memoryStats().poolHits).toBe(hits + 1);
    expect(calls).toBe(0);
    releaseBuffer(again);
  });

  it('is not called for buffers below the threshold, pooled or not', () => {
    let calls = 0;
    install(() => {
      calls++;
    });
    const mid = takeBuffer(FRESH_HOOK_MIN_BYTES - 4 * 1021, false, true);
    const small = takeBuffer(64, true, false);
    expect(calls).toBe(0);
    releaseBuffer(mid);
    expect(small.byteLength).toBe(64);
  });

  it('leaves contents alone: a zeroed allocation is still all zeros after the hook looked at it', () => {
    let sum = -1;
    install((b) => {
      sum = new Uint8Array(b).reduce((a, x) => a + x, 0);
    });
    const buf = takeBuffer(FRESH_HOOK_MIN_BYTES + 4 * 1039, true, false);
    expect(sum).toBe(0);
    expect(new Uint8Array(buf).every((x) => x === 0)).toBe(true);
    releaseBuffer(buf);
  });

  it('cannot fail an allocation: a throwing hook is ignored', () => {
    install(() => {
      throw new Error('advice refused');
    });
    const bytes = FRESH_HOOK_MIN_BYTES + 4 * 1049;
    const buf = takeBuffer(bytes, true, false);
    expect(buf.byteLength).toBe(bytes);
    releaseBuffer(buf);
  });

  it('is off after setFreshBufferHook(null), which returns the hook it replaced', () => {
    let calls = 0;
    const hook: FreshBufferHook = () => {
      calls++;
    };
    install(hook);
    expect(setFreshBufferHook(null)).toBe(hook);
    const buf = takeBuffer(FRESH_HOOK_MIN_BYTES + 4 * 1051, false, false);
    expect(calls).toBe(0);
    releaseBuffer(buf);
  });
});
