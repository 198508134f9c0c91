// The pose-service workers: what each runs on and which job it is doing.
import { Link } from "react-router-dom";
import { formatDuration } from "../../format";
import type { SystemReadings } from "../../system/useSystem";
import { Dot } from "./Dot";

export function WorkersPanel({ readings }: { readings: SystemReadings }) {
  const { workers, ready } = readings;
  const heartbeat = ready?.checks.pose_service;
  return (
    <div className="panel card" data-testid="system-worker">
      <h2>pose-service</h2>
      {workers.kind !== "ok" && (
        <>
          <p>
            <Dot ok={heartbeat ? heartbeat.status === "ok" : null} />
            {heartbeat?.detail ?? "No heartbeat information."}
          </p>
          <p className="muted small">
            {workers.kind === "error"
              ? workers.message
              : "This API does not relay the workers' own reports (GET /api/workers)."}
          </p>
        </>
      )}
      {workers.kind === "ok" && workers.workers.length === 0 && (
        <p>
          <Dot ok={false} /> No worker is running: uploads wait in the queue until one starts.
        </p>
      )}
      {workers.kind === "ok" &&
        workers.workers.map((w) => (
          <table className="kv worker" key={w.worker_id} data-worker={w.worker_id}>
            <tbody>
              <tr>
                <th scope="row">Worker</th>
                <td className="ellipsis" title={w.worker_id}>
                  <Dot ok={w.model_loaded} /> {w.host ?? w.worker_id}
                  {w.model_loaded ? "" : " (loading its model)"}
                </td>
              </tr>
              <tr>
                <th scope="row">Backend</th>
                <td>
                  {w.backend ?? "–"} on {w.device}
                </td>
              </tr>
              <tr>
                <th scope="row">Current job</th>
                <td data-testid="worker-current-job">
                  {w.current_job ? (
                    <>
                      <Link to={`/jobs/${encodeURIComponent(w.current_job)}`}>{w.current_job.slice(0, 12)}</Link>
                      {w.fps ? <span className="muted"> · {w.fps.toFixed(1)} frames/s</span> : null}
                    </>
                  ) : (
                    "idle"
                  )}
                </td>
              </tr>
              <tr>
                <th scope="row">Up for</th>
                <td>{formatDuration(w.uptime_s)}</td>
              </tr>
            </tbody>
          </table>
        ))}
    </div>
  );
}
