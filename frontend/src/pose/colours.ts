// One colour per track, cycled: a copy of TRACK_COLOURS in src/posepipe/video/overlay.py,
// so a person has the same colour in the web viewer and in the rendered overlay MP4.
export type Rgb = readonly [number, number, number];

export const TRACK_COLOURS: readonly Rgb[] = [
  [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48],
  [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212],
];

/** Joints less visible than this are not drawn (MIN_VISIBILITY in overlay.py). */
export const MIN_VISIBILITY = 0.3;

/** The RGB colour of a track id (ids start at 1). */
export function trackColour(track: number): Rgb {
  const n = TRACK_COLOURS.length;
  return TRACK_COLOURS[(((track - 1) % n) + n) % n]!;
}

/** The CSS colour of a track id. */
export function trackCss(track: number): string {
  const [r, g, b] = trackColour(track);
  return `rgb(${r}, ${g}, ${b})`;
}
