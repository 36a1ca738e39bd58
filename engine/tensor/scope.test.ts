import { afterEach, describe, expect, it } from 'vitest';
import { allocate, allocateUninit } from './dtype.js';
import { emptyCache, memoryStats, POOL_MIN_BYTES, setCacheLimit } from './allocator.js';
import { dispose, keep, scopeDepth, tidy } from './scope.js';
import { Tensor } from './tensor.js';
import { BatchNorm2d } from '../nn/batchnorm.js';
import { LazyBatchNorm2d } from '../nn/lazy.js';
import { SGD } from '../optim/sgd.js';
import { mseLoss } from '../nn/functional/losses.js';
import { noGrad } from './tensor.js';

const N = POOL_MIN_BYTES / 4 + 64; // float32 elements of a pooled size

/** A kernel-output-like tensor (from the pool, released by scopes) filled with v. */
function output(v: number, n = N): Tensor {
  const t = new Tensor(allocateUninit('float32', n), [n], 'float32');
  (t.data as Float32Array).fill(v);
  return t;
}

function allEqual(t: Tensor, v: number): boolean {
  return (t.data as Float32Array).every((x) => x === v);
}

/** Allocates and scribbles over many same-size outputs (each scope hands its buffer to the next). */
function churn(times = 8): void {
  for (let i = 0; i < times; i++) tidy(() => void output(-1000 - i));
}

afterEach(() => expect(scopeDepth()).toBe(0));

