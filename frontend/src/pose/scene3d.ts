// From result kp3d (metres, y down) to three.js scene coordinates (y up, camera on +z).
import type { Point3 } from "./types";

/**
 * Both backends store y down and z growing away from the camera (schema.py), so flipping
 * y and z turns a pose upright and facing a three.js camera placed on the +z axis.
 */
export function toScene([x, y, z]: Point3): [number, number, number] {
  return [x, -y, -z];
}

/** A flat array of bone end-points, for one LineSegments buffer (length = edges * 6). */
export function bonePositions(
  kp3d: readonly Point3[],
  edges: readonly (readonly [number, number])[],
): Float32Array {
  const out = new Float32Array(edges.length * 6);
  edges.forEach(([a, b], k) => {
    const pa = kp3d[a];
    const pb = kp3d[b];
    if (!pa || !pb) return;
    out.set(toScene(pa), k * 6);
    out.set(toScene(pb), k * 6 + 3);
  });
  return out;
}

/** A flat array of joint positions, for one Points buffer (length = joints * 3). */
export function jointPositions(kp3d: readonly Point3[]): Float32Array {
  const out = new Float32Array(kp3d.length * 3);
  kp3d.forEach((p, k) => out.set(toScene(p), k * 3));
  return out;
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
