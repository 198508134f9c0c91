// The pose viewer with its side panels: people, the 3D view and downloads.
import { lazy, Suspense, useMemo, useState } from "react";
import { jobUrls } from "../api/client";
import { backendLabel } from "../format";
import { summariseTracks } from "../pose/frames";
import { MediaClock } from "../pose/mediaClock";
import type { PoseDocument } from "../pose/types";
import { Downloads } from "./Downloads";
import { PoseViewer } from "./PoseViewer";
import { Loading } from "./States";
import { TrackList } from "./TrackList";

// three.js is most of the bundle: load it only when a job's poses are shown.
const Pose3DView = lazy(() => import("./Pose3DView").then((m) => ({ default: m.Pose3DView })));

export function PoseWorkspace({ jobId, doc }: { jobId: string; doc: PoseDocument }) {
  const clock = useMemo(() => new MediaClock(), []);
  const tracks = useMemo(() => summariseTracks(doc.frames, doc.video.fps), [doc]);
  const [hidden, setHidden] = useState<ReadonlySet<number>>(new Set());
  // The 3D view opens on the first person (not a brief detection) with 3D joints.
  const [selected, setSelected] = useState<number | null>(
    () => (tracks.find((t) => t.has3d && t.lasting) ?? tracks.find((t) => t.has3d))?.track ?? null,
  );
  const [seekTo, setSeekTo] = useState<{ time: number } | null>(null);

  const toggle = (track: number) =>
    setHidden((h) => {
      const next = new Set(h);
      if (!next.delete(track)) next.add(track);
      return next;
    });

  return (
    <div className="workspace">
      <div className="workspace-main">
        <PoseViewer
          src={jobUrls(jobId).video}
          fallbackSrc={jobUrls(jobId).overlay}
          doc={doc} hidden={hidden} clock={clock} seekTo={seekTo} />
        <p className="muted small">
          {backendLabel(doc.backend, doc.backend_version)} · {doc.skeleton.name} · {doc.video.width}×
          {doc.video.height} at {Number(doc.video.fps.toFixed(2))} fps · {doc.video.frames} frames
          {doc.video.frames_lost ? ` · ${doc.video.frames_lost} frames could not be decoded` : ""}
        </p>
      </div>
      <aside className="workspace-side">
        <TrackList
          tracks={tracks}
          hidden={hidden}
          selected={selected}
          onToggle={toggle}
          onSelect={setSelected}
          onSeek={(time) => setSeekTo({ time })}
          onShowAll={(show) => setHidden(show ? new Set() : new Set(tracks.map((t) => t.track)))}
        />
        <Suspense fallback={<Loading what="the 3D view" />}>
          <Pose3DView doc={doc} track={selected} clock={clock} />
        </Suspense>
        <Downloads jobId={jobId} />
      </aside>
    </div>
  );
}
