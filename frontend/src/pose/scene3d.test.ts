import { describe, expect, it } from "vitest";
import { boneBetween, sceneCentre, toScene } from "./scene3d";

describe("3D scene coordinates", () => {
  it("turns y-down, z-away results upright and facing the camera", () => {
    // A head 0.6 m above the hips (y down: negative) and a hand nearer the camera (z < 0).
    expect(toScene([0, -0.6, 0])).toEqual([0, 0.6, -0]);
    expect(toScene([0.3, 0, -0.2])).toEqual([0.3, -0, 0.2]);
  });

  it("places a bone between two joints", () => {
    // Hip at the origin, knee 0.4 m below it (y down in results, so +0.4).
    const bone = boneBetween([0, 0, 0], [0, 0.4, 0])!;
    expect(bone.centre).toEqual([0, -0.2, -0]);
    expect(bone.length).toBeCloseTo(0.4);
    expect(bone.direction).toEqual([0, -1, 0]);
    const diagonal = boneBetween([0, 0, 0], [0.3, 0, -0.4])!;
    expect(diagonal.length).toBeCloseTo(0.5);
    expect(diagonal.direction.map((v) => Number(v.toFixed(3)))).toEqual([0.6, 0, 0.8]);
  });

  it("has no bone between joints at the same place", () => {
    expect(boneBetween([1, 2, 3], [1, 2, 3])).toBeNull();
  });

  it("centres on the middle of the joints' bounding box", () => {
    expect(sceneCentre([[0, 0, 0], [1, -2, 4]])).toEqual([0.5, 1, -2]);
    expect(sceneCentre([])).toEqual([0, 0, 0]);
  });
});
