/**
 * The only module of engine/ that touches Node's file system (DESIGN.md: Node built-ins only behind
 * engine/io's file adapters). Reading: a FileSource reads windows with positioned reads, so files
 * over 2 GiB never need one big buffer; large windows go through the native addon's parallel reader
 * when it is built (see PARALLEL_READ_MIN). Writing: atomic (temp file in the same folder, fsync, rename),
 * and an existing file is never replaced unless the caller says so.
 */
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { checkWindow, MemorySource, type ByteSink, type ByteSource } from './byteSource.js';
import { CheckpointError, WriteError } from './errors.js';
import { BudgetError, DEFAULT_BUDGETS } from './budgets.js';
import { loadAddon } from '../backend/nativeLoader.js';
import { setInflateRaw } from './zipReader.js';
import { memoryStats, takeBuffer } from '../tensor/allocator.js';

// Deflated zip entries (a checkpoint re-zipped by a tool) inflate through zlib; maxOutputLength stops
// zlib at the declared size, so a lying header costs no more than it declares.
setInflateRaw((data, max) => {
  const out = zlib.inflateRawSync(data, { maxOutputLength: Math.max(1, max) });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
});

/**
 * Files up to this size are read into memory in one go; larger ones are read in windows (one positioned
 * read per storage, when it is first needed). Windows read only what is used, and many storage-sized
 * buffers are cheaper than one huge one: the allocator can reuse their pages, while a single buffer of
 * hundreds of MiB is fresh memory (page faults) every time (see bench/checkpoint.bench.ts).
 */
const WHOLE_FILE_LIMIT = 16 * 1024 * 1024;

/**
 * Windows at least this large are read in parallel pieces by the native addon where it is built (POSIX):
 * the disk and the page faults of the fresh buffer overlap, which loaded a ResNet-50 state dict faster
 * than one read at a time (bench/checkpoint.bench.ts). Smaller windows, windows read into a buffer the
 * host allocator had cached (already mapped: nothing to overlap), and machines without the addon read
 * with fs.readSync.
 */
const PARALLEL_READ_MIN = 4 * 1024 * 1024;

/**
 * Reads up to this many bytes come from Node's Buffer pool (a slice of a shared 8 KiB slab, 8-byte
 * aligned) rather than a fresh ArrayBuffer each; ByteSource.read allows that (readCopy does not).
 */
const SMALL_READ = 1024;

type RangeReader = (fd: number, offset: number, dst: Uint8Array, parts?: number) => number;
let rangeReader: RangeReader | null | undefined;
function parallelReader(): RangeReader | null {
  if (rangeReader === undefined) {
    const addon = process.env.NORMSCOPE_PARALLEL_READ === '0' ? null : loadAddon().addon;
    rangeReader = addon?.readFileRange ? addon.readFileRange.bind(addon) : null;
  }
  return rangeReader;
}

class FileSource implements ByteSource {
  private fd: number | null;
  constructor(
    readonly name: string,
    readonly size: number,
  ) {
    this.fd = fs.openSync(name, 'r');
  }
  read(offset: number, length: number): Uint8Array {
    if (length > SMALL_READ || length === 0) return this.readCopy(offset, length);
    // Zip local headers (one per storage), small storages, format probes: a slice of Node's shared
    // Buffer pool instead of an ArrayBuffer each (an ArrayBuffer costs an allocation and garbage
    // collector work of its own; 320 of them per ResNet-50 load). The slice is this read's alone.
    checkWindow(this, offset, length);
    if (this.fd === null) throw new CheckpointError(`${this.name} is closed`);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, out, done, length - done, offset + done);
      if (n <= 0) throw new CheckpointError(`unexpected end of ${this.name} at byte ${offset + done}`);
      done += n;
    }
    return out;
  }
  readCopy(offset: number, length: number): Uint8Array {
    checkWindow(this, offset, length);
    if (this.fd === null) throw new CheckpointError(`${this.name} is closed`);
    // A window is its own buffer of exactly its length (one storage's bytes: what a tensor owns), taken
    // from the caching host allocator: after the tensors of an earlier load were released (dispose(),
    // as `del` frees in Python), their buffers come back already mapped, and a read costs one copy from
    // the page cache instead of a page fault per 4 KiB (see bench/checkpoint.bench.ts). Every byte is
    // overwritten below before anyone sees the buffer, or the read throws.
    const misses = memoryStats().poolMisses;
    // Load the addon (once) before the first large buffer is made: loading installs the allocator's huge
    // page advice (engine/backend/nativeLoader.ts), which has to come before the buffer's first write.
    if (length >= PARALLEL_READ_MIN) loadAddon();
    const out = new Uint8Array(takeBuffer(length, false, false));
    // Threads pay off by overlapping the page faults of fresh memory; a buffer from the cache has none,
    // and one read copies it with less CPU than several threads.
    const fresh = memoryStats().poolMisses !== misses;
    const parallel = fresh && length >= PARALLEL_READ_MIN ? parallelReader() : null;
    if (parallel) {
      try {
        parallel(this.fd, offset, out);
      } catch (e) {
        throw new CheckpointError(`cannot read ${this.name}: ${(e as Error).message}`);
      }
      return out;
    }
    let done = 0;
    while (done < length) {
      const chunk = Math.min(length - done, 1 << 30);
      const n = fs.readSync(this.fd, out, done, chunk, offset + done);
      if (n <= 0) throw new CheckpointError(`unexpected end of ${this.name} at byte ${offset + done}`);
      done += n;
    }
    return out;
  }
  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

