// The selected person's 3D joints (three.js), following the video's time. Drag to orbit.
import { useEffect, useRef, useState } from "react";
import * as THREE from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { trackColour } from "../pose/colours";
import { frameAtTime, personInFrame } from "../pose/frames";
import type { MediaClock } from "../pose/mediaClock";
import { bonePositions, jointPositions, sceneCentre, toScene } from "../pose/scene3d";
import type { PoseDocument } from "../pose/types";

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

    const boneGeometry = new THREE.BufferGeometry();
    boneGeometry.setAttribute("position", new THREE.BufferAttribute(new Float32Array(edges.length * 6), 3));
    const bones = new THREE.LineSegments(boneGeometry, new THREE.LineBasicMaterial({ color: colour }));
    const jointGeometry = new THREE.BufferGeometry();
    jointGeometry.setAttribute("position", new THREE.BufferAttribute(new Float32Array(joints * 3), 3));
    const dots = new THREE.Points(
      jointGeometry,
      new THREE.PointsMaterial({ color: colour, size: 7, sizeAttenuation: false }),
    );
    scene.add(bones, dots);

    // Frame the person where they are first seen, and put the floor under their feet.
    const first = doc.frames.map((f) => personInFrame(f, track)).find((p) => p?.kp3d);
    const centre = first?.kp3d ? sceneCentre(first.kp3d) : [0, 0, 0];
    const floorY = first?.kp3d ? Math.min(...first.kp3d.map((p) => toScene(p)[1])) : -1;
    const grid = new THREE.GridHelper(4, 16, 0x3b4658, 0x263041);
    grid.position.y = floorY;
    scene.add(grid, new THREE.AxesHelper(0.25));
    controls.target.set(centre[0]!, centre[1]!, centre[2]!);
    camera.position.set(centre[0]! + 1.2, centre[1]! + 0.6, centre[2]! + 3);
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
      bones.visible = dots.visible = kp3d !== null;
      if (kp3d) {
        (boneGeometry.attributes.position as THREE.BufferAttribute).copyArray(bonePositions(kp3d, edges));
        (jointGeometry.attributes.position as THREE.BufferAttribute).copyArray(jointPositions(kp3d));
        boneGeometry.attributes.position!.needsUpdate = true;
        jointGeometry.attributes.position!.needsUpdate = true;
        boneGeometry.computeBoundingSphere();
        jointGeometry.computeBoundingSphere();
      }
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
      boneGeometry.dispose();
      jointGeometry.dispose();
      (bones.material as THREE.Material).dispose();
      (dots.material as THREE.Material).dispose();
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
