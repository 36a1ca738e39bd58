// Types for native/cuda-emu/translate.mjs.
/** CUDA source with every `k<<<grid, block>>>(args)` rewritten to `emu::launch(grid, block, k, args)`. */
export declare function translateCuda(src: string, file: string): string;
/** Translates every .cu/.cuh in srcDir into outDir (.cu → .cc); returns the translated .cc paths. */
export declare function translateDir(srcDir: string, outDir: string, displayDir?: string): string[];
