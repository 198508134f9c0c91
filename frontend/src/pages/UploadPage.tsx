// Upload: drop or choose videos; each gets a progress bar, then its job or its error.
import { Link } from "react-router-dom";
import { DropZone } from "../components/DropZone";
import { UploadRow } from "../components/UploadRow";
import { useUploadQueue } from "../uploads/useUploadQueue";

export function UploadPage() {
  const { items, add, cancel, clearFinished } = useUploadQueue();
  const finished = items.some((it) => it.state === "done" || it.state === "error");
  return (
    <section className="page" aria-labelledby="upload-title">
      <h1 id="upload-title">Upload videos</h1>
      <p className="muted">
        Each video becomes a job: the pose service finds the people in it and tracks their
        poses. Follow them on the <Link to="/jobs">Jobs</Link> page.
      </p>
      <DropZone onFiles={add} />
      {items.length > 0 && (
        <>
          <div className="section-head">
            <h2>This session</h2>
            {finished && (
              <button type="button" className="btn btn-small" onClick={clearFinished}>
                Clear finished
              </button>
            )}
          </div>
          <ul className="upload-list" aria-label="Uploads">
            {items.map((it) => (
              <UploadRow key={it.key} item={it} onCancel={() => cancel(it.key)} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
