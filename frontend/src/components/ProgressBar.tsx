// A labelled progress bar; `value` null means the total is not known yet.

export interface ProgressBarProps {
  value: number | null;
  max: number | null;
  label: string;
  testId?: string;
  tone?: "normal" | "ok" | "bad" | "muted";
}

/** The fraction done in [0, 1], or null when it cannot be known. */
export function fraction(value: number | null, max: number | null): number | null {
  if (value === null || max === null || !(max > 0)) return null;
  return Math.min(1, Math.max(0, value / max));
}

export function ProgressBar({ value, max, label, testId, tone = "normal" }: ProgressBarProps) {
  const f = fraction(value, max);
  const pct = f === null ? null : Math.round(f * 100);
  return (
    <div
      className={`progress progress-${tone}${f === null ? " progress-unknown" : ""}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct ?? undefined}
      data-testid={testId}
      data-value={value ?? undefined}
      data-max={max ?? undefined}
    >
      <div className="progress-fill" style={{ width: `${pct ?? 0}%` }} />
    </div>
  );
}
