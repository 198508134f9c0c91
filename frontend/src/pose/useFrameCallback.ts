// Calls back with the media time of each frame the <video> presents: while playing at any
// rate, after a seek, once the first frame is ready, and when playback stops.
import { useEffect, useRef } from "react";

type VideoWithFrameCallback = HTMLVideoElement & {
  requestVideoFrameCallback?: (
    cb: (now: number, meta: { mediaTime: number }) => void,
  ) => number;
  cancelVideoFrameCallback?: (handle: number) => void;
};

/** Whether this browser tells us exactly when each video frame is composited. */
export function hasFrameCallback(video: HTMLVideoElement): boolean {
  return typeof (video as VideoWithFrameCallback).requestVideoFrameCallback === "function";
}

export function useFrameCallback(
  video: HTMLVideoElement | null,
  onFrame: (mediaTime: number) => void,
): void {
  const callback = useRef(onFrame);
  callback.current = onFrame;

  useEffect(() => {
    if (!video) return;
    const v = video as VideoWithFrameCallback;
    let stopped = false;
    let handle = 0;
    let raf = 0;
    const emit = (t: number) => callback.current(t);

    if (hasFrameCallback(v)) {
      // mediaTime is the presentation time of the frame actually shown: exact, unlike
      // currentTime, which runs ahead of the picture between frames.
      const onVideoFrame = (_now: number, meta: { mediaTime: number }) => {
        if (stopped) return;
        // Paused, a callback can still come for a frame presented around the pause, whose
        // mediaTime is not where playback stopped; the paused picture is settled on
        // currentTime's frame (useSettleOnPause), so currentTime is the truth then, and
        // during a seek 'seeked' tells when its frame is there.
        if (!v.paused) emit(meta.mediaTime);
        else if (!v.seeking) emit(v.currentTime);
        handle = v.requestVideoFrameCallback!(onVideoFrame);
      };
      handle = v.requestVideoFrameCallback!(onVideoFrame);
    }
    const tick = () => {
      if (stopped) return;
      emit(v.currentTime);
      if (!v.paused && !v.ended) raf = requestAnimationFrame(tick);
    };
    const onPlay = () => {
      if (!hasFrameCallback(v)) raf = requestAnimationFrame(tick);
    };
    // Paused seeks, a pause and the first frame: currentTime is then the time of the frame
    // shown (or about to be, once a pause has settled it).
    const onStill = () => {
      if (!v.seeking) emit(v.currentTime);
    };
    v.addEventListener("play", onPlay);
    v.addEventListener("pause", onStill);
    v.addEventListener("seeked", onStill);
    v.addEventListener("loadeddata", onStill);
    if (v.readyState >= 2) onStill();

    return () => {
      stopped = true;
      if (handle && v.cancelVideoFrameCallback) v.cancelVideoFrameCallback(handle);
      cancelAnimationFrame(raf);
      v.removeEventListener("play", onPlay);
      v.removeEventListener("pause", onStill);
      v.removeEventListener("seeked", onStill);
      v.removeEventListener("loadeddata", onStill);
    };
  }, [video]);
}
