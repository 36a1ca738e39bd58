/**
 * The autograd engine's buffer handling: a leaf's first gradient is the engine's own buffer only when no
 * one else can see it, and a gradient never aliases a seed, a saved tensor, another leaf's gradient or
 * anything a backward kept. The ops here are written for the test (attachGrad with known backwards), so
 * each case controls exactly which buffers a backward returns; sizes are pooled (allocator.ts).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { allocateUninit } from './dtype.js';
import { POOL_MIN_BYTES, memoryStats } from './allocator.js';
import { scopeDepth, tidy } from './scope.js';
import { attachGrad, Tensor } from './tensor.js';

const N = POOL_MIN_BYTES / 4 + 64; // float32 elements of a pooled size

/** A pooled, scope-released tensor (a kernel output) with values f(i). */
function fresh(f: (i: number) => number): Tensor {
  const t = new Tensor(allocateUninit('float32', N), [N], 'float32');
  const d = t.data as Float32Array;
  for (let i = 0; i < N; i++) d[i] = f(i);
  return t;
}

function leaf(f: (i: number) => number): Tensor {
  const d = new Float32Array(N);
  for (let i = 0; i < N; i++) d[i] = f(i);
  return new Tensor(d, [N], 'float32', true);
}

const vals = (t: Tensor) => Array.from(t.data as Float32Array);
const at = (t: Tensor, i: number) => (t.data as Float32Array)[i]!;

/** y = k·x whose backward returns a fresh buffer k·g (as a kernel's dx does). */
function scale(x: Tensor, k: number): Tensor {
  const xd = x.data as Float32Array;
  return attachGrad(
    fresh((i) => xd[i]! * k),
    { name: 'ScaleBackward', inputs: [x], backward: (g) => [fresh((i) => at(g, i) * k)] },
  );
}

/** y = a + b whose backward hands the incoming gradient itself to both inputs (AddBackward0 does). */
function plus(a: Tensor, b: Tensor): Tensor {
  return attachGrad(
    fresh((i) => at(a, i) + at(b, i)),
    { name: 'PlusBackward', inputs: [a, b], backward: (g) => [g, g] },
  );
}

/** y = x whose backward returns the incoming gradient as a view of the same storage (ViewBackward0). */
function view(x: Tensor): Tensor {
  return attachGrad(new Tensor(x.storage, x.shape, x.dtype), {
    name: 'ViewBackward',
    inputs: [x],
    backward: (g) => [new Tensor(g.storage, g.shape, g.dtype)],
  });
}

/** Scribbles over many same-size pooled buffers (a wrongly shared or released one would change). */
function churn(times = 6): void {
  for (let i = 0; i < times; i++) tidy(() => void fresh(() => -1000 - i));
}

afterEach(() => expect(scopeDepth()).toBe(0));

describe('a leaf’s first gradient', () => {
  it('is the backward’s own fresh buffer when nothing else holds it, and outlives tidy()', () => {
    const x = leaf((i) => i % 7);
    let made: Tensor | null = null;
    const y = attachGrad(
      fresh(() => 0),
      {
        name: 'Probe',
        inputs: [x],
        backward: (g) => [(made = fresh((i) => at(g, i) * 2))],
      },
    );
    const dy = new Tensor(new Float32Array(N).fill(1.5), [N], 'float32');
    tidy(() => y.backward(dy));
    expect(x.grad!.storage).toBe(made!.storage); // adopted, not copied
    churn();
    expect(vals(x.grad!).every((v) => v === 3)).toBe(true);
  });

  it('accumulates in place on the next backward, wherever its buffer came from', () => {
    const x = leaf((i) => i % 5);
    const dy = new Tensor(new Float32Array(N).fill(1), [N], 'float32');
    tidy(() => scale(x, 2).backward(dy));
    const first = x.grad!;
    tidy(() => scale(x, 2).backward(dy));
    expect(x.grad).toBe(first);
    churn();
    expect(vals(x.grad!).every((v) => v === 4)).toBe(true);
  });

  it('never shares the seed: a view of the root or a leaf as the root copies it', () => {
    const x = leaf((i) => i);
    const dy = new Tensor(new Float32Array(N).fill(2), [N], 'float32');
    view(x).backward(dy);
    expect(x.grad!.storage).not.toBe(dy.storage);
    const z = leaf(() => 1);
    z.backward(dy);
    expect(z.grad!.storage).not.toBe(dy.storage);
    (dy.data as Float32Array).fill(-7);
    expect(vals(x.grad!).every((v) => v === 2)).toBe(true);
    expect(vals(z.grad!).every((v) => v === 2)).toBe(true);
  });

  it('never shares a gradient a backward got from elsewhere (made before the pass)', () => {
    const x = leaf(() => 1);
    const kept = fresh(() => 5); // e.g. a saved tensor returned as is
    const y = attachGrad(
      fresh(() => 0),
      { name: 'Kept', inputs: [x], backward: () => [kept] },
    );
    y.backward(new Tensor(new Float32Array(N).fill(1), [N], 'float32'));
    expect(x.grad!.storage).not.toBe(kept.storage);
    (kept.data as Float32Array).fill(0);
    expect(vals(x.grad!).every((v) => v === 5)).toBe(true);
  });

  it('never shares a buffer made during the pass that a second storage also wraps', () => {
    const x = leaf(() => 1);
    let other: Tensor | null = null;
    const y = attachGrad(
      fresh(() => 0),
      {
        name: 'Twice',
        inputs: [x],
        backward: () => {
          const t = fresh(() => 6);
          other = new Tensor(t.data, t.shape, t.dtype); // a second storage over the same buffer
          return [t];
        },
      },
    );
    y.backward(new Tensor(new Float32Array(N).fill(1), [N], 'float32'));
    expect(x.grad!.data.buffer).not.toBe(other!.data.buffer);
    (other!.data as Float32Array).fill(0);
    expect(vals(x.grad!).every((v) => v === 6)).toBe(true);
  });
});