describe('tidy', () => {
  it('releases outputs made inside and reuses their buffers', () => {
    const before = memoryStats();
    tidy(() => void output(1));
    const mid = memoryStats();
    expect(mid.releases).toBe(before.releases + 1);
    expect(mid.bytesCached).toBeGreaterThan(0);
    tidy(() => void output(2));
    expect(memoryStats().poolHits).toBeGreaterThan(mid.poolHits);
  });

  it('a kept tensor keeps its values after later allocations of the same size', () => {
    let k!: Tensor;
    tidy(() => {
      k = keep(output(7));
      output(3);
    });
    churn();
    expect(allEqual(k, 7)).toBe(true);
  });

  it('a returned tensor (and a returned view of one) keeps its values', () => {
    const r = tidy(() => {
      output(5);
      return { a: output(4), views: [output(6).reshape([N, 1])] };
    });
    churn();
    expect(allEqual(r.a, 4)).toBe(true);
    expect(allEqual(r.views[0]!, 6)).toBe(true);
  });

  it('a released tensor refuses reads, and an array taken from it is detached', () => {
    let t!: Tensor;
    let arr!: Float32Array;
    tidy(() => {
      t = output(9);
      arr = t.data as Float32Array;
    });
    expect(() => t.data).toThrow(/released \(by tidy\(\) or dispose\(\)\)/);
    expect(() => t.getFlat(0)).toThrow(/released/);
    expect(arr.length).toBe(0); // the buffer moved back to the pool: the old view sees nothing
    churn();
    expect(arr.length).toBe(0);
  });

  it('nested scopes: what the inner returns belongs to the outer', () => {
    let inner!: Tensor;
    tidy(() => {
      inner = tidy(() => output(8));
      churn(2); // nested churn inside the outer scope does not touch it
      expect(allEqual(inner, 8)).toBe(true);
    });
    expect(() => inner.data).toThrow(/released/);
  });

  it('releases what it made when fn throws, and passes the error on', () => {
    let t!: Tensor;
    expect(() =>
      tidy(() => {
        t = output(1);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(t.storage.isReleased).toBe(true);
  });

  it('refuses an async function', () => {
    expect(() => tidy(() => Promise.resolve(1))).toThrow(/synchronous/);
  });

  it('never releases zero-filled allocations, user arrays or small arrays', () => {
    let z!: Tensor, u!: Tensor, s!: Tensor;
    tidy(() => {
      z = new Tensor(allocate('float32', N), [N]);
      u = new Tensor(new Float32Array(N).fill(2), [N]);
      s = output(3, 16);
    });
    churn();
    expect(allEqual(z, 0)).toBe(true);
    expect(allEqual(u, 2)).toBe(true);
    expect(allEqual(s, 3)).toBe(true);
  });

  it('a buffer wrapped by a second storage escapes the scope', () => {
    const p = new Tensor(new Float32Array(N), [N]);
    tidy(() => {
      const o = output(4);
      p.setStorage(o.data, 'float32');
    });
    churn();
    expect(allEqual(p, 4)).toBe(true);
  });

  it('a clone made inside a scope survives it, in a buffer from the cache', () => {
    const src = output(11);
    tidy(() => void output(0)); // one buffer of this size in the cache
    const before = memoryStats().poolHits;
    let c!: Tensor;
    tidy(() => {
      c = src.clone();
    });
    expect(memoryStats().poolHits).toBe(before + 1);
    churn();
    expect(allEqual(c, 11)).toBe(true);
    expect(c.storage).not.toBe(src.storage);
  });

  it('allocate() zero-fills a reused buffer', () => {
    tidy(() => void output(123));
    const a = allocate('float32', N) as Float32Array;
    expect(a.every((v) => v === 0)).toBe(true);
  });
});

describe('tidy around modules', () => {
  const shape = [2, 3, 40, 40]; // 9600 floats: pooled
  function input(seed: number): Tensor {
    const n = shape.reduce((a, b) => a * b);
    const d = new Float32Array(n);
    for (let i = 0; i < n; i++) d[i] = Math.sin(i * 0.37 + seed) * 2 + (i % 7);
    return new Tensor(d, shape, 'float32', true);
  }

  it('a graph returned from tidy still runs backward with the values it would have without tidy', () => {
    const ref = new BatchNorm2d(3);
    const bn = new BatchNorm2d(3);
    const x0 = input(1);
    const x1 = input(1);
    const yRef = ref.forward(ref.forward(x0));
    yRef.backward(yRef);
    const y = tidy(() => bn.forward(bn.forward(x1)));
    churn(); // overwrite anything wrongly released
    y.backward(y);
    expect(Array.from(x1.grad!.data as Float32Array)).toEqual(Array.from(x0.grad!.data as Float32Array));
    expect(Array.from(bn.weight!.grad!.data as Float32Array)).toEqual(
      Array.from(ref.weight!.grad!.data as Float32Array),
    );
  });

  it('a training step in tidy keeps parameters, grads, running stats and lazily made parameters', () => {
    const lazy = new LazyBatchNorm2d();
    const eager = new LazyBatchNorm2d();
    const x = input(2);
    // Reference: the same two steps without tidy.
    for (let s = 0; s < 2; s++) {
      eager.zeroGrad();
      const l = mseLoss(eager.forward(x), new Tensor(new Float32Array(x.numel()), shape));
      l.backward();
      new SGD(eager.parameters(), { lr: 0.1 }).step();
    }
    for (let s = 0; s < 2; s++) {
      const loss = tidy(() => {
        lazy.zeroGrad();
        const l = mseLoss(lazy.forward(x), new Tensor(new Float32Array(x.numel()), shape));
        l.backward();
        new SGD(lazy.parameters(), { lr: 0.1 }).step();
        return l.item();
      });
      expect(Number.isFinite(loss)).toBe(true);
      churn();
    }
    const pick = (m: LazyBatchNorm2d) => [m.weight!, m.bias!, m.weight!.grad!, m.runningMean!, m.runningVar!];
    const a = pick(lazy);
    const b = pick(eager);
    for (let i = 0; i < a.length; i++)
      expect(Array.from(a[i]!.data as Float32Array)).toEqual(Array.from(b[i]!.data as Float32Array));
    const y = noGrad(() => tidy(() => lazy.forward(x)));
    churn();
    expect(y.numel()).toBe(x.numel());
  });

  it('releases the module outputs of a loop, so later iterations reuse them', () => {
    const bn = new BatchNorm2d(3);
    const x = input(3);
    tidy(() => void bn.forward(x)); // warm the cache
    const before = memoryStats();
    for (let i = 0; i < 5; i++) tidy(() => void bn.forward(x));
    const after = memoryStats();
    expect(after.poolHits - before.poolHits).toBeGreaterThanOrEqual(5);
    expect(after.poolMisses).toBe(before.poolMisses);
    expect(after.bytesInUse).toBe(before.bytesInUse);
  });
});

describe('dispose and the cache', () => {
  it('dispose releases tensors in a structure at once', () => {
    const a = output(1);
    const b = output(2);
    dispose({ list: [a], map: new Map([['b', b]]) });
    expect(a.storage.isReleased).toBe(true);
    expect(b.storage.isReleased).toBe(true);
  });

  it('releasing a tensor whose buffer was transferred away caches nothing and does not throw', () => {
    const t = output(1);
    const before = memoryStats().bytesCached;
    structuredClone(t.data.buffer, { transfer: [t.data.buffer as ArrayBuffer] });
    dispose(t);
    expect(t.storage.isReleased).toBe(true);
    expect(memoryStats().bytesCached).toBe(before);
  });

  it('the cache limit drops buffers beyond it, emptyCache drops all, the peak tracks use', () => {
    const prev = setCacheLimit(N * 4); // room for one buffer
    try {
      emptyCache();
      tidy(() => {
        output(1);
        output(2);
        output(3);
      });
      expect(memoryStats().bytesCached).toBe(N * 4);
      emptyCache();
      expect(memoryStats().bytesCached).toBe(0);
      const s = memoryStats();
      expect(s.peakBytesInUse).toBeGreaterThanOrEqual(s.bytesInUse);
    } finally {
      setCacheLimit(prev);
    }
    expect(() => setCacheLimit(-1)).toThrow(/non-negative/);
  });
});
