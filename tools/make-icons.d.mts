// Types for tools/make-icons.mjs.
export interface Shape {
  fill: string;
  points: [number, number][];
}
export declare const PNG_SIZES: number[];
export declare const ICON_DIR: string;
export declare function designShapes(): Shape[];
export declare function renderSvg(shapes?: Shape[]): string;
export declare function rasterize(size: number, shapes?: Shape[]): Uint8Array;
export declare function generateIcons(): Map<string, Buffer>;
