import { describe, expect, it } from 'vitest';
import { Storage, type DeviceBuffer, type DeviceMemory } from './storage.js';
import { Tensor } from './tensor.js';
import { takeBuffer } from './allocator.js';

/** A device buffer of the test memory: plain bytes. */
function bytesOf(b: DeviceBuffer): Uint8Array {
  return (b as unknown as { bytes: Uint8Array }).bytes;
}

/** A device made of host memory that counts what crosses its boundary. */
class CountingMemory implements DeviceMemory {
  uploads = 0;
  downloads = 0;
  alloc(byteLength: number): DeviceBuffer & { bytes: Uint8Array } {
    return { byteLength, bytes: new Uint8Array(byteLength) };
  }
  upload(dst: DeviceBuffer, src: ArrayBufferView): void {
    this.uploads++;
    bytesOf(dst).set(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  }
  download(src: DeviceBuffer, dst: ArrayBufferView): void {
    this.downloads++;
    new Uint8Array(dst.buffer, dst.byteOffset, dst.byteLength).set(bytesOf(src).subarray(0, dst.byteLength));
  }
  copy(dst: DeviceBuffer, src: DeviceBuffer): void {
    bytesOf(dst).set(bytesOf(src));
  }
}

/** Writes `values` into a device buffer as a kernel would. */
function kernelWrite(buf: DeviceBuffer, values: number[]): void {
  new Float32Array(bytesOf(buf).buffer).set(values);
}

describe('Storage: host, device or both', () => {
  it('uploads a host tensor once and serves later device reads from the device copy', () => {
    const mem = new CountingMemory();
    const t = new Tensor(Float32Array.from([1, 2, 3]), [3]);
    expect(t.storage.isOnDevice).toBe(false);
    const b = t.storage.deviceBuffer(mem);
    expect(t.storage.deviceBuffer(mem)).toBe(b);
    expect(mem.uploads).toBe(1);
    expect(t.storage.isOnDevice).toBe(true);
    // Reading on the host needs no download: both copies are current.
    expect(Array.from(t.hostView() as Float32Array)).toEqual([1, 2, 3]);
    expect(mem.downloads).toBe(0);
  });

  it('downloads a device-written tensor on a host read; hostView keeps the device copy current', () => {
    const mem = new CountingMemory();
    const t = Tensor.onDevice(mem, [2, 2], 'float32');
    kernelWrite(t.storage.deviceBuffer(mem), [4, 3, 2, 1]);
    expect(Array.from(t.hostView() as Float32Array)).toEqual([4, 3, 2, 1]);
    expect(mem.downloads).toBe(1);
    t.storage.deviceBuffer(mem);
    expect(mem.uploads).toBe(0);
    expect(t.toArray()).toEqual([4, 3, 2, 1]); // no second download
    expect(mem.downloads).toBe(1);
  });

  it('re-uploads after `data` hands the host array out for writing, and a kernel write makes the host stale', () => {
    const mem = new CountingMemory();
    const t = new Tensor(Float32Array.from([1, 2]), [2]);
    const b = t.storage.deviceBufferForWrite(mem);
    kernelWrite(b, [5, 6]);
    expect(t.data[0]).toBe(5); // downloads; the host copy is now the current one
    t.data[1] = 9;
    t.storage.deviceBuffer(mem);
    expect(mem.uploads).toBe(2);
    expect(Array.from(new Float32Array(bytesOf(b).buffer))).toEqual([5, 9]);
  });

  it('shares one storage between views, so a device write is seen through every view', () => {
    const mem = new CountingMemory();
    const t = new Tensor(Float32Array.from([1, 2, 3, 4]), [2, 2]);
    const v = t.reshape([4]);
    const d = t.detach();
    kernelWrite(t.storage.deviceBufferForWrite(mem), [8, 7, 6, 5]);
    expect(v.toArray()).toEqual([8, 7, 6, 5]);
    expect(d.toArray()).toEqual([8, 7, 6, 5]);
    expect(mem.downloads).toBe(1);
  });

  it('overwrites without downloading: fill_ and copy_ make the host copy the current one', () => {
    const mem = new CountingMemory();
    const t = Tensor.onDevice(mem, [3], 'float64');
    expect(t.numel()).toBe(3);
    t.fill_(2);
    expect(mem.downloads).toBe(0);
    expect(t.toArray()).toEqual([2, 2, 2]);
    const u = Tensor.onDevice(mem, [3], 'float64');
    u.copy_(t);
    expect(mem.downloads).toBe(0);
    expect(u.toArray()).toEqual([2, 2, 2]);
    expect(t.storage.isOnDevice).toBe(false);
    t.storage.deviceBuffer(mem);
    expect(mem.uploads).toBe(1);
  });

  it('keeps an empty tensor off the bus', () => {
    const mem = new CountingMemory();
    const s = Storage.fromHost(new Float32Array(0), 'float32');
    s.deviceBuffer(mem);
    s.host();
    expect(mem.uploads + mem.downloads).toBe(0);
  });
});

describe('Storage: views over one pooled buffer', () => {
  it('refuses to read or overwrite a view whose buffer another storage released', () => {
    const buf = takeBuffer(1 << 20, true, false);
    const a = Storage.fromHost(new Float32Array(buf, 0, 8), 'float32');
    const b = Storage.fromHost(new Float32Array(buf, 1 << 19, 8), 'float32');
    expect(a.release()).toBe(true);
    expect(() => b.hostView()).toThrow('this tensor was released');
    expect(() => b.hostForOverwrite()).toThrow('this tensor was released');
  });
});
