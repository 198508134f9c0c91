// Reading the Prometheus text format that /metrics serves.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample in a Prometheus text exposition; comments and bad lines are skipped. */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const lm of (m[2] ?? "").matchAll(LABEL)) {
      labels[lm[1]!] = lm[2]!.replace(/\\n/g, "\n").replace(/\\"/g, '"').replace(/\\\\/g, "\\");
    }
    const value = parseValue(m[3]!);
    if (value !== null) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

function parseValue(s: string): number | null {
  if (s === "+Inf") return Infinity;
  if (s === "-Inf") return -Infinity;
  if (s === "NaN") return NaN;
  const v = Number(s);
  return Number.isNaN(v) ? null : v;
}

/** The sum of a metric's samples whose labels include `match`, or null if there are none. */
export function metricSum(
  samples: readonly Sample[],
  name: string,
  match: Record<string, string> = {},
): number | null {
  let found = false;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).some(([k, v]) => s.labels[k] !== v)) continue;
    found = true;
    sum += s.value;
  }
  return found ? sum : null;
}

/** A metric's samples keyed by the value of one label. */
export function metricByLabel(
  samples: readonly Sample[],
  name: string,
  label: string,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name === name && label in s.labels) {
      out[s.labels[label]!] = (out[s.labels[label]!] ?? 0) + s.value;
    }
  }
  return out;
}
