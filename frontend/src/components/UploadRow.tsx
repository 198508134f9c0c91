// One file's upload: name, bytes sent, and then its job or the server's error.
import { Link } from "react-router-dom";
import type { UploadItem } from "../uploads/useUploadQueue";
import { formatBytes } from "../format";
import { ProgressBar } from "./ProgressBar";

export function UploadRow({ item, onCancel }: { item: UploadItem; onCancel: () => void }) {
  const tone = item.state === "done" ? "ok" : "normal";
  return (
    <li className={`upload-row upload-${item.state}`} data-state={item.state}>
      <div className="upload-head">
        <span className="upload-name" title={item.name}>
          {item.name}
        </span>
        <span className="muted upload-size">
          {item.state === "uploading"
            ? `${formatBytes(item.loaded)} of ${formatBytes(item.size)}`
            : formatBytes(item.size)}
        </span>
      </div>
      {item.state !== "error" && (
        <ProgressBar
          value={item.loaded}
          max={item.size || 1}
          label={`Upload of ${item.name}`}
          testId="upload-progress"
          tone={tone}
        />
      )}
      <div className="upload-foot">
        {item.state === "waiting" && <span className="muted">Waiting…</span>}
        {item.state === "uploading" && <span className="muted">Uploading…</span>}
        {item.state === "done" && item.jobId && (
          <span>
            Queued as job{" "}
            <Link to={`/jobs/${encodeURIComponent(item.jobId)}`} data-testid="upload-job-link">
              {item.jobId}
            </Link>
          </span>
        )}
        {item.state === "error" && (
          <span className="error-text" role="alert" data-testid="upload-error">
            {item.error}
          </span>
        )}
        {(item.state === "waiting" || item.state === "uploading") && (
          <button type="button" className="btn btn-small" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </li>
  );
}
