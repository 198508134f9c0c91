import { describe, expect, it } from "vitest";
import { bonePositions, jointPositions, sceneCentre, toScene } from "./scene3d";
import type { Point3 } from "./types";

describe("3D scene coordinates", () => {
  it("turns y-down, z-away results upright and facing the camera", () => {
    // A head 0.6 m above the hips (y down: negative) and a hand nearer the camera (z < 0).
    expect(toScene([0, -0.6, 0])).toEqual([0, 0.6, -0]);
    expect(toScene([0.3, 0, -0.2])).toEqual([0.3, -0, 0.2]);
  });

  it("packs bones and joints into flat buffers", () => {
    const kp: Point3[] = [[0, 0, 0], [1, 2, 3], [4, 5, 6]];
    expect([...bonePositions(kp, [[0, 1], [1, 2]])]).toEqual([0, -0, -0, 1, -2, -3, 1, -2, -3, 4, -5, -6]);
    expect([...jointPositions(kp)]).toEqual([0, -0, -0, 1, -2, -3, 4, -5, -6]);
    expect([...bonePositions(kp, [[0, 9]])]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("centres on the middle of the joints' bounding box", () => {
    expect(sceneCentre([[0, 0, 0], [1, -2, 4]])).toEqual([0.5, 1, -2]);
    expect(sceneCentre([])).toEqual([0, 0, 0]);
  });
});
