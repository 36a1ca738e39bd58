/**
 * Streams a zip archive of stored (uncompressed) entries to a ByteSink, the way torch.save lays one
 * out: each entry's data aligned to 64 bytes (padding in an "FB" extra field), CRC-32 filled in, and
 * Zip64 records when an offset or size needs them (or when forced, for tests).
 */
import type { ByteSink } from './byteSource.js';
import { crc32 } from './crc32.js';
import { TorchZipError } from './errors.js';

interface Written {
  name: Uint8Array;
  crc: number;
  size: number;
  offset: number;
  zip64: boolean;
}

const LIMIT32 = 0xffffffff;
const ALIGN = 64;

export class ZipWriter {
  private written: Written[] = [];
  private finished = false;

  constructor(
    private readonly sink: ByteSink,
    private readonly forceZip64 = false,
  ) {}

  add(name: string, data: Uint8Array): void {
    if (this.finished) throw new TorchZipError('zip already finished');
    const nameBytes = new TextEncoder().encode(name);
    const offset = this.sink.position;
    const size = data.length;
    const zip64 = this.forceZip64 || size >= LIMIT32 || offset >= LIMIT32;
    const crc = crc32(data);
    const z64Len = zip64 ? 20 : 0;
    const pad = (ALIGN - ((offset + 30 + nameBytes.length + z64Len + 4) % ALIGN)) % ALIGN;
    const extraLen = z64Len + 4 + pad;
    const h = new Uint8Array(30 + nameBytes.length + extraLen);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, 0x04034b50, true);
    dv.setUint16(4, zip64 ? 45 : 20, true);
    dv.setUint16(6, 0, true);
    dv.setUint16(8, 0, true); // stored
    dv.setUint16(10, 0, true);
    dv.setUint16(12, 0x21, true); // 1980-01-01
    dv.setUint32(14, crc, true);
    dv.setUint32(18, zip64 ? LIMIT32 : size, true);
    dv.setUint32(22, zip64 ? LIMIT32 : size, true);
    dv.setUint16(26, nameBytes.length, true);
    dv.setUint16(28, extraLen, true);
    h.set(nameBytes, 30);
    let e = 30 + nameBytes.length;
    if (zip64) {
      dv.setUint16(e, 0x0001, true);
      dv.setUint16(e + 2, 16, true);
      dv.setBigUint64(e + 4, BigInt(size), true);
      dv.setBigUint64(e + 12, BigInt(size), true);
      e += 20;
    }
    dv.setUint16(e, 0x4246, true); // "FB": torch's alignment padding field
    dv.setUint16(e + 2, pad, true);
    this.sink.write(h);
    this.sink.write(data);
    this.written.push({ name: nameBytes, crc, size, offset, zip64 });
  }

  finish(): void {
    if (this.finished) return;
    this.finished = true;
    const cdOffset = this.sink.position;
    let cdSize = 0;
    for (const w of this.written) {
      const extraLen = w.zip64 ? 28 : 0;
      const c = new Uint8Array(46 + w.name.length + extraLen);
      const dv = new DataView(c.buffer);
      dv.setUint32(0, 0x02014b50, true);
      dv.setUint16(4, w.zip64 ? 45 : 20, true);
      dv.setUint16(6, w.zip64 ? 45 : 20, true);
      dv.setUint16(12, 0, true);
      dv.setUint16(14, 0x21, true);
      dv.setUint32(16, w.crc, true);
      dv.setUint32(20, w.zip64 ? LIMIT32 : w.size, true);
      dv.setUint32(24, w.zip64 ? LIMIT32 : w.size, true);
      dv.setUint16(28, w.name.length, true);
      dv.setUint16(30, extraLen, true);
      dv.setUint32(42, w.zip64 ? LIMIT32 : w.offset, true);
      c.set(w.name, 46);
      if (w.zip64) {
        const e = 46 + w.name.length;
        dv.setUint16(e, 0x0001, true);
        dv.setUint16(e + 2, 24, true);
        dv.setBigUint64(e + 4, BigInt(w.size), true);
        dv.setBigUint64(e + 12, BigInt(w.size), true);
        dv.setBigUint64(e + 20, BigInt(w.offset), true);
      }
      this.sink.write(c);
      cdSize += c.length;
    }
    const count = this.written.length;
    const zip64 = this.forceZip64 || count >= 0xffff || cdOffset >= LIMIT32 || this.written.some((w) => w.zip64);
    if (zip64) {
      const recOffset = this.sink.position;
      const r = new Uint8Array(56 + 20);
      const dv = new DataView(r.buffer);
      dv.setUint32(0, 0x06064b50, true);
      dv.setBigUint64(4, 44n, true);
      dv.setUint16(12, 45, true);
      dv.setUint16(14, 45, true);
      dv.setBigUint64(24, BigInt(count), true);
      dv.setBigUint64(32, BigInt(count), true);
      dv.setBigUint64(40, BigInt(cdSize), true);
      dv.setBigUint64(48, BigInt(cdOffset), true);
      dv.setUint32(56, 0x07064b50, true);
      dv.setBigUint64(64, BigInt(recOffset), true);
      dv.setUint32(72, 1, true);
      this.sink.write(r);
    }
    const end = new Uint8Array(22);
    const dv = new DataView(end.buffer);
    dv.setUint32(0, 0x06054b50, true);
    dv.setUint16(8, zip64 ? 0xffff : count, true);
    dv.setUint16(10, zip64 ? 0xffff : count, true);
    dv.setUint32(12, zip64 ? LIMIT32 : cdSize, true);
    dv.setUint32(16, zip64 ? LIMIT32 : cdOffset, true);
    this.sink.write(end);
  }
}
