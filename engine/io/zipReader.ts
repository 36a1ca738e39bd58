/**
 * Reads the central directory of a zip archive (including Zip64) from a ByteSource, without reading
 * entry data. Stored entries (what torch.save writes) are a window of the file; deflated ones (a
 * checkpoint re-zipped by a tool, which torch.load reads too) are inflated, bounded by the declared
 * size and MAX_INFLATE_RATIO and checked against their CRC-32. Every declared offset and size is
 * checked against the file size, and the entry count is bounded.
 */
import type { ByteSource } from './byteSource.js';
import type { Meter } from './budgets.js';
import { crc32 } from './crc32.js';
import { TorchZipError } from './errors.js';

/** Raw-deflate inflater, plugged in by the Node file adapter (node:zlib); absent in a browser. */
export type InflateRaw = (data: Uint8Array, maxOutputLength: number) => Uint8Array;
let inflateRaw: InflateRaw | null = null;
export function setInflateRaw(fn: InflateRaw | null): void {
  inflateRaw = fn;
}

/**
 * A deflated entry may declare at most this many bytes per compressed byte. Deflate's own limit is
 * about 1032:1 (all-zero data); real tensors compress far less, so this stops a tiny entry that
 * declares gigabytes before anything is inflated.
 */
export const MAX_INFLATE_RATIO = 1032;

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export interface ZipDirectory {
  entries: Map<string, ZipEntry>;
  zip64: boolean;
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

export const MAX_ZIP_ENTRIES = 1_000_000;

function u64(dv: DataView, o: number): number {
  const v = dv.getBigUint64(o, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new TorchZipError(`zip field value ${v} is too large`);
  return Number(v);
}

export function readZipDirectory(src: ByteSource, maxEntries = MAX_ZIP_ENTRIES): ZipDirectory {
  const size = src.size;
  if (size < 22) throw new TorchZipError(`${src.name} is too small to be a zip archive (${size} bytes)`);
  const tailLen = Math.min(size, 22 + 65535);
  const tail = src.read(size - tailLen, tailLen);
  const tdv = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tdv.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new TorchZipError(`${src.name}: zip end-of-central-directory record not found`);
  let count = tdv.getUint16(eocd + 10, true);
  let cdSize = tdv.getUint32(eocd + 12, true);
  let cdOffset = tdv.getUint32(eocd + 16, true);
  const eocdAbs = size - tailLen + eocd;
  let zip64 = false;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    if (eocdAbs < 20) throw new TorchZipError('Zip64 locator missing');
    const loc = src.read(eocdAbs - 20, 20);
    const ldv = new DataView(loc.buffer, loc.byteOffset, 20);
    if (ldv.getUint32(0, true) !== ZIP64_LOCATOR) throw new TorchZipError('Zip64 locator missing');
    const recOffset = u64(ldv, 8);
    if (recOffset + 56 > size) throw new TorchZipError(`Zip64 record offset ${recOffset} is outside the file`);
    const rec = src.read(recOffset, 56);
    const rdv = new DataView(rec.buffer, rec.byteOffset, 56);
    if (rdv.getUint32(0, true) !== ZIP64_EOCD) throw new TorchZipError('Zip64 end record has a bad signature');
    count = u64(rdv, 32);
    cdSize = u64(rdv, 40);
    cdOffset = u64(rdv, 48);
    zip64 = true;
  }
  if (count > maxEntries) throw new TorchZipError(`zip declares ${count} entries (limit ${maxEntries})`);
  if (cdOffset + cdSize > size) {
    throw new TorchZipError(
      `zip central directory (${cdSize} bytes at ${cdOffset}) lies outside the file (${size} bytes)`,
    );
  }
  if (count * 46 > cdSize)
    throw new TorchZipError(`zip declares ${count} entries but the directory holds ${cdSize} bytes`);
  const cd = src.read(cdOffset, cdSize);
  const dv = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const dec = new TextDecoder('utf-8');
  const entries = new Map<string, ZipEntry>();
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cdSize || dv.getUint32(p, true) !== CENTRAL) {
      throw new TorchZipError(`zip central directory entry ${i} is malformed`);
    }
    const method = dv.getUint16(p + 10, true);
    const crc = dv.getUint32(p + 16, true);
    let compressedSize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nameLen = dv.getUint16(p + 28, true);
    const extraLen = dv.getUint16(p + 30, true);
    const commentLen = dv.getUint16(p + 32, true);
    let localHeaderOffset = dv.getUint32(p + 42, true);
    if (p + 46 + nameLen + extraLen + commentLen > cdSize)
      throw new TorchZipError(`zip entry ${i} overruns the directory`);
    const name = dec.decode(cd.subarray(p + 46, p + 46 + nameLen));
    // Zip64 extended information: the 0xffffffff fields, in order, as 64-bit values.
    let e = p + 46 + nameLen;
    const eEnd = e + extraLen;
    while (e + 4 <= eEnd) {
      const id = dv.getUint16(e, true);
      const len = dv.getUint16(e + 2, true);
      if (e + 4 + len > eEnd) throw new TorchZipError(`zip entry ${name} has a malformed extra field`);
      if (id === 0x0001) {
        let q = e + 4;
        const take = () => {
          if (q + 8 > e + 4 + len) throw new TorchZipError(`zip entry ${name} has a short Zip64 field`);
          const v = u64(dv, q);
          q += 8;
          return v;
        };
        if (usize === 0xffffffff) usize = take();
        if (compressedSize === 0xffffffff) compressedSize = take();
        if (localHeaderOffset === 0xffffffff) localHeaderOffset = take();
        zip64 = true;
      }
      e += 4 + len;
    }
    if (localHeaderOffset + 30 > size || localHeaderOffset + compressedSize > size) {
      throw new TorchZipError(
        `zip entry ${name} points outside the file (offset ${localHeaderOffset}, ${compressedSize} bytes)`,
      );
    }
    entries.set(name, { name, method, crc, compressedSize, size: usize, localHeaderOffset });
    p += 46 + nameLen + extraLen + commentLen;
  }
  return { entries, zip64 };
}

