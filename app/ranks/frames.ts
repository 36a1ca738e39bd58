/**
 * Length-prefixed frames for the ipc data plane: [u32 header bytes][u32 payload values][JSON][float64…].
 * Little-endian, the payload copied out (no alignment assumptions on the incoming buffer).
 */
export const FRAME_PREFIX = 8;
/** Refuse absurd frames (a corrupted stream must fail clearly, not allocate gigabytes). */
export const MAX_HEADER_BYTES = 1 << 20;
export const MAX_PAYLOAD_VALUES = 1 << 27;

export function encodeFrame(header: unknown, payload: Float64Array): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(FRAME_PREFIX + json.length + payload.length * 8);
  out.writeUInt32LE(json.length, 0);
  out.writeUInt32LE(payload.length, 4);
  json.copy(out, FRAME_PREFIX);
  Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).copy(out, FRAME_PREFIX + json.length);
  return out;
}

export function frameLengths(prefix: Buffer): { headerBytes: number; values: number } {
  const headerBytes = prefix.readUInt32LE(0);
  const values = prefix.readUInt32LE(4);
  if (headerBytes > MAX_HEADER_BYTES || values > MAX_PAYLOAD_VALUES) {
    throw new Error(`malformed ipc frame (header ${headerBytes} bytes, ${values} values)`);
  }
  return { headerBytes, values };
}

export function decodeBody<H>(body: Buffer, headerBytes: number, values: number): { header: H; payload: Float64Array } {
  const header = JSON.parse(body.subarray(0, headerBytes).toString('utf8')) as H;
  const payload = new Float64Array(values);
  Buffer.from(payload.buffer).set(body.subarray(headerBytes, headerBytes + values * 8));
  return { header, payload };
}

/** Incremental decoder for a stream of frames (the coordinator's side). */
export class FrameDecoder<H> {
  private chunks: Buffer[] = [];
  private buffered = 0;

  push(chunk: Buffer): { header: H; payload: Float64Array }[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const out: { header: H; payload: Float64Array }[] = [];
    while (this.buffered >= FRAME_PREFIX) {
      const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
      this.chunks = [all];
      const { headerBytes, values } = frameLengths(all);
      const total = FRAME_PREFIX + headerBytes + values * 8;
      if (all.length < total) break;
      out.push(decodeBody<H>(all.subarray(FRAME_PREFIX, total), headerBytes, values));
      const rest = all.subarray(total);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
    }
    return out;
  }
}
