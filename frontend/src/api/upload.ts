// Uploads go through XMLHttpRequest: fetch() cannot report upload progress.
import { ApiError, toApiError } from "./client";
import type { UploadAccepted } from "./types";

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
      onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    };
    xhr.onload = () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status === 201 || xhr.status === 200) {
        onProgress(file.size, file.size);
        resolve(body as UploadAccepted);
      } else {
        reject(toApiError(xhr.status, body, xhr.statusText));
      }
    };
    xhr.onerror = () => {
      // The server may close the connection before reading the whole body (a file over
      // the size limit is refused early), and then the browser reports no status at all.
      reject(
        new ApiError(
          0,
          "network",
          "The connection closed before the upload finished: the API may be down, " +
            "or the file may be larger than it accepts.",
        ),
      );
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
