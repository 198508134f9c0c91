// When playback stops, put the picture on exactly the frame that currentTime falls in.
//
// Why: Chrome presents each frame at the vsync nearest its time, so up to a vsync early,
// and under load late or not at all. At the moment of a pause the picture can be the frame
// before or after the one currentTime is in (seen: paused at 3.787 s with the 3.8 s frame
// presented after the pause; paused at 5.603 s with the 5.4 s frame still on screen), and
// nothing presents another frame while paused. A seek to the middle of currentTime's frame
// makes the browser decode and show that frame, so the picture, currentTime, the frame
// number and the skeletons drawn over it all agree, whatever the machine's load.
import { useEffect } from "react";
import { frameSeekTime } from "./frames";
import type { FramePoses } from "./types";

// Already this close to the middle of its frame: settled, no seek.
const SETTLED_S = 0.001;

export function useSettleOnPause(
  video: HTMLVideoElement | null,
  frames: FramePoses[],
  fps: number,
): void {
  useEffect(() => {
    if (!video) return;
    const onPause = () => {
      // At the end the last frame stays; a pending seek shows its own frame when done.
      if (video.ended || video.seeking) return;
      const target = frameSeekTime(frames, video.currentTime, fps);
      if (target !== null && Math.abs(target - video.currentTime) > SETTLED_S) {
        video.currentTime = target;
      }
    };
    video.addEventListener("pause", onPause);
    return () => video.removeEventListener("pause", onPause);
  }, [video, frames, fps]);
}
