/**
 * Pickle opcodes of protocols 0–5, with how their argument is encoded. Shared by the unpickler,
 * the static scanner and the writer.
 */
export type ArgKind =
  | 'none'
  | 'u1'
  | 'u2'
  | 'i4'
  | 'u4'
  | 'u8'
  | 'f8'
  | 'line'
  | 'line2'
  | 'len1'
  | 'len4'
  | 'len8';

export const OP = {
  MARK: 0x28, STOP: 0x2e, POP: 0x30, POP_MARK: 0x31, DUP: 0x32, FLOAT: 0x46, INT: 0x49, BININT: 0x4a,
  BININT1: 0x4b, LONG: 0x4c, BININT2: 0x4d, NONE: 0x4e, PERSID: 0x50, BINPERSID: 0x51, REDUCE: 0x52,
  STRING: 0x53, BINSTRING: 0x54, SHORT_BINSTRING: 0x55, UNICODE: 0x56, BINUNICODE: 0x58, APPEND: 0x61,
  BUILD: 0x62, GLOBAL: 0x63, DICT: 0x64, EMPTY_DICT: 0x7d, APPENDS: 0x65, GET: 0x67, BINGET: 0x68,
  INST: 0x69, LONG_BINGET: 0x6a, LIST: 0x6c, EMPTY_LIST: 0x5d, OBJ: 0x6f, PUT: 0x70, BINPUT: 0x71,
  LONG_BINPUT: 0x72, SETITEM: 0x73, TUPLE: 0x74, EMPTY_TUPLE: 0x29, SETITEMS: 0x75, BINFLOAT: 0x47,
  PROTO: 0x80, NEWOBJ: 0x81, EXT1: 0x82, EXT2: 0x83, EXT4: 0x84, TUPLE1: 0x85, TUPLE2: 0x86, TUPLE3: 0x87,
  NEWTRUE: 0x88, NEWFALSE: 0x89, LONG1: 0x8a, LONG4: 0x8b, BINBYTES: 0x42, SHORT_BINBYTES: 0x43,
  SHORT_BINUNICODE: 0x8c, BINUNICODE8: 0x8d, BINBYTES8: 0x8e, EMPTY_SET: 0x8f, ADDITEMS: 0x90,
  FROZENSET: 0x91, NEWOBJ_EX: 0x92, STACK_GLOBAL: 0x93, MEMOIZE: 0x94, FRAME: 0x95, BYTEARRAY8: 0x96,
  NEXT_BUFFER: 0x97, READONLY_BUFFER: 0x98,
} as const;

/** opcode byte → [name, argument kind] */
export const OPCODES = new Map<number, [string, ArgKind]>();
const kinds: Partial<Record<keyof typeof OP, ArgKind>> = {
  FLOAT: 'line', INT: 'line', LONG: 'line', PERSID: 'line', STRING: 'line', UNICODE: 'line', GET: 'line',
  PUT: 'line', GLOBAL: 'line2', INST: 'line2', BININT: 'i4', BININT1: 'u1', BININT2: 'u2', BINGET: 'u1',
  LONG_BINGET: 'u4', BINPUT: 'u1', LONG_BINPUT: 'u4', BINFLOAT: 'f8', PROTO: 'u1', EXT1: 'u1', EXT2: 'u2',
  EXT4: 'i4', BINSTRING: 'len4', SHORT_BINSTRING: 'len1', BINUNICODE: 'len4', LONG1: 'len1', LONG4: 'len4',
  BINBYTES: 'len4', SHORT_BINBYTES: 'len1', SHORT_BINUNICODE: 'len1', BINUNICODE8: 'len8', BINBYTES8: 'len8',
  FRAME: 'u8', BYTEARRAY8: 'len8',
};
for (const [name, code] of Object.entries(OP)) {
  OPCODES.set(code, [name, kinds[name as keyof typeof OP] ?? 'none']);
}
