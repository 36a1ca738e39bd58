/**
 * Static scan of a pickle: the opcodes it contains and every global it names (with byte offsets and
 * whether the allow-list accepts it), without building a single object. This is how a person can see
 * what a suspicious file *would* do before deciding anything.
 */
import { PickleError } from './errors.js';
import { OP, OPCODES } from './pickleOps.js';
import { lookupGlobal } from './torchGlobals.js';

export interface ScannedGlobal {
  name: string;
  offset: number;
  opcode: string;
  allowed: boolean;
}

export interface PickleScan {
  protocol: number;
  /** opcode name → count */
  opcodes: Record<string, number>;
  globals: ScannedGlobal[];
  /** Offset just past STOP. */
  end: number;
  /** True when every global is in the allow-list and no extension codes are used. */
  safe: boolean;
}

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

export function scanPickle(b: Uint8Array, start = 0, maxOps = 1 << 26): PickleScan {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const opcodes: Record<string, number> = {};
  const globals: ScannedGlobal[] = [];
  const recentStrings: string[] = [];
  let protocol = 0;
  let pos = start;
  let safe = true;
  for (let count = 0; count < maxOps; count++) {
    const at = pos;
    if (pos >= b.length) throw new PickleError('pickle ended without STOP', at);
    const code = b[pos++]!;
    const info = OPCODES.get(code);
    if (!info) throw new PickleError(`unknown opcode 0x${code.toString(16).padStart(2, '0')}`, at);
    const [name, kind] = info;
    opcodes[name] = (opcodes[name] ?? 0) + 1;
    const need = (n: number) => {
      if (n < 0 || pos + n > b.length) throw new PickleError(`declared length ${n} runs past the end`, at);
    };
    const readLine = (): string => {
      const end = b.indexOf(0x0a, pos);
      if (end < 0) throw new PickleError('unterminated text line', at);
      const s = latin1.decode(b.subarray(pos, end));
      pos = end + 1;
      return s;
    };
    let str: string | null = null;
    switch (kind) {
      case 'none':
        break;
      case 'u1':
        need(1);
        if (code === OP.PROTO) protocol = b[pos]!;
        pos += 1;
        break;
      case 'u2':
        need(2);
        pos += 2;
        break;
      case 'i4':
      case 'u4':
        need(4);
        pos += 4;
        break;
      case 'u8':
      case 'f8':
        need(8);
        pos += 8;
        break;
      case 'line':
        str = readLine();
        break;
      case 'line2': {
        const mod = readLine();
        const nm = readLine();
        const full = `${mod}.${nm}`;
        const allowed = lookupGlobal(mod, nm) !== null;
        safe &&= allowed;
        globals.push({ name: full, offset: at, opcode: name, allowed });
        break;
      }
      case 'len1':
      case 'len4':
      case 'len8': {
        const width = kind === 'len1' ? 1 : kind === 'len4' ? 4 : 8;
        need(width);
        const n = width === 1 ? b[pos]! : width === 4 ? dv.getUint32(pos, true) : Number(dv.getBigUint64(pos, true));
        pos += width;
        need(n);
        if (code === OP.BINUNICODE || code === OP.SHORT_BINUNICODE || code === OP.BINUNICODE8) {
          str = n <= 4096 ? utf8.decode(b.subarray(pos, pos + n)) : null;
        }
        pos += n;
        break;
      }
    }
    if (code === OP.EXT1 || code === OP.EXT2 || code === OP.EXT4) {
      safe = false;
      globals.push({ name: '<extension code>', offset: at, opcode: name, allowed: false });
    }
    if (code === OP.STACK_GLOBAL) {
      const nm = recentStrings[recentStrings.length - 1] ?? '?';
      const mod = recentStrings[recentStrings.length - 2] ?? '?';
      const allowed = lookupGlobal(mod, nm) !== null;
      safe &&= allowed;
      globals.push({ name: `${mod}.${nm}`, offset: at, opcode: name, allowed });
    }
    if (str !== null) {
      recentStrings.push(str);
      if (recentStrings.length > 2) recentStrings.shift();
    }
    if (code === OP.STOP) return { protocol, opcodes, globals, end: pos, safe };
  }
  throw new PickleError(`more than ${maxOps} opcodes`, pos);
}
