import { act, renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { ApiError } from "../api/client";
import type { UploadHandle } from "../api/upload";
import type { UploadAccepted } from "../api/types";
import { useUploadQueue } from "./useUploadQueue";

/** An uploader whose uploads finish when the test says so. */
function controlledUploader() {
  const started: {
    file: File;
    progress: (loaded: number, total: number) => void;
    resolve: (v: UploadAccepted) => void;
    reject: (e: unknown) => void;
  }[] = [];
  const upload = (file: File, progress: (loaded: number, total: number) => void): UploadHandle => {
    let resolve!: (v: UploadAccepted) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<UploadAccepted>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    started.push({ file, progress, resolve, reject });
    return { promise, abort: () => reject(new ApiError(0, "aborted", "Upload canceled.")) };
  };
  return { upload, started };
}

describe("useUploadQueue", () => {
  it("uploads several files one after another, newest listed first", async () => {
    const { upload, started } = controlledUploader();
    const { result } = renderHook(() => useUploadQueue(upload));
    act(() => result.current.add([new File(["1"], "one.mp4"), new File(["22"], "two.mp4")]));

    expect(started.map((s) => s.file.name)).toEqual(["one.mp4"]);
    expect(result.current.items.map((i) => [i.name, i.state])).toEqual([
      ["two.mp4", "waiting"],
      ["one.mp4", "uploading"],
    ]);
    act(() => started[0]!.progress(1, 1));
    await act(async () => started[0]!.resolve({ job_id: "j1", video_id: "v1", status: "queued" }));

    expect(started.map((s) => s.file.name)).toEqual(["one.mp4", "two.mp4"]);
    await act(async () =>
      started[1]!.reject(new ApiError(415, "not_a_video", "two.mp4 is not a video.")),
    );
    expect(result.current.items.map((i) => [i.name, i.state, i.jobId ?? i.error])).toEqual([
      ["two.mp4", "error", "two.mp4 is not a video."],
      ["one.mp4", "done", "j1"],
    ]);

    // More files after the first batch are uploaded too.
    act(() => result.current.add([new File(["3"], "three.mp4")]));
    expect(started.map((s) => s.file.name)).toEqual(["one.mp4", "two.mp4", "three.mp4"]);
    act(() => result.current.clearFinished());
    expect(result.current.items.map((i) => i.name)).toEqual(["three.mp4"]);
  });

  it("cancels the running upload or a waiting one", async () => {
    const { upload, started } = controlledUploader();
    const { result } = renderHook(() => useUploadQueue(upload));
    act(() => result.current.add([new File(["1"], "one.mp4"), new File(["2"], "two.mp4")]));
    const [two, one] = result.current.items;
    act(() => result.current.cancel(two!.key));
    await act(async () => result.current.cancel(one!.key));
    expect(started).toHaveLength(1);
    expect(result.current.items.map((i) => [i.state, i.error])).toEqual([
      ["error", "Upload canceled."],
      ["error", "Upload canceled."],
    ]);
  });
});
