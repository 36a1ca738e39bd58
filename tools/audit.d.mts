// Types for tools/audit.mjs.
export interface Finding {
  check: string;
  severity: 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL';
  confidence: string;
  file: string;
  line: number;
  column: number;
  sample: string;
  description: string;
  manualReview: boolean;
}
export interface AllowEntry {
  check: string;
  file: string;
  line: number;
  reason: string;
  contains?: string;
}
export declare const ALLOWLIST_PATH: string;
export declare const SCANNED_ROOTS: string[];
export declare function stageSources(projectDir: string, roots?: string[]): { stage: string; files: string[] };
export declare function scan(
  dir: string,
  electronVersion: string,
): Promise<{ findings: Finding[]; errors: { file: string; message: string; tolerable: boolean }[]; checks: number }>;
export declare function readAllowlist(path?: string): AllowEntry[];
export declare function classify(
  findings: Finding[],
  allowlist: AllowEntry[],
): { explained: (Finding & { reason: string })[]; unexplained: Finding[]; blocking: Finding[]; stale: AllowEntry[] };
