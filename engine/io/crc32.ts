/** CRC-32 (the zip polynomial), table-driven; used when writing zip entries. */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

let fast: ((data: Uint8Array, value?: number) => number) | null = null;

/** Lets the Node file adapter plug in zlib's native crc32 (much faster on big tensors). */
export function setNativeCrc32(fn: ((data: Uint8Array, value?: number) => number) | null): void {
  fast = fn;
}

export function crc32(data: Uint8Array, prev = 0): number {
  if (fast) return fast(data, prev) >>> 0;
  let c = ~prev >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
