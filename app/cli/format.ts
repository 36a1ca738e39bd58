/** Human-readable output for the CLI: aligned tables, numbers, sizes and a stderr progress bar. */
export function fmtNum(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e9) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(3) : v.toPrecision(5).replace(/\.?0+$/, '');
}

export function fmtShape(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

export function table(headers: string[], rows: string[][]): string {
  // A loop, not Math.max(...rows): spreading 125k rows as arguments overflows the stack.
  const widths = headers.map((h) => h.length);
  for (const r of rows) for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, (r[i] ?? '').length);
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Files larger than this get a progress bar on stderr (NORMSCOPE_PROGRESS_BYTES overrides, for tests). */
export function progressThreshold(): number {
  const env = Number(process.env.NORMSCOPE_PROGRESS_BYTES);
  return Number.isFinite(env) && env > 0 ? env : 100 * 1024 * 1024;
}

/**
 * A progress reporter on stderr: a redrawn bar on a terminal, a line every 25% otherwise (logs).
 * Returns a no-op when the file is small.
 */
export function progressBar(
  label: string,
  fileBytes: number,
  unit = 'tensors',
): ((done: number, total: number) => void) & { end(): void } {
  const enabled = fileBytes > progressThreshold();
  const tty = process.stderr.isTTY === true;
  let lastQuarter = -1;
  const fn = ((done: number, total: number) => {
    if (!enabled || total === 0) return;
    const frac = done / total;
    if (tty) {
      const width = 30;
      const fill = Math.round(frac * width);
      process.stderr.write(
        `\r${label} [${'#'.repeat(fill)}${'.'.repeat(width - fill)}] ${(frac * 100).toFixed(0)}% (${done}/${total})`,
      );
    } else {
      const q = Math.floor(frac * 4);
      if (q > lastQuarter) {
        lastQuarter = q;
        process.stderr.write(`${label}: ${(frac * 100).toFixed(0)}% (${done}/${total} ${unit})\n`);
      }
    }
  }) as ((done: number, total: number) => void) & { end(): void };
  fn.end = () => {
    if (enabled && tty) process.stderr.write('\n');
  };
  return fn;
}
