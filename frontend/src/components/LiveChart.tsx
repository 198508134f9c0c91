// A small live line chart (0-100 %) of recent samples, with the latest value in the legend.
import { linePath } from "../system/chart";

export interface Series {
  label: string;
  values: (number | null)[];
  className: string;
}

export function LiveChart({ series, slots, title }: { series: Series[]; slots: number; title: string }) {
  const width = 320;
  const height = 90;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title} preserveAspectRatio="none">
        {[25, 50, 75].map((p) => (
          <line key={p} className="chart-grid" x1={0} x2={width} y1={height * (1 - p / 100)} y2={height * (1 - p / 100)} />
        ))}
        {series.map((s) => (
          <path key={s.label} className={`chart-line ${s.className}`} d={linePath(s.values, width, height, 100, slots)} />
        ))}
      </svg>
      <figcaption className="chart-legend">
        {series.map((s) => {
          const last = [...s.values].reverse().find((v) => v !== null);
          return (
            <span key={s.label} className={`legend ${s.className}`}>
              {s.label} {last === undefined || last === null ? "–" : `${Math.round(last)} %`}
            </span>
          );
        })}
      </figcaption>
    </figure>
  );
}
