// backend-api's liveness, then readiness dependency by dependency.
import type { SystemReadings } from "../../system/useSystem";
import { Dot } from "./Dot";

const NAMES: Record<string, string> = {
  mongodb: "MongoDB",
  redis: "Redis",
  pose_service: "pose-service",
};

export function ServicesPanel({ readings }: { readings: SystemReadings }) {
  const { health, ready, readyError } = readings;
  const checks = Object.entries(ready?.checks ?? {});
  return (
    <div className="panel card" data-testid="system-services">
      <h2>Services</h2>
      <table className="kv">
        <tbody>
          <tr data-service="backend-api" data-ok={health.ok}>
            <th scope="row">
              <Dot ok={health.ok} /> backend-api
            </th>
            <td>{health.ok ? "alive" : health.detail}</td>
          </tr>
          {checks.map(([name, check]) => (
            <tr key={name} data-service={name} data-ok={check.status === "ok"}>
              <th scope="row">
                <Dot ok={check.status === "ok"} /> {NAMES[name] ?? name}
              </th>
              <td>
                {check.detail}
                {check.latency_ms !== null && check.latency_ms !== undefined && (
                  <span className="muted"> · {check.latency_ms} ms</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className={ready?.status === "ready" ? "ready-line ok" : "ready-line bad"} data-testid="system-ready">
        <Dot ok={ready ? ready.status === "ready" : false} />
        {ready
          ? ready.status === "ready"
            ? "Ready: uploads are processed."
            : `Not ready. ${ready.error?.message ?? ""}`
          : `Readiness unknown: ${readyError}`}
      </p>
    </div>
  );
}
