// Where a joint lands on the canvas laid over a <video> with object-fit: contain.
// Pure functions: the viewer and the tests share them.

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * The part of a box that a source of srcW x srcH fills under object-fit: contain: scaled
 * to fit whole, centred, with bars left/right (pillarbox) or top/bottom (letterbox).
 * Null while either size is unknown (video metadata not loaded, element not laid out).
 */
export function containRect(boxW: number, boxH: number, srcW: number, srcH: number): Rect | null {
  if (!(boxW > 0 && boxH > 0 && srcW > 0 && srcH > 0)) return null;
  const scale = Math.min(boxW / srcW, boxH / srcH);
  const width = srcW * scale;
  const height = srcH * scale;
  return { x: (boxW - width) / 2, y: (boxH - height) / 2, width, height };
}

export type Mapper = (x: number, y: number) => [number, number];

/**
 * A function from result pixels (the document's video.width x video.height) to canvas
 * pixels. `content` is in CSS pixels; `pixelRatio` scales to the canvas's backing store.
 * The document size is used, not the element's videoWidth, because kp2d is defined in it.
 */
export function pointMapper(docW: number, docH: number, content: Rect, pixelRatio = 1): Mapper {
  const sx = (content.width / docW) * pixelRatio;
  const sy = (content.height / docH) * pixelRatio;
  const ox = content.x * pixelRatio;
  const oy = content.y * pixelRatio;
  return (x, y) => [ox + x * sx, oy + y * sy];
}

/** Stroke width in canvas pixels for a picture of this size (as overlay.py scales it). */
export function strokeWidth(content: Rect, pixelRatio = 1): number {
  return Math.max(2, Math.round((Math.min(content.width, content.height) * pixelRatio) / 240));
}

/** The canvas backing-store size for a CSS size, so drawing stays sharp on HiDPI screens. */
export function backingSize(cssW: number, cssH: number, pixelRatio = 1): [number, number] {
  return [Math.max(1, Math.round(cssW * pixelRatio)), Math.max(1, Math.round(cssH * pixelRatio))];
}
