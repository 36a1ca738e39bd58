/**
 * The autograd engine, apart from the Tensor it differentiates: grad mode (torch.no_grad), the graph
 * nodes ops record (GradFn, attachGrad) and the reverse-mode walk that Tensor.backward() runs. It
 * imports Tensor as a type only, so tensor.ts can depend on it without a cycle.
 */
import type { Tensor } from './tensor.js';
import type { FloatArray } from './dtype.js';
import { deviceFor, type FloatDType } from './device.js';

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
  const bd = b.data as FloatArray;
  for (let i = 0; i < ad.length; i++) ad[i]! += bd[i]!;
}

/**
 * Reverse-mode autograd from `root` with gradient `seed`: walks the graph in reverse topological order
 * and accumulates into `.grad` of leaves that require grad. `leafGrad` makes a leaf's first gradient
 * (a fresh tensor of the leaf's shape, which only tensor.ts constructs).
 */
export function runBackward(root: Tensor, seed: Tensor, leafGrad: (leaf: Tensor, g: Tensor) => Tensor): void {
  // Topological order of graph nodes reachable from root (iterative DFS; graphs can be deep).
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
  const grads = new Map<Tensor, Tensor>();
  grads.set(root, seed);
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k]!;
    const g = grads.get(t);
    if (!g) continue;
    if (!t.gradFn) {
      // A leaf: accumulate like PyTorch (a fresh tensor the first time, then in place).
      if (t.requiresGrad) {
        if (t.grad) accumulateInto(t.grad, g);
        else t.grad = leafGrad(t, g);
      }
      continue;
    }
    const inGrads = noGrad(() => t.gradFn!.backward(g));
    t.gradFn.inputs.forEach((inp, i) => {
      const ig = inGrads[i];
      if (!inp || !ig || !inp.requiresGrad) return;
      const prev = grads.get(inp);
      if (prev) {
        const sum = prev.clone();
        accumulateInto(sum, ig);
        grads.set(inp, sum);
      } else {
        grads.set(inp, ig);
      }
    });
    grads.delete(t);
  }
}
