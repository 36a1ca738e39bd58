/** A tiny pickle assembler for tests: hand-built (including hostile) pickles, byte by byte. */
import { OP } from './pickleOps.js';

export class PickleAsm {
  private bytes: number[] = [];
  op(code: number): this {
    this.bytes.push(code);
    return this;
  }
  raw(s: string): this {
    for (const c of new TextEncoder().encode(s)) this.bytes.push(c);
    return this;
  }
  proto(p = 2): this {
    return this.op(OP.PROTO).op(p);
  }
  global(module: string, name: string): this {
    return this.op(OP.GLOBAL).raw(`${module}\n${name}\n`);
  }
  str(s: string): this {
    const b = new TextEncoder().encode(s);
    this.op(OP.BINUNICODE);
    const n = b.length;
    this.bytes.push(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);
    for (const c of b) this.bytes.push(c);
    return this;
  }
  int1(v: number): this {
    return this.op(OP.BININT1).op(v);
  }
  build(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
  get length(): number {
    return this.bytes.length;
  }
}
