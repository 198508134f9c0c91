// The result document `posepipe.poses/1` (src/posepipe/schema.py), as the API serves it.

/** [x px, y px, visibility 0..1] in pixels of the video as displayed. */
export type Point2 = [number, number, number];
/** [x, y, z] in metres; axes are described in schema.py (y down for both backends). */
export type Point3 = [number, number, number];

export interface PersonPose {
  track: number;
  bbox: [number, number, number, number];
  score: number;
  kp2d: Point2[];
  kp3d: Point3[] | null;
  smpl?: unknown;
  camera?: [number, number, number] | null;
}

export interface FramePoses {
  i: number;
  t: number;
  people: PersonPose[];
}

export interface SkeletonInfo {
  name: string;
  joints: string[];
  edges: [number, number][];
}

export interface VideoMeta {
  width: number;
  height: number;
  fps: number;
  frames: number;
  duration_s: number;
  rotation?: number;
  codec?: string | null;
  frames_lost?: number;
}

export interface PoseDocument {
  schema: "posepipe.poses/1";
  backend: string;
  backend_version: string;
  skeleton: SkeletonInfo;
  video: VideoMeta;
  frames: FramePoses[];
}
