/**
 * The autograd engine, apart from the Tensor it differentiates: grad mode (torch.no_grad), the graph
 * nodes ops record (GradFn, attachGrad) and the reverse-mode walk that Tensor.backward() runs. It
 * imports Tensor as a type only, so tensor.ts can depend on it without a cycle.
 */
import type { Tensor } from './tensor.js';
import type { Storage } from './storage.js';
import type { FloatArray } from './dtype.js';
import { deviceFor, type FloatDType } from './device.js';
import { bornExclusive, escapeScopes, trackBirths } from './scope.js';

/** A node of the autograd graph: maps the gradient of its output to gradients of its inputs. */
export interface GradFn {
  readonly name: string;
  /** The tensors this op consumed (null where an input needs no gradient). */
  readonly inputs: readonly (Tensor | null)[];
  /** Gradients for each input (null where none flows), given the gradient of the output. */
  backward(gradOutput: Tensor): (Tensor | null)[];
}

let gradEnabled = true;

/** Runs `fn` without recording autograd history (PyTorch's `torch.no_grad()`). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Records `fn` as the producer of `out` when any input requires grad and grad mode is on. */
export function attachGrad(out: Tensor, fn: GradFn): Tensor {
  if (!gradEnabled) return out;
  if (!fn.inputs.some((t) => t !== null && t.requiresGrad)) return out;
  out.gradFn = fn;
  out.requiresGrad = true;
  return out;
}

/** Adds `b` into `a` elementwise in place (gradient accumulation), on the device when either is there. */
function accumulateInto(a: Tensor, b: Tensor): void {
  const dev = a.storage.isOnDevice || b.storage.isOnDevice ? deviceFor(a, b) : null;
  if (dev) {
    const out = a.storage.deviceBufferForWrite(dev);
    dev.add(a.dtype as FloatDType, out, b.storage.deviceBuffer(dev), out, a.numel());
    return;
  }
  const ad = a.data as FloatArray;
  const bd = b.hostView() as FloatArray;
  for (let i = 0; i < ad.length; i++) ad[i]! += bd[i]!;
}

/** What the engine needs made that only tensor.ts can construct. */
export interface GradMaker {
  /** A leaf's first gradient: `g`'s own storage when `owned` (no one else holds it), else a copy. */
  leafGrad(leaf: Tensor, g: Tensor, owned: boolean): Tensor;
  /** A tensor like `like` (shape, dtype) with unspecified values, from the allocator, released by scopes. */
  fresh(like: Tensor): Tensor;
}

/** a + b into a new tensor: one pass into a pooled buffer on the host, a copy and an add on the device. */
function sumOf(a: Tensor, b: Tensor, make: GradMaker): Tensor {
  if (a.storage.isOnDevice || b.storage.isOnDevice) {
    const out = a.clone();
    accumulateInto(out, b);
    return out;
  }
  const out = make.fresh(a);
  const od = out.data as FloatArray;
  const ad = a.hostView() as FloatArray;
  const bd = b.hostView() as FloatArray;
  for (let i = 0; i < od.length; i++) od[i] = ad[i]! + bd[i]!;
  return out;
}

/** Reverse topological order of the graph nodes reachable from root (iterative DFS; graphs can be deep). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, idx] = top;
    const inputs = t.gradFn ? t.gradFn.inputs : [];
    if (idx < inputs.length) {
      top[1]++;
      const child = inputs[idx];
      if (child && child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push([child, 0]);
      }
    } else {
      order.push(t);
      stack.pop();
    }
  }
  return order;
}

/**
 * Reverse-mode autograd from `root` with gradient `seed`: walks the graph in reverse topological order
 * and accumulates into `.grad` of leaves that require grad.
 *
 * Buffers, as PyTorch's engine handles them: a gradient the engine owns outright is used in place of a
 * copy. Owned means born during this pass in a pooled kernel-output buffer that no other storage wraps
 * (scope.ts's `bornExclusive`: never the seed, a saved tensor or anything the caller made) and held by
 * exactly one of the engine's references (`refs`: pending gradients, including the ones a backward just
 * returned — `AddBackward0` hands the same tensor to both inputs). Such a gradient becomes a leaf's first
 * `.grad` itself (PyTorch's AccumulateGrad steals the buffer when its use count is 1) and taken out of
 * the enclosing tidy()'s reach; a second gradient for a non-leaf is added into an owned first one in place.
 * Everything else is copied, so a `.grad` never shares memory with a tensor anyone else can see.
 */
export function runBackward(root: Tensor, seed: Tensor, make: GradMaker): void {
  const order = topoOrder(root);
  trackBirths(() => walk(order, root, seed, make));
}

function walk(order: Tensor[], root: Tensor, seed: Tensor, make: GradMaker): void {
  const grads = new Map<Tensor, Tensor>();
  const refs = new Map<Storage, number>();
  const hold = (g: Tensor) => refs.set(g.storage, (refs.get(g.storage) ?? 0) + 1);
  const drop = (g: Tensor) => refs.set(g.storage, (refs.get(g.storage) ?? 1) - 1);
  /** True when the engine may write into (or hand out) g's storage: `allowed` references and born here. */
  const owned = (g: Tensor, allowed: number) =>
    (refs.get(g.storage) ?? 0) <= allowed &&
    !g.storage.isOnDevice &&
    bornExclusive(g.storage, g.storage.hostView().buffer);
  grads.set(root, seed);
  hold(seed);
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k]!;
    const g = grads.get(t);
    if (!g) continue;
    grads.delete(t);
    if (!t.gradFn) {
      // A leaf: accumulate like PyTorch (the gradient itself or a copy the first time, then in place).
      if (t.requiresGrad) {
        if (t.grad) {
          accumulateInto(t.grad, g);
        } else if (g.dtype === t.dtype && owned(g, 1)) {
          t.grad = make.leafGrad(t, g, true);
          escapeScopes(g.storage.hostView().buffer);
          refs.set(g.storage, Infinity); // the leaf's now: never written or handed out again
          continue;
        } else {
          t.grad = make.leafGrad(t, g, false);
        }
      }
      drop(g);
      continue;
    }
    const fn = t.gradFn;
    const inGrads = noGrad(() => fn.backward(g));
    const flowing: [Tensor, Tensor][] = [];
    fn.inputs.forEach((inp, i) => {
      const ig = inGrads[i];
      if (inp && ig && inp.requiresGrad) flowing.push([inp, ig]);
    });
    // Count every returned gradient before using any: two of them may share one storage.
    for (const [, ig] of flowing) hold(ig);
    drop(g);
    for (const [inp, ig] of flowing) {
      const prev = grads.get(inp);
      if (!prev) {
        grads.set(inp, ig); // the reference moves into the map
      } else if (owned(prev, prev.storage === ig.storage ? 2 : 1)) {
        accumulateInto(prev, ig);
        drop(ig);
      } else {
        const sum = sumOf(prev, ig, make);
        drop(prev);
        drop(ig);
        grads.set(inp, sum);
        hold(sum);
      }
    }
  }
}
