// A System page reading from a route that an older API may not have: its body, "unsupported"
// (404 or 405: the page says the figure is unknown), or the API's error as a sentence.
import { toApiError } from "../api/client";

export type RouteReading<T> =
  | { kind: "ok"; data: T }
  | { kind: "unsupported" }
  | { kind: "error"; message: string };

type Answer<T> = { data?: T; error?: unknown; response: Response };

/** Await one generated-client call and classify its answer. */
export async function readOptionalRoute<T>(call: () => Promise<Answer<T>>): Promise<RouteReading<T>> {
  let result: Answer<T>;
  try {
    result = await call();
  } catch {
    return { kind: "error", message: toApiError(0, null).message };
  }
  const { data, error, response } = result;
  if (response.status === 404 || response.status === 405) return { kind: "unsupported" };
  if (!response.ok || !data) {
    return { kind: "error", message: toApiError(response.status, error, response.statusText).message };
  }
  return { kind: "ok", data };
}
