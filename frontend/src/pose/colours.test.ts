import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { MIN_VISIBILITY, TRACK_COLOURS, trackColour, trackCss } from "./colours";

// vitest runs in frontend/; the renderer lives in the Python package next to it.
const overlayPy = resolve(process.cwd(), "../src/posepipe/video/overlay.py");

describe("track colours", () => {
  it("are the overlay renderer's palette, so the MP4 and the viewer agree", () => {
    const source = readFileSync(overlayPy, "utf-8");
    const block = /TRACK_COLOURS[^=]*=\s*\(([\s\S]*?)\n\)/.exec(source)?.[1] ?? "";
    const palette = [...block.matchAll(/\((\d+),\s*(\d+),\s*(\d+)\)/g)].map((m) =>
      [Number(m[1]), Number(m[2]), Number(m[3])],
    );
    expect(palette.length).toBeGreaterThan(0);
    expect(TRACK_COLOURS).toEqual(palette);
    const visibility = /MIN_VISIBILITY\s*=\s*([\d.]+)/.exec(source)?.[1];
    expect(MIN_VISIBILITY).toBe(Number(visibility));
  });

  it("cycle by track id from 1", () => {
    expect(trackColour(1)).toEqual([230, 25, 75]);
    expect(trackColour(2)).toEqual([60, 180, 75]);
    expect(trackColour(11)).toEqual(trackColour(1));
    expect(trackCss(4)).toBe("rgb(0, 130, 200)");
  });
});
