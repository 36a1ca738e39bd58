/**
 * The `wasm` backend: the native CPU kernels (native/kernels, the same C++ and C ABI as the addon)
 * compiled to WebAssembly with SIMD128 by tools/build-wasm.mjs into native/wasm/normscope_kernels.wasm,
 * which is committed, so machines that cannot build or load the addon (no compiler, an unknown platform)
 * still run compiled kernels. One thread (the module is built without threads).
 *
 * Loaded synchronously (WebAssembly.Module on the file's bytes: a 70 KB module compiles in a few ms) the
 * first time the registry asks. The module's memory is its own: each call copies its arrays into the
 * linear memory (ns_wasm_alloc), runs the kernel, copies results out and frees everything at once
 * (ns_wasm_reset). Memory grown by a large call is handed back by dropping the instance afterwards.
 *
 * Where the module is looked for: $NORMSCOPE_WASM, Electron's resources (app.asar.unpacked, app.asar),
 * then native/wasm of the package this file belongs to (walking up from it: sources and dist/ alike).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  Backend,
  BackwardElemtArgs,
  BackwardReduceArgs,
  BatchStats,
  EvalBackwardArgs,
  ForwardEvalArgs,
  ForwardTrainArgs,
  GatheredStats,
  NCS,
} from './backend.js';
import { unavailableSlot, type BackendSlot } from './backendSlot.js';
import { checkArgs, checkLength } from './kernelArgs.js';
import type { FloatArray } from '../tensor/dtype.js';
import { RuntimeError } from '../errors.js';

export type WasmBackendSlot = BackendSlot;

const WASM_REL = join('native', 'wasm', 'normscope_kernels.wasm');
/** A call's arrays must fit the 4 GiB address space of wasm32 with room for the stack and scratch. */
const MAX_CALL_BYTES = 3.5 * 2 ** 30;
/** After a call that grew memory past this, the instance is dropped so the memory goes back. */
const KEEP_MEMORY_BYTES = 512 * 2 ** 20;

/** The slice of the WebAssembly JS API used here (the project's TypeScript libs do not declare it). */
interface WasmModule {
  readonly kind: 'module';
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: unknown };
  RuntimeError: new (message?: string) => Error;
}
const WA = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

type Ptr = number;
type I64 = bigint;
/** The module's exports (native/kernels/normscope_kernels.h, native/wasm/runtime.cc). */
interface Exports {
  memory: { readonly buffer: ArrayBuffer };
  ns_wasm_alloc(bytes: number): Ptr;
  ns_wasm_reset(): void;
  ns_last_error(): Ptr;
  [kernel: string]: unknown;
}
type KernelFn = (...args: (number | bigint)[]) => number;

