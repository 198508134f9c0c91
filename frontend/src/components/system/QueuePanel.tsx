// Figures from /metrics: the queue, jobs by status, throughput.
import { metricByLabel, metricSum } from "../../system/prometheus";
import type { SystemReadings } from "../../system/useSystem";

const ORDER = ["queued", "running", "succeeded", "failed", "canceled"];

export function QueuePanel({ readings }: { readings: SystemReadings }) {
  const m = readings.metrics;
  if (!m) {
    return (
      <div className="panel card" data-testid="system-queue">
        <h2>Queue</h2>
        <p className="error-text">{readings.metricsError}</p>
      </div>
    );
  }
  const depth = metricSum(m, "posepipe_queue_depth");
  const byStatus = metricByLabel(m, "posepipe_jobs", "status");
  const frames =
    metricSum(m, "posepipe_frames_processed_total") ?? metricSum(m, "posepipe_frames_processed");
  const fps = metricSum(m, "posepipe_processing_fps");
  const workers = metricSum(m, "posepipe_workers_live");
  return (
    <div className="panel card" data-testid="system-queue">
      <h2>Queue</h2>
      <table className="kv">
        <tbody>
          <tr>
            <th scope="row">Waiting in queue</th>
            <td data-testid="queue-depth" className="big-number">
              {depth ?? "–"}
            </td>
          </tr>
          <tr>
            <th scope="row">Jobs</th>
            <td>
              {ORDER.filter((s) => s in byStatus).map((s) => (
                <span key={s} className={`count badge-${s}`}>
                  {byStatus[s]} {s}
                </span>
              ))}
            </td>
          </tr>
          <tr>
            <th scope="row">Live workers</th>
            <td>{workers ?? "–"}</td>
          </tr>
          <tr>
            <th scope="row">Processing now</th>
            <td>{fps === null ? "–" : `${fps.toFixed(1)} frames/s`}</td>
          </tr>
          <tr>
            <th scope="row">Frames processed</th>
            <td>{frames === null ? "–" : frames.toLocaleString()}</td>
          </tr>
        </tbody>
      </table>
    </div>
  );
}
