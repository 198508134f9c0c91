// Playback rate, frame stepping and the frame number, under the video's own controls.
import { useEffect, useState } from "react";
import { formatClock } from "../format";
import { frameAtTime, frameSeekTime } from "../pose/frames";
import type { MediaClock } from "../pose/mediaClock";
import type { FramePoses } from "../pose/types";

const RATES = [0.25, 0.5, 1, 1.5, 2];

export interface PlaybackControlsProps {
  video: HTMLVideoElement | null;
  fps: number;
  clock: MediaClock;
  frames: FramePoses[];
}

export function PlaybackControls({ video, fps, clock, frames }: PlaybackControlsProps) {
  const [rate, setRate] = useState(1);
  const [time, setTime] = useState(0);
  useEffect(() => clock.subscribe(setTime), [clock]);
  useEffect(() => {
    if (!video) return;
    const sync = () => setRate(video.playbackRate);
    video.addEventListener("ratechange", sync);
    return () => video.removeEventListener("ratechange", sync);
  }, [video]);

  const step = (offset: number) => {
    if (!video) return;
    // From the frame on screen; rounding clock.time instead would skip a frame whenever
    // the clock reads the middle of one (after a seek or a pause).
    const target = frameSeekTime(frames, clock.time, fps, offset);
    if (target === null) return;
    video.pause();
    video.currentTime = target;
  };
  const frame = frameAtTime(frames, time, fps);

  return (
    <div className="playback" role="group" aria-label="Playback">
      <button type="button" className="btn btn-small" onClick={() => step(-1)} disabled={!video}>
        ◀ Frame
      </button>
      <button type="button" className="btn btn-small" onClick={() => step(1)} disabled={!video}>
        Frame ▶
      </button>
      <label className="inline-field">
        Speed
        <select
          value={rate}
          onChange={(e) => {
            const r = Number(e.target.value);
            setRate(r);
            if (video) video.playbackRate = r;
          }}
          disabled={!video}
        >
          {RATES.map((r) => (
            <option key={r} value={r}>
              {r}×
            </option>
          ))}
        </select>
      </label>
      <span className="muted mono" aria-live="off">
        {formatClock(time)} · frame {frame ? frame.i : "–"}
        {frame ? ` · ${frame.people.length} ${frame.people.length === 1 ? "person" : "people"}` : ""}
      </span>
    </div>
  );
}
