// Types for tools/fuses.mjs (plain JavaScript so electron-builder can load it as a hook without a TS loader).
export type FuseName =
  | 'RunAsNode'
  | 'EnableCookieEncryption'
  | 'EnableNodeOptionsEnvironmentVariable'
  | 'EnableNodeCliInspectArguments'
  | 'EnableEmbeddedAsarIntegrityValidation'
  | 'OnlyLoadAppFromAsar'
  | 'LoadBrowserProcessSpecificV8Snapshot'
  | 'GrantFileProtocolExtraPrivileges';
export declare const FUSE_INDEX: Readonly<Record<FuseName, number>>;
export declare function isE2eBuild(env?: Record<string, string | undefined>): boolean;
export declare function fuseSettings(platform: string, options?: { e2e?: boolean }): Partial<Record<FuseName, boolean>>;
export declare function toFuseConfig(
  settings: Partial<Record<FuseName, boolean>>,
  options?: { resetAdHocDarwinSignature?: boolean },
): { version: '1'; resetAdHocDarwinSignature: boolean; [index: number]: boolean };
export declare function afterPack(context: unknown): Promise<void>;
export default afterPack;
