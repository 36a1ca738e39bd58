/**
 * The `wasm` backend: the native CPU kernels (native/kernels, the same C++ and C ABI as the addon)
 * compiled to WebAssembly with SIMD128 by tools/build-wasm.mjs into native/wasm/normscope_kernels.wasm,
 * which is committed, so machines that cannot build or load the addon (no compiler, an unknown platform)
 * still run compiled kernels. One thread (the module is built without threads).
 *
 * Loaded synchronously (WebAssembly.Module on the file's bytes: a 70 KB module compiles in a few ms) the
 * first time the registry asks. The module's memory is its own: statistics and forward-train copy
 * their arrays into the linear memory (ns_wasm_alloc), run the kernel, copy results out and free
 * everything at once (ns_wasm_reset); memory grown by a large call is handed back by dropping the
 * instance afterwards. Eval forward and the backward kernels stream instead (WasmKernels.stream): piece
 * by piece through small blocks reused by every piece, which cut their time by a quarter to a half on
 * the larger benchmark shapes (the copies were half of it, and now happen while the data is in cache).
 * The host device's elementwise ops and losses stream the same way (wasmElementwise.ts).
 *
 * Where the module is looked for: $NORMSCOPE_WASM, then native/wasm of the package this file belongs to
 * (walking up from it: sources, dist/ and a packaged app's asar alike, which Electron's fs reads; the
 * module is read as bytes, so it needs no unpacking and the engine no knowledge of Electron's layout).
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
import { wasmElementwise } from './wasmElementwise.js';

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

export class WasmKernels {
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

  /**
   * Runs an elementwise or per-channel-summing kernel over (N, C, S) data piece by piece (see
   * forEachPiece): each piece of the inputs is copied into a small block of linear memory that every
   * piece reuses, the kernel runs on it, and its output piece is copied straight into the caller's
   * array, so the data crosses into the module while it is still in cache and the module's memory stays
   * small whatever the tensor's size. Per-channel inputs are copied in once (pointers offset by the
   * piece's first channel); per-channel `sums` are added up over the pieces.
   */
  stream(
    what: string,
    d: NCS,
    data: { ins: FloatArray[]; outs: FloatArray[] },
    chans: (FloatArray | Float64Array | null)[],
    sums: Float64Array[],
    kernel: (k: Exports, p: StreamPtrs, piece: Piece) => number,
  ): void {
    const f64 = (data.ins[0] ?? data.outs[0]) instanceof Float64Array;
    const elem = f64 ? 8 : 4;
    const total = d.n * d.c * d.s;
    const maxElems = CHUNK_BYTES / elem;
    const pieceBytes = Math.max(0, Math.min(maxElems, total)) * elem;
    const nIn = data.ins.length;
    const nOut = data.outs.length;
    const C = Math.max(0, d.c);
    const blocks: Block[] = [
      ...chans.map(chan),
      ...[...data.ins, ...data.outs].map(() => ({ bytes: pieceBytes, src: null, f64 })),
      ...sums.map(() => chanOut(C)),
    ];
    this.call(
      what,
      blocks,
      (k, ptrs) => {
        const chanPtr = ptrs.slice(0, chans.length);
        const dataPtr = ptrs.slice(chans.length, chans.length + nIn + nOut);
        const sumPtr = ptrs.slice(chans.length + nIn + nOut);
        let buf: ArrayBuffer | null = null;
        let views: FloatArray[] = [];
        let sumViews: Float64Array[] = [];
        return forEachPiece(d, maxElems, (piece) => {
          const len = piece.n * piece.c * piece.s;
          if (k.memory.buffer !== buf) {
            // Growing memory (the kernels' scratch) replaces the buffer and detaches views on the old one.
            buf = k.memory.buffer;
            views = dataPtr.map((p) =>
              f64 ? new Float64Array(buf!, p, pieceBytes / 8) : new Float32Array(buf!, p, pieceBytes / 4),
            );
            sumViews = sumPtr.map((p) => new Float64Array(buf!, p, C));
          }
          for (let i = 0; i < nIn; i++) if (len > 0) views[i]!.set(data.ins[i]!.subarray(piece.off, piece.off + len));
          const off = piece.c0 * 8;
          const rc = kernel(
            k,
            {
              data: dataPtr,
              chans: chanPtr.map((p) => (p ? p + off : 0)),
              sums: sumPtr.map((p) => p + off),
            },
            piece,
          );
          if (rc < 0) return rc;
          if (k.memory.buffer !== buf) {
            buf = k.memory.buffer;
            views = dataPtr.map((p) =>
              f64 ? new Float64Array(buf!, p, pieceBytes / 8) : new Float32Array(buf!, p, pieceBytes / 4),
            );
            sumViews = sumPtr.map((p) => new Float64Array(buf!, p, C));
          }
          for (let o = 0; o < nOut; o++) {
            if (len > 0) data.outs[o]!.set(views[nIn + o]!.subarray(0, len), piece.off);
          }
          for (let j = 0; j < sums.length; j++) {
            const acc = sums[j]!;
            const got = sumViews[j]!;
            for (let ch = piece.c0; ch < piece.c0 + piece.c; ch++) acc[ch]! += got[ch]!;
          }
          return rc;
        });
      },
      () => undefined,
    );
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

/**
 * Bytes of each data array a streamed call keeps in linear memory (a multiple of 64 elements). Each
 * piece repeats the kernel's per-channel setup (O(C)), so pieces hold many rows where rows are short;
 * 16 KiB pieces made (256, 1024) eval 2.5× slower than one call, 256 KiB ran as fast as 1 MiB on the
 * large shapes (measured on the 2-core VM under load, so only the broad shape of it).
 */
const CHUNK_BYTES = 256 * 1024;

/** Pointers a streamed kernel call gets: its data pieces (inputs, then outputs), per-channel arrays. */
interface StreamPtrs {
  data: Ptr[];
  /** Per-channel inputs, offset to the piece's first channel (null stays null). */
  chans: Ptr[];
  /** Per-channel sums of this piece, offset likewise. */
  sums: Ptr[];
}

/** `n`×`c`×`s` elements of an (N, C, S) array from flat offset `off`, whose first channel is `c0`. */
export interface Piece {
  off: number;
  n: number;
  c: number;
  s: number;
  c0: number;
}

/**
 * Calls `fn` on pieces of at most `max` elements (a multiple of 64) covering (N, C, S) in memory order,
 * each one the kernels can run on alone: whole batch rows (a multiple of 8 rows where a piece holds that
 * many: the row plans sum float blocks of 8 rows), else runs of channels of one batch element, else runs
 * of one plane (multiples of 64 elements: the plane plans' float blocks). Elementwise results are the
 * same as in one call; per-channel sums differ only in the order their double partials are added. An
 * empty array is one piece, so the kernel still checks its dimensions. Stops at, and returns, the
 * first negative return code.
 */
export function forEachPiece(d: NCS, max: number, fn: (p: Piece) => number): number {
  const { n, c, s } = d;
  if (!(n * c * s > 0)) return fn({ off: 0, n, c, s, c0: 0 });
  const row = c * s;
  let rc = 0;
  if (row <= max) {
    let r = Math.floor(max / row);
    if (r >= 8) r -= r % 8;
    for (let n0 = 0; n0 < n && rc >= 0; n0 += r) rc = fn({ off: n0 * row, n: Math.min(r, n - n0), c, s, c0: 0 });
  } else if (s <= max) {
    const q = Math.floor(max / s);
    for (let i = 0; i < n && rc >= 0; i++) {
      for (let c0 = 0; c0 < c && rc >= 0; c0 += q)
        rc = fn({ off: i * row + c0 * s, n: 1, c: Math.min(q, c - c0), s, c0 });
    }
  } else {
    for (let i = 0; i < n && rc >= 0; i++) {
      for (let ch = 0; ch < c && rc >= 0; ch++) {
        for (let s0 = 0; s0 < s && rc >= 0; s0 += max) {
          rc = fn({ off: (i * c + ch) * s + s0, n: 1, c: 1, s: Math.min(max, s - s0), c0: ch });
        }
      }
    }
  }
  return rc;
}

function fnOf(k: Exports, name: string): KernelFn {
  return k[name] as KernelFn;
}

/** The Backend over the module's kernels. */
function wasmBackend(w: WasmKernels): Backend {
  return {
    name: 'wasm',
    elementwise: wasmElementwise(w),
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
      const name = `ns_cpu_forward_eval_${suffix(a.x)}`;
      w.stream(
        'forwardEval',
        a.dims,
        { ins: [a.x], outs: [a.y] },
        [a.weight, a.bias, a.mean, a.invstd],
        [],
        (k, p, q) => fnOf(k, name)(p.data[0]!, p.data[1]!, ...big(q), ...(p.chans as [Ptr, Ptr, Ptr, Ptr])),
      );
    },
    backwardReduce(a: BackwardReduceArgs) {
      checkLength('backwardReduce', a.x, a.dims);
      checkArgs('backwardReduce', a.dims, [a.x, a.dy], [['mean', a.mean]]);
      const name = `ns_cpu_backward_reduce_${suffix(a.x)}`;
      const sumDy = new Float64Array(Math.max(0, a.dims.c));
      const sumDyXmu = new Float64Array(Math.max(0, a.dims.c));
      w.stream('backwardReduce', a.dims, { ins: [a.dy, a.x], outs: [] }, [a.mean], [sumDy, sumDyXmu], (k, p, q) =>
        fnOf(k, name)(p.data[0]!, p.data[1]!, ...big(q), p.chans[0]!, p.sums[0]!, p.sums[1]!),
      );
      return { sumDy, sumDyXmu };
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
      const name = `ns_cpu_backward_elemt_${suffix(a.x)}`;
      w.stream(
        'backwardElemt',
        a.dims,
        { ins: [a.dy, a.x], outs: [a.dx] },
        [a.mean, a.invstd, a.weight, a.sumDy, a.sumDyXmu],
        [],
        (k, p, q) => fnOf(k, name)(p.data[0]!, p.data[1]!, p.data[2]!, ...big(q), ...(p.chans as Ptr[]), a.count),
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
      const name = `ns_cpu_backward_eval_elemt_${suffix(a.dy)}`;
      w.stream('backwardEvalElemt', a.dims, { ins: [a.dy], outs: [a.dx] }, [a.invstd, a.weight], [], (k, p, q) =>
        fnOf(k, name)(p.data[0]!, p.data[1]!, ...big(q), p.chans[0]!, p.chans[1]!),
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
