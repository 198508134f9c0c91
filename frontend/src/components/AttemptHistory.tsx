// What happened to a job that took more than one attempt: who ran each, from which frame.
import type { Attempt } from "../api/types";
import { formatWhen } from "../format";
import { attemptStart } from "../jobs/jobInfo";

export function AttemptHistory({ attempts }: { attempts: Attempt[] }) {
  if (attempts.length < 2) return null;
  return (
    <details className="attempts panel" data-testid="attempt-history">
      <summary>
        {attempts.length} attempts: the worker stopped and the job went on
      </summary>
      <ol>
        {attempts.map((a) => (
          <li key={a.attempt} data-attempt={a.attempt}>
            <strong>Attempt {a.attempt}</strong>, {attemptStart(a)}{" "}
            <span className="muted small">
              on {a.worker ?? "an unknown worker"}, {formatWhen(a.started_at)}
            </span>
          </li>
        ))}
      </ol>
    </details>
  );
}
