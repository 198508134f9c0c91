import { describe, expect, it } from "vitest";
import { backingSize, containRect, pointMapper, strokeWidth } from "./geometry";

describe("containRect (object-fit: contain)", () => {
  it("fills the box exactly when the aspect ratios match", () => {
    expect(containRect(640, 360, 1280, 720)).toEqual({ x: 0, y: 0, width: 640, height: 360 });
  });

  it("pillarboxes a portrait video in a landscape box", () => {
    // 720x1280 scaled by 720/1280 = 0.5625 -> 405x720, centred: bars of 437.5 px each side.
    expect(containRect(1280, 720, 720, 1280)).toEqual({ x: 437.5, y: 0, width: 405, height: 720 });
  });

  it("letterboxes a wide video in a square box", () => {
    expect(containRect(800, 800, 1920, 1080)).toEqual({ x: 0, y: 175, width: 800, height: 450 });
  });

  it("scales up a small video", () => {
    const r = containRect(1000, 500, 320, 240)!;
    expect(r.width).toBeCloseTo(500 * (4 / 3));
    expect(r.height).toBeCloseTo(500);
    expect(r.x).toBeCloseTo((1000 - 500 * (4 / 3)) / 2);
    expect(r.y).toBeCloseTo(0);
  });

  it("is null until both sizes are known", () => {
    expect(containRect(0, 360, 1280, 720)).toBeNull();
    expect(containRect(640, 360, 0, 0)).toBeNull();
    expect(containRect(640, 360, NaN, 720)).toBeNull();
  });
});

describe("pointMapper (result pixels to canvas pixels)", () => {
  it("puts the corners and the centre of a portrait video where the picture is", () => {
    const rect = containRect(1280, 720, 720, 1280)!;
    const map = pointMapper(720, 1280, rect);
    expect(map(0, 0)).toEqual([437.5, 0]);
    expect(map(720, 1280)).toEqual([842.5, 720]);
    expect(map(360, 640)).toEqual([640, 360]);
  });

  it("offsets by the letterbox bars of a wide video", () => {
    const rect = containRect(800, 800, 1920, 1080)!;
    const map = pointMapper(1920, 1080, rect);
    expect(map(0, 0)).toEqual([0, 175]);
    expect(map(960, 540)).toEqual([400, 400]);
    expect(map(1920, 1080)).toEqual([800, 625]);
  });

  it("scales everything by the device pixel ratio", () => {
    const rect = containRect(1280, 720, 720, 1280)!;
    const [x, y] = pointMapper(720, 1280, rect, 2)(360, 640);
    expect([x, y]).toEqual([1280, 720]);
  });

  it("maps result pixels onto the picture even when the decoded size differs slightly", () => {
    // The result is 1919x1080 but the player shows a 1920x1080 picture (odd size padded).
    const rect = containRect(960, 540, 1920, 1080)!;
    const [x, y] = pointMapper(1919, 1080, rect)(1919, 1080);
    expect(x).toBeCloseTo(960);
    expect(y).toBeCloseTo(540);
  });

  it("keeps a joint's relative position across video sizes", () => {
    for (const [w, h] of [[640, 360], [1280, 720], [1920, 1088], [720, 1280], [500, 500]] as const) {
      const rect = containRect(1000, 600, w, h)!;
      const [x, y] = pointMapper(w, h, rect)(w * 0.25, h * 0.75);
      expect((x - rect.x) / rect.width).toBeCloseTo(0.25);
      expect((y - rect.y) / rect.height).toBeCloseTo(0.75);
    }
  });
});

describe("sizes", () => {
  it("thickens strokes with the picture like overlay.py, at least 2 px", () => {
    expect(strokeWidth({ x: 0, y: 0, width: 300, height: 200 })).toBe(2);
    expect(strokeWidth({ x: 0, y: 0, width: 1920, height: 1080 })).toBe(5);
    expect(strokeWidth({ x: 0, y: 0, width: 960, height: 540 }, 2)).toBe(5);
  });

  it("sizes the backing store in device pixels", () => {
    expect(backingSize(640, 360, 2)).toEqual([1280, 720]);
    expect(backingSize(0, 0, 1)).toEqual([1, 1]);
  });
});
