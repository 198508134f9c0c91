// Finding the result frame on screen at a video time, and who appears in a result.
import type { FramePoses, PersonPose } from "./types";

const SLACK_S = 0.001;

/**
 * The result frame shown at `time` seconds: the last frame whose t is at or before it.
 * A millisecond of slack absorbs rounding between the stored timestamps and the player's
 * clock (both come from the same container timestamps). A frame that failed to decode is absent from the results, so the one
 * before it is not shown for longer than one frame time: then nothing is (null).
 */
export function frameAtTime(frames: FramePoses[], time: number, fps: number): FramePoses | null {
  if (!frames.length || !Number.isFinite(time)) return null;
  const period = fps > 0 ? 1 / fps : 0;
  const target = time + SLACK_S;
  let lo = 0;
  let hi = frames.length - 1;
  if (frames[0]!.t > target) return null;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (frames[mid]!.t <= target) lo = mid;
    else hi = mid - 1;
  }
  const frame = frames[lo]!;
  if (period > 0 && time - frame.t > period * 1.5) return null;
  return frame;
}

/**
 * Where to seek so that the frame `offset` frames after the one shown at `time` is on
 * screen: half a frame into it, so that rounding in the player cannot land on a neighbour.
 * Counted in video frames (1 / fps), over frames lost to decoding errors too. Null when the
 * frame rate is unknown.
 */
export function frameSeekTime(
  frames: FramePoses[],
  time: number,
  fps: number,
  offset = 0,
): number | null {
  if (!(fps > 0) || !Number.isFinite(time)) return null;
  const period = 1 / fps;
  // The result frame shown, while `time` is within its own frame time; else (a frame lost
  // to decoding, no results there) the video frame on the 1 / fps grid.
  const shown = frameAtTime(frames, time, fps);
  const within = shown !== null && time + SLACK_S < shown.t + period;
  const start = within ? shown.t : Math.floor((time + SLACK_S) * fps) * period;
  return Math.max(0, start + (offset + 0.5) * period);
}

/** The person with this track id in a frame, if there. */
export function personInFrame(frame: FramePoses | null, track: number): PersonPose | null {
  return frame?.people.find((p) => p.track === track) ?? null;
}

export interface TrackSummary {
  track: number;
  frames: number;
  firstT: number;
  lastT: number;
  has3d: boolean;
  /** Seen long enough to be a person rather than a brief detection (lastingFrames). */
  lasting: boolean;
}

/**
 * A track seen for this long is a person; shorter ones are mostly a skeleton the model got
 * wrong for a frame or two. LASTING_TRACK_S in src/posepipe/pose/tracking.py: the CLI's
 * summary counts people the same way.
 */
export const LASTING_TRACK_S = 0.5;

/** Frames a track must be seen in to count as a person (or all of a shorter video's). */
export function lastingFrames(fps: number, totalFrames: number): number {
  return Math.max(1, Math.min(Math.ceil(LASTING_TRACK_S * fps), totalFrames));
}

/** Every track in a result, ordered by id, with how long it is seen. */
export function summariseTracks(frames: FramePoses[], fps: number): TrackSummary[] {
  const byTrack = new Map<number, TrackSummary>();
  for (const frame of frames) {
    for (const person of frame.people) {
      const s = byTrack.get(person.track);
      if (s) {
        s.frames += 1;
        s.lastT = frame.t;
        s.has3d ||= person.kp3d !== null && person.kp3d !== undefined;
      } else {
        byTrack.set(person.track, {
          track: person.track,
          frames: 1,
          firstT: frame.t,
          lastT: frame.t,
          has3d: person.kp3d !== null && person.kp3d !== undefined,
          lasting: false,
        });
      }
    }
  }
  const least = lastingFrames(fps, frames.length);
  return [...byTrack.values()]
    .map((s) => ({ ...s, lasting: s.frames >= least }))
    .sort((a, b) => a.track - b.track);
}
