/**
 * ByteSource: random access to a file's bytes without assuming it fits in memory. Readers ask for
 * windows (offset, length); an in-memory source hands out views, a file source reads just that window.
 * This is what lets a 10 GiB checkpoint be inspected by reading its header and central directory only.
 */
import { CheckpointError } from './errors.js';

export interface ByteSource {
  readonly size: number;
  /** Human name for messages (the path, or '<memory>'). */
  readonly name: string;
  /**
   * `length` bytes at `offset`. May be a view into shared memory: callers must not write to it.
   * Throws CheckpointError when the window lies outside the source.
   */
  read(offset: number, length: number): Uint8Array;
  /** Like read, but always a fresh copy whose ArrayBuffer starts at byteOffset 0 (aligned for typed arrays). */
  readCopy(offset: number, length: number): Uint8Array;
  close(): void;
}

export function checkWindow(src: { size: number; name: string }, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new CheckpointError(`invalid read window (${offset}, ${length}) in ${src.name}`);
  }
  if (offset + length > src.size) {
    throw new CheckpointError(
      `read of ${length} bytes at offset ${offset} runs past the end of ${src.name} (${src.size} bytes)`,
    );
  }
}

export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(
    readonly bytes: Uint8Array,
    readonly name = '<memory>',
  ) {
    this.size = bytes.length;
  }
  read(offset: number, length: number): Uint8Array {
    checkWindow(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  readCopy(offset: number, length: number): Uint8Array {
    checkWindow(this, offset, length);
    return this.bytes.slice(offset, offset + length);
  }
  close(): void {}
}

/** A sink that receives the bytes of a file being written, in order. */
export interface ByteSink {
  write(chunk: Uint8Array): void;
  readonly position: number;
}

/** Collects a file's bytes in memory (for tests and for the browser, where there is no file system). */
export function memorySink(): ByteSink & { bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  let position = 0;
  return {
    write(chunk: Uint8Array) {
      chunks.push(chunk.slice());
      position += chunk.length;
    },
    get position() {
      return position;
    },
    bytes() {
      const out = new Uint8Array(position);
      let o = 0;
      for (const c of chunks) {
        out.set(c, o);
        o += c.length;
      }
      return out;
    },
  };
}
