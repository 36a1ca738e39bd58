/** Small building blocks every workspace uses: errors where they happen, empty states, progress. */
export { NumberField, NumberListField } from './NumberField';
import type { FeatureName } from '../../../app/shared/contract';
import { useApp } from '../store/hooks';

export function ErrorBox({ error, testId }: { error: string | null; testId?: string }) {
  if (!error) return null;
  return (
    <div className="error" role="alert" data-testid={testId ?? 'error'}>
      {error}
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <div className="empty-state">{children}</div>;
}

export function Progress({ jobId }: { jobId: string | null }) {
  const job = useApp((s) => (jobId ? s.jobs[jobId] : undefined));
  if (!jobId) return null;
  const pct = job && job.total > 0 ? (100 * job.done) / job.total : 0;
  return (
    <div
      className="progress"
      role="progressbar"
      aria-valuenow={Math.round(pct)}
      aria-valuemin={0}
      aria-valuemax={100}
      data-testid="progress"
    >
      <div className="progress-fill" style={{ width: `${pct}%` }} />
      <span className="progress-label">{job ? `${job.label} (${job.done}/${job.total})` : 'starting…'}</span>
    </div>
  );
}

/** The honest state of a workspace whose engine part cannot run in this host. */
export function FeatureGate({ feature, children }: { feature: FeatureName; children: React.ReactNode }) {
  const status = useApp((s) => s.info?.features[feature]);
  if (status && !status.available) {
    return (
      <div className="not-available" data-testid="not-available">
        <strong>Not available yet.</strong> {status.reason}
      </div>
    );
  }
  return <>{children}</>;
}

export const fmtNum = (v: number | null | undefined, digits = 4): string => {
  if (v === null || v === undefined) return '—';
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  return Math.abs(v) >= 1e5 || (Math.abs(v) < 1e-4 && v !== 0)
    ? v.toExponential(3)
    : Number(v.toFixed(digits)).toString();
};

/** Bytes in B, KiB, MiB or GiB. */
export const fmtBytes = (v: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
};

export const shapeText = (s: readonly number[] | null | undefined): string => (s ? `[${s.join(', ')}]` : '—');
