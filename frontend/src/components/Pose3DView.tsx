// The selected person's 3D joints (three.js), following the video's time. Drag to orbit.
import { useEffect, useRef, useState } from "react";
import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { trackColour } from "../pose/colours";
import { frameAtTime, personInFrame } from "../pose/frames";
import type { MediaClock } from "../pose/mediaClock";
import { boneBetween, sceneCentre, toScene } from "../pose/scene3d";
import type { Point3, PoseDocument } from "../pose/types";

export interface Pose3DViewProps {
  doc: PoseDocument;
  track: number | null;
  clock: MediaClock;
}

type ViewState = "ok" | "no-webgl";
type Note = "" | "absent" | "no-3d";

export function Pose3DView({ doc, track, clock }: Pose3DViewProps) {
  const mount = useRef<HTMLDivElement | null>(null);
  const [state, setState] = useState<ViewState>("ok");
  const [note, setNote] = useState<Note>("");

  useEffect(() => {
    const el = mount.current;
    if (!el || track === null) return;
    let renderer: THREE.WebGLRenderer;
    try {
      renderer = new THREE.WebGLRenderer({ antialias: true });
    } catch {
      setState("no-webgl");
      return;
    }
    setState("ok");
    renderer.setPixelRatio(window.devicePixelRatio || 1);
    renderer.setClearColor(0x141a24);
    el.appendChild(renderer.domElement);

    const scene = new THREE.Scene();
    const camera = new THREE.PerspectiveCamera(40, 1, 0.01, 100);
    const controls = new OrbitControls(camera, renderer.domElement);
    const [r, g, b] = trackColour(track);
    const colour = new THREE.Color(r / 255, g / 255, b / 255);
    const edges = doc.skeleton.edges;
    const joints = doc.skeleton.joints.length;

    // Joints as spheres and bones as cylinders, one instanced mesh each: lines in WebGL
    // are always one pixel wide.
    const material = new THREE.MeshLambertMaterial({ color: colour });
    const jointMesh = new THREE.InstancedMesh(new THREE.SphereGeometry(0.022, 12, 8), material, joints);
    const boneMesh = new THREE.InstancedMesh(
      new THREE.CylinderGeometry(0.011, 0.011, 1, 8),
      material,
      edges.length,
    );
    scene.add(jointMesh, boneMesh);
    scene.add(new THREE.HemisphereLight(0xffffff, 0x334455, 2.2));
    const light = new THREE.DirectionalLight(0xffffff, 1.2);
    light.position.set(1, 2, 3);
    scene.add(light);
    const hide = new THREE.Matrix4().makeScale(0, 0, 0);
    const m = new THREE.Matrix4();
    const up = new THREE.Vector3(0, 1, 0);
    const axis = new THREE.Vector3();
    const centre3 = new THREE.Vector3();
    const q = new THREE.Quaternion();
    const stretch = new THREE.Vector3(1, 1, 1);
    const placeBones = (kp3d: readonly Point3[]) => {
      for (let k = 0; k < joints; k++) {
        const p = kp3d[k];
        jointMesh.setMatrixAt(k, p ? m.makeTranslation(...toScene(p)) : hide);
      }
      edges.forEach(([i, j], k) => {
        const pa = kp3d[i];
        const pb = kp3d[j];
        const bone = pa && pb ? boneBetween(pa, pb) : null;
        if (!bone) return boneMesh.setMatrixAt(k, hide);
        q.setFromUnitVectors(up, axis.set(...bone.direction));
        m.compose(centre3.set(...bone.centre), q, stretch.set(1, bone.length, 1));
        boneMesh.setMatrixAt(k, m);
      });
      jointMesh.instanceMatrix.needsUpdate = true;
      boneMesh.instanceMatrix.needsUpdate = true;
      jointMesh.computeBoundingSphere();
      boneMesh.computeBoundingSphere();
    };

    // Frame the person where they are first seen, and put the floor under their feet.
    const first = doc.frames.map((f) => personInFrame(f, track)).find((p) => p?.kp3d);
    const centre = first?.kp3d ? sceneCentre(first.kp3d) : [0, 0, 0];
    const floorY = first?.kp3d ? Math.min(...first.kp3d.map((p) => toScene(p)[1])) : -1;
    const grid = new THREE.GridHelper(4, 16, 0x3b4658, 0x263041);
    grid.position.y = floorY;
    scene.add(grid, new THREE.AxesHelper(0.25));
    controls.target.set(centre[0]!, centre[1]!, centre[2]!);
    camera.position.set(centre[0]! + 0.9, centre[1]! + 0.45, centre[2]! + 2.4);
    controls.update();

    const render = () => renderer.render(scene, camera);
    controls.addEventListener("change", render);

    const resize = () => {
      const w = el.clientWidth;
      const h = el.clientHeight;
      if (!w || !h) return;
      renderer.setSize(w, h, false);
      camera.aspect = w / h;
      camera.updateProjectionMatrix();
      render();
    };
    const observer = new ResizeObserver(resize);
    observer.observe(el);
    resize();

    const update = (time: number) => {
      const frame = frameAtTime(doc.frames, time, doc.video.fps);
      const person = personInFrame(frame, track);
      const kp3d = person?.kp3d ?? null;
      jointMesh.visible = boneMesh.visible = kp3d !== null;
      if (kp3d) placeBones(kp3d);
      el.dataset.frame = frame ? String(frame.i) : "";
      el.dataset.joints = kp3d ? String(kp3d.length) : "0";
      setNote(kp3d ? "" : person ? "no-3d" : "absent");
      render();
    };
    const unsubscribe = clock.subscribe(update);

    return () => {
      unsubscribe();
      observer.disconnect();
      controls.dispose();
      jointMesh.geometry.dispose();
      boneMesh.geometry.dispose();
      material.dispose();
      renderer.dispose();
      renderer.domElement.remove();
    };
  }, [doc, track, clock]);

  return (
    <div className="panel">
      <h2>3D pose{track !== null ? ` · person #${track}` : ""}</h2>
      <div
        ref={mount}
        className="pose3d"
        data-testid="pose-3d"
        data-track={track ?? ""}
        data-state={state}
        role="img"
        aria-label={track !== null ? `3D joints of person ${track}; drag to turn, scroll to zoom` : "3D view"}
      >
        {track === null && <p className="pose3d-note">Nobody with 3D joints to show.</p>}
        {state === "no-webgl" && (
          <p className="pose3d-note">This browser has no WebGL, so the 3D view cannot be drawn.</p>
        )}
        {state === "ok" && note === "absent" && (
          <p className="pose3d-note">Person #{track} is not in this frame.</p>
        )}
        {state === "ok" && note === "no-3d" && (
          <p className="pose3d-note">No 3D joints for this frame.</p>
        )}
      </div>
      {track !== null && state === "ok" && (
        <p className="muted small">Drag to turn, scroll to zoom. Metres; the grid is 25 cm.</p>
      )}
    </div>
  );
}
