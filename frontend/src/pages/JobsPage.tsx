// Jobs: newest first, status and progress live from each job's event stream.
import { Link, useSearchParams } from "react-router-dom";
import { isTerminal } from "../api/types";
import { JobRow } from "../components/JobRow";
import { Empty, ErrorNote, Loading } from "../components/States";
import { useNow } from "../hooks/useNow";
import { PAGE_SIZE, useJobs } from "../jobs/useJobs";

export function JobsPage() {
  const [params, setParams] = useSearchParams();
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  const { jobs, total, error, loading, reload, remove } = useJobs(offset);
  const now = useNow(Boolean(jobs?.some((j) => j.status === "running")));
  const goTo = (o: number) => setParams(o > 0 ? { offset: String(o) } : {});
  const active = jobs?.filter((j) => !isTerminal(j.status)).length ?? 0;

  return (
    <section className="page page-wide" aria-labelledby="jobs-title">
      <div className="section-head">
        <h1 id="jobs-title">Jobs</h1>
        <div className="toolbar">
          {jobs && (
            <span className="muted" aria-live="polite">
              {total} job{total === 1 ? "" : "s"}
              {active ? `, ${active} active on this page` : ""}
            </span>
          )}
          <button type="button" className="btn btn-small" onClick={() => void reload()}>
            Refresh
          </button>
          <Link className="btn btn-small btn-primary" to="/">
            Upload
          </Link>
        </div>
      </div>
      {error !== null && <ErrorNote error={error} onRetry={() => void reload()} />}
      {jobs === null && loading && <Loading what="jobs" />}
      {jobs && jobs.length === 0 && (
        <Empty>
          No jobs yet. <Link to="/">Upload a video</Link> to start one.
        </Empty>
      )}
      {jobs && jobs.length > 0 && (
        <div className="table-wrap">
          <table className="jobs-table">
            <thead>
              <tr>
                <th scope="col">Video</th>
                <th scope="col">Status</th>
                <th scope="col">Progress</th>
                <th scope="col">Backend</th>
                <th scope="col" className="num" title="Deliveries to a worker, crashes included">
                  Attempts
                </th>
                <th scope="col">Created</th>
                <th scope="col" className="num">Time taken</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <JobRow key={job.id} job={job} now={now} onRemove={remove} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {total > PAGE_SIZE && (
        <nav className="pager" aria-label="Pages of jobs">
          <button
            type="button"
            className="btn btn-small"
            disabled={offset === 0}
            onClick={() => goTo(Math.max(0, offset - PAGE_SIZE))}
          >
            ← Newer
          </button>
          <span className="muted">
            {offset + 1}–{Math.min(total, offset + PAGE_SIZE)} of {total}
          </span>
          <button
            type="button"
            className="btn btn-small"
            disabled={offset + PAGE_SIZE >= total}
            onClick={() => goTo(offset + PAGE_SIZE)}
          >
            Older →
          </button>
        </nav>
      )}
    </section>
  );
}
