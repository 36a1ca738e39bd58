// Types for tools/dist.mjs.
export declare function installedElectronDist(root?: string, platform?: string): string | null;
export declare function builderArgs(options?: {
  dir?: boolean;
  electronDist?: string | null;
  extra?: string[];
}): string[];
