/** Decoding helpers for pickle's text and integer encodings (protocol 0 lines, LONG1/LONG4 bytes). */

export function latin1(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

/** Little-endian two's complement (pickle's LONG1/LONG4). */
export function decodeLong(bytes: Uint8Array): number | bigint {
  if (bytes.length === 0) return 0;
  let v = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!);
  if (bytes[bytes.length - 1]! & 0x80) v -= 1n << BigInt(bytes.length * 8);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function parseIntText(s: string, r: { fail(m: string): never }): number | bigint {
  if (!/^[+-]?\d{1,400}$/.test(s)) r.fail(`invalid integer literal`);
  const v = BigInt(s);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

export function parseIndex(s: string, r: { fail(m: string): never }): number {
  if (!/^\d{1,9}$/.test(s)) r.fail('invalid memo index');
  return Number(s);
}

/** Protocol-0 STRING: a Python repr in quotes with backslash escapes. */
export function unquote(s: string, r: { fail(m: string): never }): string {
  const q = s[0];
  if (s.length < 2 || (q !== "'" && q !== '"') || s[s.length - 1] !== q) r.fail('STRING is not quoted');
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)/g, (_m, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    if (/^[0-7]/.test(e)) return String.fromCharCode(parseInt(e, 8) & 0xff);
    return ({ n: '\n', r: '\r', t: '\t', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? `\\${e}`;
  });
}

/** Protocol-0 UNICODE: raw-unicode-escape (\\uXXXX, \\UXXXXXXXX). */
export function unescapeRawUnicode(s: string): string {
  return s.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, a: string | undefined, b: string | undefined) =>
    String.fromCodePoint(Math.min(parseInt((a ?? b)!, 16), 0x10ffff)),
  );
}
