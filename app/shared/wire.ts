/**
 * The WebSocket wire format of the contract (browser mode). Electron IPC uses structured clone and
 * needs none of this. JSON cannot carry typed arrays or NaN/±Infinity, so both are tagged:
 * `{"$ta": "Float32Array", "b64": "..."}` and `{"$num": "NaN"}`. Pure functions, no Node or DOM API
 * beyond the language, so the renderer and the server share them.
 */
import type { EventName, Events, MethodName, WireError } from './contract.js';

/**
 * Browser mode's token: what a page without it (or with a stale one) says, where the window keeps it
 * (sessionStorage is per scheme, host and port, unlike cookies) and the header fetches carry it in.
 */
export const TOKEN_MESSAGE =
  'NormScope: missing or wrong token — open the URL printed by `normscope serve`, including ?token=…';
export const TOKEN_STORAGE_KEY = 'normscope.token';
export const TOKEN_HEADER = 'X-NormScope-Token';
/** Answers 204 for a good token (header) and 403 otherwise, so the window can tell a refused token from a lost server. */
export const TOKEN_CHECK_PATH = '/normscope-token-check';

export type ClientMessage = { t: 'call'; id: number; method: MethodName; payload: unknown };

export type ServerMessage =
  | { t: 'result'; id: number; ok: true; value: unknown }
  | { t: 'result'; id: number; ok: false; error: WireError }
  | { t: 'event'; event: EventName; payload: Events[EventName] };

const TYPED = {
  Float32Array,
  Float64Array,
  Int8Array,
  Uint8Array,
  Int16Array,
  Uint16Array,
  Int32Array,
  Uint32Array,
  BigInt64Array,
} as const;
type TypedName = keyof typeof TYPED;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i]!;
    const b = i + 1 < bytes.length ? bytes[i + 1]! : 0;
    const c = i + 2 < bytes.length ? bytes[i + 2]! : 0;
    const n = (a << 16) | (b << 8) | c;
    chunk += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    chunk += i + 1 < bytes.length ? B64[(n >> 6) & 63]! : '=';
    chunk += i + 2 < bytes.length ? B64[n & 63]! : '=';
    if (chunk.length > 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  return parts.join('');
}

export function base64ToBytes(s: string): Uint8Array {
  const clean = s.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const v = [0, 1, 2, 3].map((k) => (i + k < clean.length ? B64_INDEX[clean.charCodeAt(i + k)]! : 0));
    if (v.some((x) => x < 0)) throw new Error('invalid base64 in message');
    const n = (v[0]! << 18) | (v[1]! << 12) | (v[2]! << 6) | v[3]!;
    if (o < out.length) out[o++] = (n >> 16) & 255;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return { $num: String(value) };
  if (typeof value === 'bigint') return { $big: value.toString() };
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const name = value.constructor.name as TypedName;
    if (!(name in TYPED)) throw new Error(`cannot send a ${name} over the wire`);
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return { $ta: name, b64: bytesToBase64(bytes) };
  }
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const v = value as Record<string, unknown>;
    if (typeof v.$num === 'string' && Object.keys(v).length === 1) return Number(v.$num);
    if (typeof v.$big === 'string' && Object.keys(v).length === 1) {
      // A 64-bit integer has at most 20 digits; longer text would only cost parse time.
      if (!/^-?\d{1,20}$/.test(v.$big)) throw new Error('malformed $big in message');
      return BigInt(v.$big);
    }
    if (typeof v.$ta === 'string' && typeof v.b64 === 'string' && Object.keys(v).length === 2) {
      // Own keys only: TYPED["constructor"] would be Object (a message must not name a prototype member).
      const Ctor = Object.hasOwn(TYPED, v.$ta) ? TYPED[v.$ta as TypedName] : undefined;
      if (!Ctor) throw new Error(`unknown typed array ${v.$ta} in message`);
      const bytes = base64ToBytes(v.b64);
      if (bytes.length % Ctor.BYTES_PER_ELEMENT !== 0)
        throw new Error(`${v.$ta} of ${bytes.length} bytes is not a whole number of elements`);
      const aligned = new Uint8Array(bytes.length);
      aligned.set(bytes);
      return new Ctor(aligned.buffer, 0, bytes.length / Ctor.BYTES_PER_ELEMENT);
    }
  }
  return value;
}

export function encodeMessage(msg: ClientMessage | ServerMessage): string {
  return JSON.stringify(msg, replacer);
}

export function decodeMessage<T = ClientMessage | ServerMessage>(text: string): T {
  return JSON.parse(text, reviver) as T;
}
