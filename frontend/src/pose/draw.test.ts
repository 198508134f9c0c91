import { describe, expect, it } from "vitest";
import { drawPeople, type Painter } from "./draw";
import type { FramePoses } from "./types";

/** A drawing surface that records what is drawn, in canvas pixels. */
class RecordingPainter implements Painter {
  strokeStyle: string | CanvasGradient | CanvasPattern = "";
  fillStyle: string | CanvasGradient | CanvasPattern = "";
  lineWidth = 1;
  lineCap: CanvasLineCap = "butt";
  font = "";
  textBaseline: CanvasTextBaseline = "alphabetic";
  segments: { colour: string; from: [number, number]; to: [number, number]; width: number }[] = [];
  dots: { colour: string; at: [number, number] }[] = [];
  labels: { text: string; at: [number, number] }[] = [];
  private pen: [number, number] = [0, 0];
  private pending: [[number, number], [number, number]][] = [];

  beginPath() {
    this.pending = [];
  }
  moveTo(x: number, y: number) {
    this.pen = [x, y];
  }
  lineTo(x: number, y: number) {
    this.pending.push([this.pen, [x, y]]);
    this.pen = [x, y];
  }
  stroke() {
    for (const [from, to] of this.pending) {
      this.segments.push({ colour: String(this.strokeStyle), from, to, width: this.lineWidth });
    }
  }
  arc(x: number, y: number) {
    this.pen = [x, y];
  }
  fill() {
    this.dots.push({ colour: String(this.fillStyle), at: this.pen });
  }
  fillRect() {}
  fillText(text: string, x: number, y: number) {
    this.labels.push({ text, at: [x, y] });
  }
  measureText(text: string) {
    return { width: text.length * 8 } as TextMetrics;
  }
}

const frame: FramePoses = {
  i: 3,
  t: 0.6,
  people: [
    { track: 1, bbox: [10, 20, 50, 90], score: 0.9, kp2d: [[10, 20, 0.9], [30, 40, 0.8], [50, 60, 0.1]], kp3d: null },
    { track: 2, bbox: [100, 20, 150, 90], score: 0.9, kp2d: [[110, 20, 0.9], [130, 40, 0.9], [150, 60, 0.9]], kp3d: null },
  ],
};
const edges: [number, number][] = [[0, 1], [1, 2]];
const double = (x: number, y: number): [number, number] => [x * 2, y * 2];

describe("drawPeople", () => {
  it("draws each person's bones in their track colour, at mapped positions", () => {
    const p = new RecordingPainter();
    expect(drawPeople(p, frame, edges, double, 3)).toBe(2);
    const red = p.segments.filter((s) => s.colour === "rgb(230, 25, 75)");
    const green = p.segments.filter((s) => s.colour === "rgb(60, 180, 75)");
    // Track 1's joint 2 is barely visible: only its first bone is drawn.
    expect(red).toEqual([{ colour: "rgb(230, 25, 75)", from: [20, 40], to: [60, 80], width: 3 }]);
    expect(green).toHaveLength(2);
    expect(p.dots.filter((d) => d.colour === "rgb(230, 25, 75)")).toHaveLength(2);
    // Every bone has a wider dark outline drawn first, under it.
    const outline = p.segments.filter((s) => s.colour === "rgb(20, 20, 20)");
    expect(outline).toHaveLength(3);
    expect(outline.every((s) => s.width === 5)).toBe(true);
    expect(p.segments.indexOf(outline[0]!)).toBeLessThan(p.segments.indexOf(red[0]!));
    expect(p.labels.map((l) => l.text)).toEqual(["#1", "#2"]);
  });

  it("leaves hidden tracks out", () => {
    const p = new RecordingPainter();
    expect(drawPeople(p, frame, edges, double, 3, new Set([1]))).toBe(1);
    expect(p.segments.some((s) => s.colour === "rgb(230, 25, 75)")).toBe(false);
    expect(p.segments.filter((s) => s.colour === "rgb(60, 180, 75)")).toHaveLength(2);
    expect(p.labels.map((l) => l.text)).toEqual(["#2"]);
  });

  it("skips edges that name joints the person does not have", () => {
    const p = new RecordingPainter();
    drawPeople(p, frame, [[0, 7]], double, 3);
    expect(p.segments).toHaveLength(0);
  });
});
