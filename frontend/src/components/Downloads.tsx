// The job's results as files.
import { jobUrls } from "../api/client";

export function Downloads({ jobId }: { jobId: string }) {
  const urls = jobUrls(jobId);
  return (
    <div className="panel">
      <h2>Downloads</h2>
      <ul className="downloads">
        <li>
          <a className="btn btn-small" href={urls.posesJson} download={`${jobId}.poses.json`}>
            Poses (JSON)
          </a>
          <span className="muted small">posepipe.poses/1, every frame</span>
        </li>
        <li>
          <a className="btn btn-small" href={urls.posesCsv} download={`${jobId}.poses.csv`}>
            Poses (CSV)
          </a>
          <span className="muted small">one row per frame, person and joint</span>
        </li>
        <li>
          <a className="btn btn-small" href={urls.overlay} download={`${jobId}.overlay.mp4`}>
            Overlay video (MP4)
          </a>
          <span className="muted small">skeletons and ids drawn in</span>
        </li>
      </ul>
    </div>
  );
}