export interface OpenOptions {
  /** 'auto' (default): whole file in memory when small, windows when large. */
  mode?: 'auto' | 'memory' | 'windowed';
}

/** Opens a file for reading as a ByteSource. Throws CheckpointError when it cannot be read. */
export function openFile(file: string, opts: OpenOptions = {}): ByteSource {
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    throw new CheckpointError(`cannot open ${file}: ${(e as Error).message}`);
  }
  if (!st.isFile()) throw new CheckpointError(`${file} is not a regular file`);
  const mode = opts.mode ?? 'auto';
  if (mode === 'memory' || (mode === 'auto' && st.size <= WHOLE_FILE_LIMIT)) {
    const buf = fs.readFileSync(file);
    return new MemorySource(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), file);
  }
  return new FileSource(file, st.size);
}

export function fileSize(file: string): number {
  return fs.statSync(file).size;
}

export function fileExists(file: string): boolean {
  return fs.existsSync(file);
}

/** Removes a file this process wrote (no error when it is already gone). */
export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

export function readTextFile(file: string, maxBytes = 64 * 1024 * 1024): string {
  const st = fs.statSync(file);
  if (st.size > maxBytes) throw new CheckpointError(`${file} is too large (${st.size} bytes) for a text index`);
  return fs.readFileSync(file, 'utf8');
}

export function dirname(file: string): string {
  return path.dirname(file);
}

export function basename(file: string): string {
  return path.basename(file);
}

export function joinPath(...parts: string[]): string {
  return path.join(...parts);
}

