// Every service's resident memory: the figure, its limit, and a small live chart per process.
import type { ServiceMemory } from "../../api/types";
import { formatBytes } from "../../format";
import { chartMax, limitText, memoryKey, type MemoryReading } from "../../system/memory";
import { HISTORY } from "../../system/useSystem";
import { LiveChart } from "../LiveChart";
import { ProgressBar } from "../ProgressBar";

export function MemoryPanel({
  memory,
  history,
}: {
  memory: MemoryReading;
  history: Record<string, (number | null)[]>;
}) {
  return (
    <div className="panel card card-wide" data-testid="system-memory">
      <h2>Memory</h2>
      {memory.kind === "unsupported" && (
        <p className="muted">Unknown: this API does not report memory (GET /api/system/memory).</p>
      )}
      {memory.kind === "error" && <p className="error-text">{memory.message}</p>}
      {memory.kind === "ok" && (
        <div className="memory-rows">
          {memory.services.map((row) => (
            <MemoryRow key={memoryKey(row)} row={row} samples={history[memoryKey(row)] ?? []} />
          ))}
        </div>
      )}
      <p className="muted small">
        Resident memory (RSS), what the kernel's out-of-memory killer weighs. Limits: a container's{" "}
        <code>mem_limit</code>, else the machine's total; Redis's <code>maxmemory</code> when set.
      </p>
    </div>
  );
}

function MemoryRow({ row, samples }: { row: ServiceMemory; samples: (number | null)[] }) {
  const rss = row.rss_bytes;
  const top = chartMax(samples, row.limit_bytes);
  return (
    <div
      className="memory-row"
      data-testid="memory-row"
      data-service={row.service}
      data-instance={row.instance ?? ""}
      data-pid={row.pid ?? ""}
      data-bytes={row.rss_bytes ?? ""}
      data-limit={row.limit_bytes ?? ""}
    >
      <div className="memory-figures">
        <p>
          <strong>{row.service}</strong>
          {row.instance && (
            <span className="muted small ellipsis" title={row.instance}>
              {" "}
              · {row.instance}
            </span>
          )}
        </p>
        <p className="memory-value">
          {rss !== null ? (
            <>
              <strong data-testid="memory-value">{formatBytes(rss)}</strong>{" "}
              <span className="muted">{limitText(row)}</span>
            </>
          ) : (
            <strong data-testid="memory-value">unknown</strong>
          )}
        </p>
        {rss !== null && row.limit_bytes !== null && (
          <ProgressBar value={rss} max={row.limit_bytes} label={`${row.service} memory used`} />
        )}
        <p className="muted small" title={row.detail}>
          {row.detail}
        </p>
      </div>
      {rss !== null && (
        <LiveChart
          title={`Resident memory of ${row.service} over the last three minutes`}
          slots={HISTORY}
          max={top}
          format={formatBytes}
          note={`top ${formatBytes(top)}${top === row.limit_bytes ? " (the limit)" : ""}`}
          series={[{ label: "Resident", values: samples, className: "series-mem" }]}
        />
      )}
    </div>
  );
}