/** Offset of an entry's data (after its local header), checked to lie inside the file. */
export function entryDataOffset(src: ByteSource, entry: ZipEntry): number {
  const h = src.read(entry.localHeaderOffset, 30);
  const dv = new DataView(h.buffer, h.byteOffset, 30);
  if (dv.getUint32(0, true) !== LOCAL) throw new TorchZipError(`zip entry ${entry.name}: bad local header`);
  const start = entry.localHeaderOffset + 30 + dv.getUint16(26, true) + dv.getUint16(28, true);
  if (entry.method !== 0 && entry.method !== 8) {
    throw new TorchZipError(
      `zip entry ${entry.name} uses compression method ${entry.method} (only stored and deflated entries can be read)`,
    );
  }
  if (entry.method === 0 && entry.compressedSize !== entry.size)
    throw new TorchZipError(`zip entry ${entry.name}: stored sizes disagree`);
  if (start + entry.compressedSize > src.size) {
    throw new TorchZipError(
      `zip entry ${entry.name} (${entry.compressedSize} bytes at ${start}) runs past the end of the file`,
    );
  }
  return start;
}

/**
 * An entry's bytes: a window of the file when stored, inflated when deflated (bounded by the declared
 * size, MAX_INFLATE_RATIO, and the meter's byte budget, since the inflated copy is not in the file).
 * With `prefix`, a stored entry is read only that far; a deflated one is inflated whole (to check its CRC).
 */
export function readEntry(src: ByteSource, entry: ZipEntry, meter?: Meter, prefix?: number): Uint8Array {
  const start = entryDataOffset(src, entry);
  // A stored entry's first `prefix` bytes are all a storage needs (its record may be longer).
  if (entry.method === 0) return src.read(start, prefix === undefined ? entry.size : Math.min(prefix, entry.size));
  if (entry.size > Math.max(1, entry.compressedSize) * MAX_INFLATE_RATIO) {
    throw new TorchZipError(
      `zip entry ${entry.name} declares ${entry.size} bytes from ${entry.compressedSize} compressed ` +
        `(more than deflate's ${MAX_INFLATE_RATIO}:1)`,
    );
  }
  if (!inflateRaw) throw new TorchZipError(`zip entry ${entry.name} is deflated and no inflater is available here`);
  meter?.chargeBytes(entry.size, `inflated zip entry ${entry.name}`);
  let out: Uint8Array;
  try {
    out = inflateRaw(src.read(start, entry.compressedSize), entry.size);
  } catch (e) {
    throw new TorchZipError(`zip entry ${entry.name} does not inflate: ${(e as Error).message}`);
  }
  if (out.length !== entry.size) {
    throw new TorchZipError(`zip entry ${entry.name} inflates to ${out.length} bytes, declared ${entry.size}`);
  }
  if (crc32(out) !== entry.crc >>> 0) throw new TorchZipError(`zip entry ${entry.name}: CRC-32 mismatch`);
  return out;
}
