// Drawing skeletons on a 2D canvas, the way overlay.py draws them into the MP4.
import { MIN_VISIBILITY, trackCss } from "./colours";
import type { Mapper } from "./geometry";
import type { FramePoses } from "./types";

const OUTLINE = "rgb(20, 20, 20)";

/** The part of CanvasRenderingContext2D the drawing uses. */
export type Painter = Pick<
  CanvasRenderingContext2D,
  | "beginPath" | "moveTo" | "lineTo" | "stroke" | "arc" | "fill" | "fillRect" | "fillText"
  | "measureText" | "strokeStyle" | "fillStyle" | "lineWidth" | "lineCap" | "font"
  | "textBaseline"
>;

/** Draw each shown person's bones, joints and track label for one frame. */
export function drawPeople(
  ctx: Painter,
  frame: FramePoses,
  edges: readonly (readonly [number, number])[],
  map: Mapper,
  width: number,
  hidden: ReadonlySet<number> = new Set(),
): number {
  let drawn = 0;
  ctx.lineCap = "round";
  for (const person of frame.people) {
    if (hidden.has(person.track)) continue;
    const colour = trackCss(person.track);
    const pts = person.kp2d.map(([x, y, v]) => [...map(x, y), v] as const);
    const bones: [number, number, number, number][] = [];
    for (const [a, b] of edges) {
      const pa = pts[a];
      const pb = pts[b];
      if (!pa || !pb || pa[2] < MIN_VISIBILITY || pb[2] < MIN_VISIBILITY) continue;
      bones.push([pa[0], pa[1], pb[0], pb[1]]);
    }
    const joints = pts.filter((p) => p[2] >= MIN_VISIBILITY);
    // A dark outline under the colour, as overlay.py draws it: readable on any background.
    for (const [style, extra] of [[OUTLINE, 2], [colour, 0]] as const) {
      ctx.strokeStyle = style;
      ctx.fillStyle = style;
      ctx.lineWidth = width + extra;
      ctx.beginPath();
      for (const [x0, y0, x1, y1] of bones) {
        ctx.moveTo(x0, y0);
        ctx.lineTo(x1, y1);
      }
      ctx.stroke();
      for (const [x, y] of joints) {
        ctx.beginPath();
        ctx.arc(x, y, width + 1 + extra / 2, 0, Math.PI * 2);
        ctx.fill();
      }
    }
    drawLabel(ctx, person.track, map(person.bbox[0], person.bbox[1]), width, colour);
    drawn += 1;
  }
  return drawn;
}

function drawLabel(
  ctx: Painter,
  track: number,
  [x0, y0]: [number, number],
  width: number,
  colour: string,
): void {
  const label = `#${track}`;
  const size = Math.max(11, width * 5);
  ctx.font = `600 ${size}px system-ui, sans-serif`;
  ctx.textBaseline = "alphabetic";
  const textW = ctx.measureText(label).width;
  const yText = Math.max(size + 4, y0 - 4);
  ctx.fillStyle = colour;
  ctx.fillRect(x0, yText - size - 2, textW + 8, size + 6);
  ctx.fillStyle = "#000";
  ctx.fillText(label, x0 + 4, yText);
}
