// A small live line chart of recent samples (0-100 % unless told otherwise), with the latest
// value in the legend.
import { linePath } from "../system/chart";

export interface Series {
  label: string;
  values: (number | null)[];
  className: string;
}

const percent = (v: number) => `${Math.round(v)} %`;

export function LiveChart({
  series,
  slots,
  title,
  max = 100,
  format = percent,
  note,
}: {
  series: Series[];
  slots: number;
  title: string;
  /** The value at the top of the chart. */
  max?: number;
  /** How the legend writes the latest value. */
  format?: (value: number) => string;
  /** A word on the scale, shown after the legend. */
  note?: string;
}) {
  const width = 320;
  const height = 90;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title} preserveAspectRatio="none">
        {[25, 50, 75].map((p) => (
          <line key={p} className="chart-grid" x1={0} x2={width} y1={height * (1 - p / 100)} y2={height * (1 - p / 100)} />
        ))}
        {series.map((s) => (
          <path key={s.label} className={`chart-line ${s.className}`} d={linePath(s.values, width, height, max, slots)} />
        ))}
      </svg>
      <figcaption className="chart-legend">
        {series.map((s) => {
          const last = [...s.values].reverse().find((v) => v !== null);
          return (
            <span key={s.label} className={`legend ${s.className}`}>
              {s.label} {last === undefined || last === null ? "–" : format(last)}
            </span>
          );
        })}
        {note && <span className="muted">{note}</span>}
      </figcaption>
    </figure>
  );
}
