import { describe, expect, it } from "vitest";
import { frameAtTime, frameSeekTime, lastingFrames, personInFrame, summariseTracks } from "./frames";
import type { FramePoses, PersonPose } from "./types";

const person = (track: number, kp3d = true): PersonPose => ({
  track,
  bbox: [0, 0, 10, 10],
  score: 1,
  kp2d: [[1, 1, 1]],
  kp3d: kp3d ? [[0, 0, 0]] : null,
});

// 5 fps, frames 0..9 at t = i / 5; frame 6 failed to decode and is absent.
const frames: FramePoses[] = [0, 1, 2, 3, 4, 5, 7, 8, 9].map((i) => ({
  i,
  t: i / 5,
  people: i < 3 ? [person(1)] : [person(1), person(2, false)],
}));

describe("frameAtTime", () => {
  it("finds the frame at its exact presentation time", () => {
    expect(frameAtTime(frames, 0, 5)?.i).toBe(0);
    expect(frameAtTime(frames, 0.4, 5)?.i).toBe(2);
    expect(frameAtTime(frames, 1.8, 5)?.i).toBe(9);
  });

  it("shows the last frame that started before a time between frames", () => {
    expect(frameAtTime(frames, 0.5, 5)?.i).toBe(2);
    expect(frameAtTime(frames, 0.59, 5)?.i).toBe(2);
  });

  it("absorbs rounding in the player's clock", () => {
    expect(frameAtTime(frames, 0.6 - 1e-4, 5)?.i).toBe(3);
    expect(frameAtTime(frames, 0.19999, 5)?.i).toBe(1);
  });

  it("is null before the first frame and well past the last", () => {
    expect(frameAtTime([{ i: 0, t: 0.5, people: [] }], 0.1, 5)).toBeNull();
    expect(frameAtTime(frames, 2.5, 5)).toBeNull();
    expect(frameAtTime([], 0, 5)).toBeNull();
    expect(frameAtTime(frames, NaN, 5)).toBeNull();
  });

  it("keeps the previous frame for one frame time over a lost frame, then shows nothing", () => {
    expect(frameAtTime(frames, 1.2, 5)?.i).toBe(5);
    expect(frameAtTime(frames, 1.4, 5)?.i).toBe(7);
    const gap: FramePoses[] = [{ i: 0, t: 0, people: [] }, { i: 5, t: 1, people: [] }];
    expect(frameAtTime(gap, 0.5, 5)).toBeNull();
  });
});

describe("frameSeekTime", () => {
  it("aims at the middle of the frame shown, wherever in it the time is", () => {
    expect(frameSeekTime(frames, 0.4, 5)).toBeCloseTo(0.5, 9);
    expect(frameSeekTime(frames, 0.59, 5)).toBeCloseTo(0.5, 9);
    expect(frameSeekTime(frames, 0.6 - 1e-4, 5)).toBeCloseTo(0.7, 9); // the clock's rounding
  });

  it("steps one frame at a time from the middle of a frame, never two", () => {
    let time = frameSeekTime(frames, 0, 5)!;
    const seen = [];
    for (let k = 0; k < 5; k += 1) {
      time = frameSeekTime(frames, time, 5, 1)!;
      seen.push(frameAtTime(frames, time, 5)?.i);
    }
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(frameAtTime(frames, frameSeekTime(frames, time, 5, -1)!, 5)?.i).toBe(4);
  });

  it("counts video frames over a frame lost to decoding", () => {
    // Frame 6 has no result: stepping from 5 lands in its time, then on 7.
    expect(frameSeekTime(frames, 1.0, 5, 1)).toBeCloseTo(1.3, 9);
    expect(frameSeekTime(frames, 1.3, 5, 1)).toBeCloseTo(1.5, 9);
  });

  it("never aims before the start, and gives up without a frame rate", () => {
    expect(frameSeekTime(frames, 0, 5, -3)).toBe(0);
    expect(frameSeekTime(frames, 0.5, 0)).toBeNull();
    expect(frameSeekTime(frames, NaN, 5)).toBeNull();
  });
});

describe("tracks", () => {
  it("summarises who appears, for how long, and with 3D joints or not", () => {
    expect(summariseTracks(frames, 5)).toEqual([
      { track: 1, frames: 9, firstT: 0, lastT: 1.8, has3d: true, lasting: true },
      { track: 2, frames: 6, firstT: 0.6, lastT: 1.8, has3d: false, lasting: true },
    ]);
  });

  it("tells people from brief detections: half a second, or all of a shorter video", () => {
    expect(lastingFrames(30, 200)).toBe(15);
    expect(lastingFrames(5, 65)).toBe(3);
    expect(lastingFrames(30, 4)).toBe(4);
    expect(lastingFrames(0, 10)).toBe(1);
    // Track 1 is in all 9 frames, track 2 in 6: at 12 fps 6 frames are needed, at 13 fps 7,
    // at 20 fps 10, more than the result has, so all 9.
    expect(summariseTracks(frames, 12).map((t) => t.lasting)).toEqual([true, true]);
    expect(summariseTracks(frames, 13).map((t) => t.lasting)).toEqual([true, false]);
    expect(summariseTracks(frames, 20).map((t) => t.lasting)).toEqual([true, false]);
  });

  it("finds a person by track id in a frame", () => {
    expect(personInFrame(frames[4]!, 2)?.track).toBe(2);
    expect(personInFrame(frames[0]!, 2)).toBeNull();
    expect(personInFrame(null, 1)).toBeNull();
  });
});
