// Uploads go through XMLHttpRequest: fetch() cannot report upload progress.
import { ApiError, toApiError } from "./client";
import type { UploadAccepted } from "./types";

const CUT_OFF =
  "The connection closed before the upload finished: the file may be larger than the " +
  "server accepts (MAX_UPLOAD_MB), or the API is down.";

export interface UploadHandle {
  promise: Promise<UploadAccepted>;
  abort: () => void;
}

/** POST one file to /api/videos as multipart field `file`, reporting bytes sent. */
export function uploadVideo(
  file: File,
  onProgress: (loaded: number, total: number) => void,
  url = "/api/videos",
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<UploadAccepted>((resolve, reject) => {
    xhr.open("POST", url);
    xhr.responseType = "text";
    xhr.upload.onprogress = (e) => {
      // The body is the file plus multipart framing: report the file's share of it.
      const sent = e.lengthComputable && e.total > 0 ? (file.size * e.loaded) / e.total : e.loaded;
      onProgress(Math.min(file.size, Math.round(sent)), file.size);
    };
    xhr.onload = () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status === 201 || xhr.status === 200) {
        onProgress(file.size, file.size);
        resolve(body as UploadAccepted);
      } else if (xhr.status === 502 && !(body as { error?: unknown } | null)?.error) {
        // The dev server's proxy lost the API mid-upload. The API cuts an upload over
        // MAX_UPLOAD_MB short with a 413, and the proxy may see the cut before the answer.
        reject(new ApiError(502, "cut_off", CUT_OFF));
      } else {
        reject(toApiError(xhr.status, body, xhr.statusText));
      }
    };
    xhr.onerror = () => {
      // The server may close the connection before reading the whole body (a file over
      // the size limit is refused early), and then the browser reports no status at all.
      reject(new ApiError(0, "network", CUT_OFF));
    };
    xhr.onabort = () => reject(new ApiError(0, "aborted", "Upload canceled."));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
