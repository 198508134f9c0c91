// Files waiting, uploading and done, uploaded one at a time in the order they were added.
import { useCallback, useEffect, useRef, useState } from "react";
import { uploadVideo, type UploadHandle } from "../api/upload";

export type UploadState = "waiting" | "uploading" | "done" | "error";

export interface UploadItem {
  key: number;
  name: string;
  size: number;
  loaded: number;
  state: UploadState;
  jobId?: string;
  error?: string;
}

type Uploader = typeof uploadVideo;

export function useUploadQueue(upload: Uploader = uploadVideo) {
  const [items, setItems] = useState<UploadItem[]>([]);
  const files = useRef(new Map<number, File>());
  const current = useRef<UploadHandle | null>(null);
  const nextKey = useRef(1);

  const patch = useCallback((key: number, change: Partial<UploadItem>) => {
    setItems((list) => list.map((it) => (it.key === key ? { ...it, ...change } : it)));
  }, []);

  const add = useCallback((picked: Iterable<File>) => {
    const added: UploadItem[] = [];
    for (const file of picked) {
      const key = nextKey.current++;
      files.current.set(key, file);
      added.push({ key, name: file.name, size: file.size, loaded: 0, state: "waiting" });
    }
    // Newest first, like the jobs list.
    setItems((list) => [...added.reverse(), ...list]);
  }, []);

  const busy = items.some((it) => it.state === "uploading");
  const next = [...items].reverse().find((it) => it.state === "waiting");

  useEffect(() => {
    if (busy || !next) return;
    const file = files.current.get(next.key);
    if (!file) return;
    const key = next.key;
    patch(key, { state: "uploading" });
    const handle = upload(file, (loaded) => patch(key, { loaded }));
    current.current = handle;
    handle.promise.then(
      (accepted) => patch(key, { state: "done", loaded: file.size, jobId: accepted.job_id }),
      (err: unknown) =>
        patch(key, { state: "error", error: err instanceof Error ? err.message : String(err) }),
    ).finally(() => {
      files.current.delete(key);
      if (current.current === handle) current.current = null;
    });
  }, [busy, next, patch, upload]);

  useEffect(() => () => current.current?.abort(), []);

  const cancel = useCallback(
    (key: number) => {
      const item = items.find((it) => it.key === key);
      if (item?.state === "uploading") current.current?.abort();
      else if (item?.state === "waiting") {
        files.current.delete(key);
        patch(key, { state: "error", error: "Upload canceled." });
      }
    },
    [items, patch],
  );

  const clearFinished = useCallback(() => {
    setItems((list) => list.filter((it) => it.state === "waiting" || it.state === "uploading"));
  }, []);

  return { items, add, cancel, clearFinished };
}
