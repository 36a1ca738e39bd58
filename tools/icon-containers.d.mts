// Types for tools/icon-containers.mjs.
export declare const PNG_SIGNATURE: Buffer;
export declare function crc32(bytes: Uint8Array): number;
export declare function encodePng(width: number, height: number, rgba: Uint8Array): Buffer;
export declare function readPngHeader(bytes: Buffer): {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
};
export declare function encodeIco(images: { size: number; rgba: Uint8Array; png: Buffer }[]): Buffer;
export declare function readIco(
  bytes: Buffer,
): { width: number; height: number; bpp: number; format: 'png' | 'bmp'; bytes: Buffer }[];
export declare function encodeIcns(entries: [string, Buffer][]): Buffer;
export declare function readIcns(bytes: Buffer): { type: string; bytes: Buffer }[];
export declare function pngRaw(bytes: Buffer): Buffer;
export declare function sameIconFile(name: string, a: Buffer, b: Buffer): boolean;
