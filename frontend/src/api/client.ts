// The typed API client: paths and bodies come from openapi.json (npm run gen:api).
import createClient from "openapi-fetch";
import type { paths } from "./schema";

/** An error the API answered with, or a failure to reach it, with a message a person can act on. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

const origin = typeof window === "undefined" ? "http://localhost" : window.location.origin;

export const api = createClient<paths>({ baseUrl: origin });

interface ErrorBody {
  error?: { code?: unknown; message?: unknown };
}

/** Turn an API error body (or its absence) into an ApiError. */
export function toApiError(status: number, body: unknown, statusText = ""): ApiError {
  const err = (body as ErrorBody | null | undefined)?.error;
  if (err && typeof err.message === "string") {
    return new ApiError(status, typeof err.code === "string" ? err.code : "error", err.message);
  }
  if (status === 0) {
    return new ApiError(0, "network", "Could not reach the API. Is backend-api running?");
  }
  if (status === 502 || status === 504 || (status === 500 && !body)) {
    return new ApiError(
      status,
      "unreachable",
      `The API did not answer (HTTP ${status}). Is backend-api running?`,
    );
  }
  const text = statusText ? ` ${statusText}` : "";
  return new ApiError(status, "http", `The API answered HTTP ${status}${text}.`);
}

interface FetchResult<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** The data of an openapi-fetch result, or throw its ApiError. */
export async function unwrap<T>(call: Promise<FetchResult<T>>): Promise<T> {
  let result: FetchResult<T>;
  try {
    result = await call;
  } catch (e) {
    if (e instanceof DOMException && e.name === "AbortError") throw e;
    throw toApiError(0, null);
  }
  const { data, error, response } = result;
  if (!response.ok) throw toApiError(response.status, error, response.statusText);
  return data as T;
}

/** Where the browser downloads or streams a job's files from. */
export const jobUrls = (id: string) => {
  const base = `/api/jobs/${encodeURIComponent(id)}`;
  return {
    events: `${base}/events`,
    posesJson: `${base}/poses`,
    posesCsv: `${base}/poses?format=csv`,
    overlay: `${base}/overlay.mp4`,
    video: `${base}/video`,
  };
};
