// The geometry of a small live line chart: samples to an SVG path.

/**
 * An SVG path through `values` spread evenly across `width` (the newest at the right edge
 * of `slots` positions), scaled so `max` is the top. Gaps (null) break the line.
 */
export function linePath(
  values: readonly (number | null)[],
  width: number,
  height: number,
  max: number,
  slots: number = values.length,
): string {
  if (slots < 2 || max <= 0) return "";
  const step = width / (slots - 1);
  const start = slots - values.length;
  let d = "";
  let pen = false;
  values.forEach((v, k) => {
    if (v === null || !Number.isFinite(v)) {
      pen = false;
      return;
    }
    const x = (start + k) * step;
    const y = height - (Math.min(Math.max(v, 0), max) / max) * height;
    d += `${pen ? "L" : "M"}${round(x)},${round(y)}`;
    pen = true;
  });
  return d;
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Append a sample, keeping the last `keep`. */
export function pushSample<T>(history: readonly T[], sample: T, keep: number): T[] {
  const next = [...history, sample];
  return next.length > keep ? next.slice(next.length - keep) : next;
}