describe('one gradient for several inputs', () => {
  it('two leaves given the same tensor get separate gradients', () => {
    const a = leaf(() => 1);
    const b = leaf(() => 2);
    const dy = new Tensor(new Float32Array(N).fill(1), [N], 'float32');
    tidy(() => scale(plus(a, b), 3).backward(dy)); // the gradient reaching plus is fresh (scale's)
    expect(a.grad!.storage).not.toBe(b.grad!.storage);
    expect(a.grad!.data.buffer).not.toBe(b.grad!.data.buffer);
    churn();
    expect(vals(a.grad!).every((v) => v === 3)).toBe(true);
    (a.grad!.data as Float32Array).fill(100);
    expect(vals(b.grad!).every((v) => v === 3)).toBe(true);
  });

  it('a leaf and a node given the same tensor do not alias, and the node’s later sum is right', () => {
    // z = plus(x, h) with h = scale(x, 2): x gets g directly and 2g through h; h's gradient is g itself.
    const x = leaf(() => 1);
    const h = scale(x, 2);
    const dy = new Tensor(new Float32Array(N).fill(1), [N], 'float32');
    tidy(() => scale(plus(x, h), 5).backward(dy));
    churn();
    expect(vals(x.grad!).every((v) => v === 15)).toBe(true); // 5 + 5·2
  });

  it('a node reached twice with the same tensor sums it correctly (in place or not)', () => {
    // z = plus(h, h), h = scale(x, 3): dz/dx = 2·3 per element.
    const x = leaf(() => 1);
    const dy = new Tensor(new Float32Array(N).fill(1), [N], 'float32');
    tidy(() => {
      const h = scale(x, 3);
      scale(plus(h, h), 1).backward(dy);
    });
    churn();
    expect(vals(x.grad!).every((v) => v === 6)).toBe(true);
    // And when the seed itself is what reaches it twice: the seed must stay as it was.
    const x2 = leaf(() => 1);
    const h2 = scale(x2, 3);
    plus(h2, h2).backward(dy);
    expect(vals(dy).every((v) => v === 1)).toBe(true);
    expect(vals(x2.grad!).every((v) => v === 6)).toBe(true);
  });

  it('three paths into one node, one of them the same tensor as another input’s', () => {
    // w = plus(plus(h, h), x), h = scale(x, 2): dw/dx = 2·2 + 1 = 5; the outer plus hands g to both.
    const x = leaf(() => 1);
    const dy = new Tensor(new Float32Array(N).fill(1), [N], 'float32');
    tidy(() => {
      const h = scale(x, 2);
      scale(plus(plus(h, h), x), 1).backward(dy);
    });
    churn();
    expect(vals(x.grad!).every((v) => v === 5)).toBe(true);
  });
});

describe('intermediate gradients', () => {
  it('go back to the allocator at the end of tidy(), the leaf’s gradient does not', () => {
    const x = leaf(() => 1);
    const dy = new Tensor(new Float32Array(N).fill(1), [N], 'float32');
    const before = memoryStats().releases;
    tidy(() => scale(scale(scale(x, 2), 2), 2).backward(dy));
    // outputs of three ops and two intermediate gradients; x.grad (the third gradient) stays
    expect(memoryStats().releases - before).toBe(5);
    churn();
    expect(vals(x.grad!).every((v) => v === 8)).toBe(true);
  });
});
