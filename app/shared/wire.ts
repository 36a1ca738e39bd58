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

// The platform's base64 (atob/btoa: globals in browsers and in Node), over binary strings built in
// chunks so a large tensor never becomes one huge argument list.
const CHUNK = 0x8000;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function bytesToBase64(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += CHUNK) bin += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(bin);
}

export function base64ToBytes(s: string): Uint8Array {
  let bin: string;
  try {
    if (!BASE64.test(s)) throw new Error();
    bin = atob(s);
  } catch {
    throw new Error('invalid base64 in message');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
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
