import { describe, expect, it } from "vitest";
import { metricByLabel, metricSum, parsePrometheus } from "./prometheus";

const TEXT = `# HELP posepipe_queue_depth Jobs waiting in the queue.
# TYPE posepipe_queue_depth gauge
posepipe_queue_depth 3.0
# TYPE posepipe_jobs gauge
posepipe_jobs{status="queued"} 3.0
posepipe_jobs{status="running"} 1.0
posepipe_jobs{status="succeeded"} 12.0
http_requests_total{method="GET",path="/api/jobs/{job_id}",status="200"} 40 1712345678000
http_requests_total{method="POST",path="/api/videos",status="201"} 2
weird_label{msg="a \\"quoted\\" word, and \\\\"} 1
process_start_time_seconds 1.7e+09
bad line here
nan_metric NaN
`;

describe("Prometheus text", () => {
  const samples = parsePrometheus(TEXT);

  it("reads names, labels and values, skipping comments and junk", () => {
    expect(samples).toHaveLength(9);
    expect(samples[0]).toEqual({ name: "posepipe_queue_depth", labels: {}, value: 3 });
    expect(samples.find((s) => s.name === "weird_label")?.labels.msg).toBe('a "quoted" word, and \\');
    expect(samples.find((s) => s.name === "process_start_time_seconds")?.value).toBe(1.7e9);
  });

  it("sums a metric, optionally over matching labels", () => {
    expect(metricSum(samples, "posepipe_queue_depth")).toBe(3);
    expect(metricSum(samples, "http_requests_total")).toBe(42);
    expect(metricSum(samples, "http_requests_total", { method: "POST" })).toBe(2);
    expect(metricSum(samples, "missing")).toBeNull();
  });

  it("groups a metric by one label", () => {
    expect(metricByLabel(samples, "posepipe_jobs", "status")).toEqual({
      queued: 3,
      running: 1,
      succeeded: 12,
    });
  });
});
