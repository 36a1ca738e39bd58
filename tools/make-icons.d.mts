// Types for tools/make-icons.mjs.
export declare const PNG_SIZES: number[];
export declare const ICON_DIR: string;
export declare const SVG_PATH: string;
export declare function rasterize(svg: Buffer | string, size: number): Buffer;
export declare function generateIcons(svg?: Buffer | string): Map<string, Buffer>;
export declare function staleIcons(files: Map<string, Buffer>, dir?: string): string[];