/** Candidate module paths, most specific first. */
export function wasmCandidates(): string[] {
  const out: string[] = [];
  const env = globalThis.process?.env?.NORMSCOPE_WASM;
  if (env) out.push(env);
  const resources = (globalThis.process as { resourcesPath?: string } | undefined)?.resourcesPath;
  if (resources) out.push(join(resources, 'app.asar.unpacked', WASM_REL), join(resources, 'app.asar', WASM_REL));
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const p = join(dir, WASM_REL);
    if (existsSync(p)) {
      out.push(p);
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return out;
}

/** One array to place in linear memory: copied in from `src` (when given), `bytes` long. */
interface Block {
  bytes: number;
  src: FloatArray | Float64Array | null;
  /** Element type in the module: data arrays keep theirs, per-channel values are doubles. */
  f64: boolean;
}

class WasmKernels {
  private inst: Exports | null = null;

  constructor(private readonly module: WasmModule) {}

  private exports(): Exports {
    this.inst ??= new WA!.Instance(this.module, {}).exports as Exports;
    return this.inst;
  }

  /**
   * Places `blocks` in linear memory (null src and zero bytes → null pointer), runs `fn` on their
   * pointers, lets `after` copy results out, and frees everything.
   */
  call<T>(
    what: string,
    blocks: Block[],
    fn: (k: Exports, p: Ptr[]) => number,
    after: (view: (i: number) => FloatArray) => T,
  ): T {
    let total = 0;
    for (const b of blocks) total += b.bytes;
    if (total > MAX_CALL_BYTES) {
      throw new RuntimeError(
        `${what}: ${total} bytes do not fit the WebAssembly kernels' 4 GiB memory (use the cpu backend)`,
      );
    }
    const k = this.exports();
    try {
      const ptrs = blocks.map((b) => (b.bytes === 0 && !b.src ? 0 : k.ns_wasm_alloc(b.bytes)));
      if (ptrs.some((p, i) => p === 0 && blocks[i]!.bytes > 0)) {
        throw new RuntimeError(`${what}: the WebAssembly kernels could not grow their memory to ${total} bytes`);
      }
      const buf = k.memory.buffer; // after every allocation: growing memory replaces the buffer
      const view = (i: number): FloatArray => {
        const b = blocks[i]!;
        return b.f64 || b.src instanceof Float64Array
          ? new Float64Array(buf, ptrs[i], b.bytes / 8)
          : new Float32Array(buf, ptrs[i], b.bytes / 4);
      };
      blocks.forEach((b, i) => {
        if (b.src && b.bytes > 0) view(i).set(b.src);
      });
      const rc = fn(k, ptrs);
      if (rc < 0) throw new RuntimeError(`${what}: ${this.lastError(k) || `error ${rc}`}`);
      const mem = k.memory.buffer;
      return after((i) => {
        const b = blocks[i]!;
        return b.f64 || b.src instanceof Float64Array
          ? new Float64Array(mem, ptrs[i], b.bytes / 8)
          : new Float32Array(mem, ptrs[i], b.bytes / 4);
      });
    } catch (e) {
      if (e instanceof WA!.RuntimeError) {
        this.inst = null; // a trap leaves the instance's heap in an unknown state
        throw new RuntimeError(`${what}: the WebAssembly kernels ran out of memory (${(e as Error).message})`);
      }
      throw e;
    } finally {
      if (this.inst) {
        this.inst.ns_wasm_reset();
        if (this.inst.memory.buffer.byteLength > KEEP_MEMORY_BYTES) this.inst = null;
      }
    }
  }

  private lastError(k: Exports): string {
    const p = k.ns_last_error();
    const bytes = new Uint8Array(k.memory.buffer, p, 512);
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(bytes.subarray(0, end < 0 ? 512 : end));
  }
}

const data = (a: FloatArray, src = true): Block => ({
  bytes: a.byteLength,
  src: src ? a : null,
  f64: a instanceof Float64Array,
});
const dataOut = (a: FloatArray): Block => ({ bytes: a.byteLength, src: null, f64: a instanceof Float64Array });
const chan = (a: FloatArray | Float64Array | null): Block => ({ bytes: a ? a.length * 8 : 0, src: a, f64: true });
const chanOut = (c: number): Block => ({ bytes: c * 8, src: null, f64: true });
const suffix = (x: FloatArray) => (x instanceof Float64Array ? 'f64' : 'f32');
const big = (d: NCS): [I64, I64, I64] => [BigInt(d.n), BigInt(d.c), BigInt(d.s)];

function fnOf(k: Exports, name: string): KernelFn {
  return k[name] as KernelFn;
}

/** The Backend over the module's kernels. */
function wasmBackend(w: WasmKernels): Backend {
  return {
    name: 'wasm',
    batchStats(x: FloatArray, dims: NCS): BatchStats {
      checkLength('batchStats', x, dims);
      const [n, c, s] = big(dims);
      return w.call(
        'batchStats',
        [data(x), chanOut(dims.c), chanOut(dims.c)],
        (k, p) => fnOf(k, `ns_cpu_batch_stats_${suffix(x)}`)(p[0]!, n, c, s, p[1]!, p[2]!),
        (v) => ({ mean: Float64Array.from(v(1)), varBiased: Float64Array.from(v(2)), count: dims.n * dims.s }),
      );
    },
    forwardTrain(a: ForwardTrainArgs) {
      checkLength('forwardTrain', a.x, a.dims);
      checkArgs(
        'forwardTrain',
        a.dims,
        [a.x, a.y],
        [
          ['weight', a.weight],
          ['bias', a.bias],
          ['runningMean', a.runningMean],
          ['runningVar', a.runningVar],
        ],
      );
      const [n, c, s] = big(a.dims);
      const C = a.dims.c;
      return w.call(
        'forwardTrain',
        [
          data(a.x),
          dataOut(a.y),
          chan(a.weight),
          chan(a.bias),
          chan(a.runningMean),
          chan(a.runningVar),
          chanOut(C),
          chanOut(C),
        ],
        (k, p) =>
          fnOf(k, `ns_cpu_forward_train_${suffix(a.x)}`)(
            p[0]!,
            p[1]!,
            n,
            c,
            s,
            p[2]!,
            p[3]!,
            p[4]!,
            p[5]!,
            a.momentum,
            a.eps,
            p[6]!,
            p[7]!,
          ),
        (v) => {
          a.y.set(v(1));
          if (a.runningMean) a.runningMean.set(v(4));
          if (a.runningVar) a.runningVar.set(v(5));
          return { mean: Float64Array.from(v(6)), invstd: Float64Array.from(v(7)) };
        },
      );
    },
    forwardEval(a: ForwardEvalArgs): void {
      checkLength('forwardEval', a.x, a.dims);
      checkArgs(
        'forwardEval',
        a.dims,
        [a.x, a.y],
        [
          ['weight', a.weight],
          ['bias', a.bias],
          ['mean', a.mean],
          ['invstd', a.invstd],
        ],
      );
      const [n, c, s] = big(a.dims);
      w.call(
        'forwardEval',
        [data(a.x), dataOut(a.y), chan(a.weight), chan(a.bias), chan(a.mean), chan(a.invstd)],
        (k, p) => fnOf(k, `ns_cpu_forward_eval_${suffix(a.x)}`)(p[0]!, p[1]!, n, c, s, p[2]!, p[3]!, p[4]!, p[5]!),
        (v) => a.y.set(v(1)),
      );
    },
    backwardReduce(a: BackwardReduceArgs) {
      checkLength('backwardReduce', a.x, a.dims);
      checkArgs('backwardReduce', a.dims, [a.x, a.dy], [['mean', a.mean]]);
      const [n, c, s] = big(a.dims);
      return w.call(
        'backwardReduce',
        [data(a.dy), data(a.x), chan(a.mean), chanOut(a.dims.c), chanOut(a.dims.c)],
        (k, p) => fnOf(k, `ns_cpu_backward_reduce_${suffix(a.x)}`)(p[0]!, p[1]!, n, c, s, p[2]!, p[3]!, p[4]!),
        (v) => ({ sumDy: Float64Array.from(v(3)), sumDyXmu: Float64Array.from(v(4)) }),
      );
    },
    backwardElemt(a: BackwardElemtArgs): void {
      checkLength('backwardElemt', a.x, a.dims);
      checkArgs(
        'backwardElemt',
        a.dims,
        [a.x, a.dy, a.dx],
        [
          ['mean', a.mean],
          ['invstd', a.invstd],
          ['weight', a.weight],
          ['sumDy', a.sumDy],
          ['sumDyXmu', a.sumDyXmu],
        ],
      );
      const [n, c, s] = big(a.dims);
      w.call(
        'backwardElemt',
        [
          data(a.dy),
          data(a.x),
          dataOut(a.dx),
          chan(a.mean),
          chan(a.invstd),
          chan(a.weight),
          chan(a.sumDy),
          chan(a.sumDyXmu),
        ],
        (k, p) =>
          fnOf(k, `ns_cpu_backward_elemt_${suffix(a.x)}`)(
            p[0]!,
            p[1]!,
            p[2]!,
            n,
            c,
            s,
            p[3]!,
            p[4]!,
            p[5]!,
            p[6]!,
            p[7]!,
            a.count,
          ),
        (v) => a.dx.set(v(2)),
      );
    },
    backwardEvalElemt(a: EvalBackwardArgs): void {
      checkLength('backwardEvalElemt', a.dy, a.dims);
      checkArgs(
        'backwardEvalElemt',
        a.dims,
        [a.dy, a.dx],
        [
          ['invstd', a.invstd],
          ['weight', a.weight],
        ],
      );
      const [n, c, s] = big(a.dims);
      w.call(
        'backwardEvalElemt',
        [data(a.dy), dataOut(a.dx), chan(a.invstd), chan(a.weight)],
        (k, p) => fnOf(k, `ns_cpu_backward_eval_elemt_${suffix(a.dy)}`)(p[0]!, p[1]!, n, c, s, p[2]!, p[3]!),
        (v) => a.dx.set(v(1)),
      );
    },
    gatherStatsWithCounts(gathered: Float64Array, worldSize: number, c: number, eps: number): GatheredStats {
      if (worldSize > 0 && c >= 0 && gathered.length < worldSize * (2 * c + 1)) {
        throw new RuntimeError('gatherStatsWithCounts: gathered is shorter than worldSize*(2c+1)');
      }
      const C = Math.max(0, c); // a negative count reaches the kernel, which names it
      return w.call(
        'gatherStatsWithCounts',
        [chan(gathered), chanOut(C), chanOut(C), chanOut(C), chanOut(1)],
        (k, p) =>
          fnOf(k, 'ns_gather_stats_with_counts')(p[0]!, BigInt(worldSize), BigInt(c), eps, p[1]!, p[2]!, p[3]!, p[4]!),
        (v) => ({
          mean: Float64Array.from(v(1)),
          invstd: Float64Array.from(v(2)),
          varBiased: Float64Array.from(v(3)),
          count: v(4)[0]!,
        }),
      );
    },
  };
}

/** Compiles and instantiates the module; the backend, or why there is none. */
export function loadWasmBackend(): WasmBackendSlot {
  if (!WA) return unavailableSlot('wasm', 'WebAssembly is not available in this runtime');
  const path = wasmCandidates().find((p) => existsSync(p));
  if (!path) return unavailableSlot('wasm', 'WebAssembly kernels not built (run `node tools/build-wasm.mjs`)');
  let kernels: WasmKernels;
  try {
    const module = new WA.Module(readFileSync(path));
    kernels = new WasmKernels(module);
    new WA.Instance(module, {}); // fails here, not at the first kernel call, when it cannot run
  } catch (e) {
    return unavailableSlot('wasm', `WebAssembly kernels failed to load from ${path}: ${(e as Error).message}`);
  }
  return {
    backend: wasmBackend(kernels),
    reason: null,
    status: { name: 'wasm', available: true, reason: null, threads: 1, device: 'WebAssembly SIMD128, one thread' },
  };
}
