// What the viewer draws when playback stops: the picture is settled on currentTime's frame,
// and callbacks for frames presented around the pause cannot draw another one.
import { renderHook } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { FramePoses } from "./types";
import { useFrameCallback } from "./useFrameCallback";
import { useSettleOnPause } from "./useSettleOnPause";

const FPS = 5;
const frames: FramePoses[] = Array.from({ length: 65 }, (_, i) => ({ i, t: i / FPS, people: [] }));

type FrameCallback = (now: number, meta: { mediaTime: number }) => void;

/** A <video> whose playback state the test sets, with requestVideoFrameCallback. */
function videoElement() {
  const video = document.createElement("video");
  const state = { currentTime: 0, paused: true, ended: false, seeking: false, seeks: [] as number[] };
  let pending: FrameCallback | null = null;
  Object.defineProperties(video, {
    paused: { get: () => state.paused },
    ended: { get: () => state.ended },
    seeking: { get: () => state.seeking },
    readyState: { get: () => 4 },
    currentTime: {
      get: () => state.currentTime,
      set: (t: number) => {
        state.currentTime = t;
        state.seeking = true;
        state.seeks.push(t);
      },
    },
  });
  Object.assign(video, {
    requestVideoFrameCallback: (cb: FrameCallback) => {
      pending = cb;
      return 1;
    },
    cancelVideoFrameCallback: () => {
      pending = null;
    },
  });
  const present = (mediaTime: number) => {
    const cb = pending;
    pending = null;
    cb?.(performance.now(), { mediaTime });
  };
  const fire = (type: string) => video.dispatchEvent(new Event(type));
  const seekDone = () => {
    state.seeking = false;
    fire("seeked");
  };
  return { video, state, present, fire, seekDone };
}

function viewer(el: HTMLVideoElement) {
  const drawn: number[] = [];
  renderHook(() => {
    useFrameCallback(el, (t) => drawn.push(t));
    useSettleOnPause(el, frames, FPS);
  });
  return drawn;
}

describe("when playback stops", () => {
  it("settles a pause between frames on the middle of currentTime's frame", () => {
    const { video, state, present, fire, seekDone } = videoElement();
    const drawn = viewer(video);
    state.paused = false;
    present(3.6);
    expect(drawn.at(-1)).toBe(3.6);
    // Paused at 3.787 s (frame 18), then the 3.8 s frame (19) is presented after the pause.
    state.currentTime = 3.787;
    state.paused = true;
    fire("pause");
    expect(state.seeks).toEqual([expect.closeTo(3.7, 9)]);
    present(3.8);
    expect(drawn.at(-1)).not.toBe(3.8);
    seekDone();
    present(3.6); // the frame the seek shows
    expect(drawn.slice(-2)).toEqual([expect.closeTo(3.7, 9), expect.closeTo(3.7, 9)]);
  });

  it("settles a pause whose frame was never presented (a loaded machine)", () => {
    const { video, state, present, fire, seekDone } = videoElement();
    const drawn = viewer(video);
    state.paused = false;
    present(5.4);
    // The clock reached frame 28 (5.6 s), but frame 27 is still on screen when it stops.
    state.currentTime = 5.603;
    state.paused = true;
    fire("pause");
    expect(state.seeks).toEqual([expect.closeTo(5.7, 9)]);
    seekDone();
    expect(drawn.at(-1)).toBeCloseTo(5.7, 9);
  });

  it("leaves a video that ended, a pending seek and a settled frame alone", () => {
    const { video, state, fire } = videoElement();
    const drawn = viewer(video);
    state.ended = true;
    state.currentTime = 13;
    fire("pause");
    state.ended = false;
    state.seeking = true;
    fire("pause");
    state.seeking = false;
    state.currentTime = 2.1;
    fire("pause");
    expect(state.seeks).toEqual([]);
    expect(drawn.at(-1)).toBe(2.1);
  });

  it("draws each presented frame while playing", () => {
    const { video, state, present } = videoElement();
    const drawn = viewer(video);
    state.paused = false;
    for (const t of [0.2, 0.4, 0.8]) {
      state.currentTime = t - 0.01; // currentTime runs behind or ahead of the picture
      present(t);
    }
    expect(drawn.slice(-3)).toEqual([0.2, 0.4, 0.8]);
  });
});
