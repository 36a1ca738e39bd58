/** Plugs zlib's native CRC-32 (Node ≥ 20.15) into the zip writer; a no-op elsewhere. */
import { setNativeCrc32 } from './crc32.js';
import { nativeCrc32 } from './fileAdapter.js';

let done = false;
export function crc32Native(): void {
  if (done) return;
  done = true;
  setNativeCrc32(nativeCrc32);
}