/** Whether `file`, with symlinks resolved, lies inside `dir` (resolved too): external data stays in its folder. */
export function isInsideDir(file: string, dir: string): boolean {
  const root = fs.realpathSync(dir);
  const real = fs.realpathSync(file);
  return real.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

export interface WriteOptions {
  /** Replace an existing file at `file` (default false: refuse). */
  overwrite?: boolean;
  /** Most bytes the temp file may receive (BudgetError past it; the temp file is removed). */
  maxTempBytes?: number;
}

/** `.NAME.<pid>.<ms>.tmp`: the temp files writeFileAtomic makes next to their target. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.(\d+)\.tmp$/;

function tempPathFor(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp files of writeFileAtomic's naming pattern in `dir` that no running write owns: their
 * process is gone (killed, crashed), or they carry this process's id but are older than it (the id was
 * reused). A live process's temp file is left alone (another convert may be writing it). Returns the
 * paths removed.
 */
export function removeStaleTempFiles(dir: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return removed;
  }
  const started = Date.now() - process.uptime() * 1000;
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    const stale = pid === process.pid ? Number(m[3]) < started - 1000 : !processAlive(pid);
    if (!stale) continue;
    const file = path.join(dir, name);
    try {
      if (!fs.lstatSync(file).isFile()) continue;
      fs.rmSync(file, { force: true });
      removed.push(file);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

/**
 * A watchdog for a temp file: a small detached process that removes it when this process dies before
 * renaming it (SIGINT, SIGTERM, SIGKILL, out of memory). Signals cannot be handled in JavaScript
 * while a synchronous write runs (the handler would wait for the write to end), so the cleanup lives
 * outside the process; it exits as soon as the temp file is gone (renamed or removed).
 */
// Started before the temp file is created (so no kill can fall between the two): it waits for the file
// to appear, removes it if the writer dies first, and exits once the file has come and gone (or never
// came within a minute: the write was over before the watchdog started).
const WATCHDOG = `const fs=require('fs');const pid=Number(process.argv[1]);const tmp=process.argv[2];let seen=false;
const alive=()=>{try{process.kill(pid,0);return true}catch(e){return e.code==='EPERM'}};
const t0=Date.now();const tick=()=>{const there=fs.existsSync(tmp);if(there)seen=true;else if(seen||Date.now()-t0>60000)process.exit(0);
if(!alive()){try{fs.rmSync(tmp,{force:true})}catch{}process.exit(0)}setTimeout(tick,100)};tick();`;

let guardTemps = false;
/** Turns the temp-file watchdog on (the CLI's convert and migrate; off by default for library use). */
export function setTempFileGuard(on: boolean): void {
  guardTemps = on;
}

/** Starts a watchdog for `tmp` (before it exists); the returned function stops it (the write failed). */
function watchTemp(tmp: string): () => void {
  if (!guardTemps) return () => undefined;
  try {
    const child = spawn(process.execPath, ['-e', WATCHDOG, String(process.pid), tmp], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    });
    child.on('error', () => undefined);
    child.unref();
    return () => {
      child.kill();
    };
  } catch {
    // no watchdog: removeStaleTempFiles cleans up at the next start
    return () => undefined;
  }
}

/** Why the system refused a write, in words, for the codes a person can do something about. */
const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'the folder does not exist',
  ENOTDIR: 'a part of the path is not a folder',
  EFBIG: 'the file is too large for this file system',
  EIO: 'input/output error',
};

/** A system error of a write as a WriteError; anything else (the producer's own errors) unchanged. */
function asWriteError(file: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (typeof code !== 'string' || !(code in WRITE_FAILURES)) return e;
  return new WriteError(
    `cannot write ${file}: ${WRITE_FAILURES[code]} (${code}); nothing was written or replaced`,
    code,
  );
}

/**
 * Writes a file atomically: the producer writes into a temp file next to the target, which is
 * fsynced and renamed over the target only when the producer returns without throwing. On any
 * failure the temp file is removed and the target left as it was; system errors (full disk,
 * read-only folder, …) become WriteErrors that say so.
 */
export function writeFileAtomic(file: string, produce: (sink: ByteSink) => void, opts: WriteOptions = {}): void {
  const target = path.resolve(file);
  if (!opts.overwrite && fs.existsSync(target)) {
    throw new CheckpointError(`${file} already exists (pass overwrite to replace it)`);
  }
  const tmp = tempPathFor(target);
  const maxTemp = opts.maxTempBytes ?? DEFAULT_BUDGETS.maxTempBytes;
  let fd: number | null = null;
  const stopWatch = watchTemp(tmp);
  try {
    fd = fs.openSync(tmp, 'wx');
    let position = 0;
    const out = fd;
    const sink: ByteSink = {
      write(chunk: Uint8Array) {
        if (position + chunk.length > maxTemp) {
          throw new BudgetError('maxTempBytes', maxTemp, `writing ${file} needs more than ${maxTemp} bytes`);
        }
        let done = 0;
        while (done < chunk.length) done += fs.writeSync(out, chunk, done, chunk.length - done);
        position += chunk.length;
      },
      get position() {
        return position;
      },
    };
    produce(sink);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = null;
    fs.renameSync(tmp, target);
  } catch (e) {
    if (fd !== null) {
      try {
        fs.closeSync(fd);
      } catch {
        // the write already failed; that is the error to report
      }
    }
    fs.rmSync(tmp, { force: true });
    stopWatch();
    throw asWriteError(file, e);
  }
}

/** CRC-32 (zip's), through zlib where the runtime has it. */
export const nativeCrc32: ((data: Uint8Array, value?: number) => number) | null =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (data, value) => (zlib as unknown as { crc32(d: Uint8Array, v?: number): number }).crc32(data, value)
    : null;
