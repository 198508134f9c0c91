// From result kp3d (metres, y down) to three.js scene coordinates (y up, camera on +z).
import type { Point3 } from "./types";

/**
 * Both backends store y down and z growing away from the camera (schema.py), so flipping
 * y and z turns a pose upright and facing a three.js camera placed on the +z axis.
 */
export function toScene([x, y, z]: Point3): [number, number, number] {
  return [x, -y, -z];
}

export type Vec3 = [number, number, number];

export interface Bone {
  centre: Vec3;
  /** Unit vector from the first joint to the second. */
  direction: Vec3;
  length: number;
}

/** Where a bone between two joints sits in the scene (a cylinder's centre, axis, length). */
export function boneBetween(pa: Point3, pb: Point3): Bone | null {
  const a = toScene(pa);
  const b = toScene(pb);
  const d: Vec3 = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const length = Math.hypot(...d);
  if (!(length > 1e-6)) return null;
  return {
    centre: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2],
    direction: [d[0] / length, d[1] / length, d[2] / length],
    length,
  };
}

/** The centre of the joints' bounding box in scene coordinates (where the camera looks). */
export function sceneCentre(kp3d: readonly Point3[]): [number, number, number] {
  if (!kp3d.length) return [0, 0, 0];
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (const p of kp3d) {
    const s = toScene(p);
    for (let i = 0; i < 3; i++) {
      min[i] = Math.min(min[i]!, s[i]!);
      max[i] = Math.max(max[i]!, s[i]!);
    }
  }
  return [0, 1, 2].map((i) => (min[i]! + max[i]!) / 2) as [number, number, number];
}
