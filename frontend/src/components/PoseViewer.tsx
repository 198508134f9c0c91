// The video with each person's skeleton drawn on a canvas over it, frame by frame.
import { useCallback, useEffect, useRef, useState } from "react";
import { drawPeople } from "../pose/draw";
import { frameAtTime } from "../pose/frames";
import { backingSize, containRect, pointMapper, strokeWidth } from "../pose/geometry";
import type { MediaClock } from "../pose/mediaClock";
import type { PoseDocument } from "../pose/types";
import { useFrameCallback } from "../pose/useFrameCallback";
import { useSettleOnPause } from "../pose/useSettleOnPause";
import { PlaybackControls } from "./PlaybackControls";

export interface PoseViewerProps {
  src: string;
  /** Played instead when `src` cannot be (the rendered overlay, skeletons burnt in). */
  fallbackSrc?: string;
  doc: PoseDocument;
  hidden: ReadonlySet<number>;
  clock: MediaClock;
  /** Seek here (paused) when this object changes: the track list's "jump to". */
  seekTo?: { time: number } | null;
}

export function PoseViewer({ src, fallbackSrc, doc, hidden, clock, seekTo = null }: PoseViewerProps) {
  const [video, setVideo] = useState<HTMLVideoElement | null>(null);
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const [videoError, setVideoError] = useState<string | null>(null);
  const [fallback, setFallback] = useState(false);
  const last = useRef(0);

  const draw = useCallback(
    (time: number) => {
      const canvas = canvasRef.current;
      if (!canvas || !video) return;
      const cssW = canvas.clientWidth;
      const cssH = canvas.clientHeight;
      const ratio = window.devicePixelRatio || 1;
      const [w, h] = backingSize(cssW, cssH, ratio);
      if (canvas.width !== w || canvas.height !== h) {
        canvas.width = w;
        canvas.height = h;
      }
      const ctx = canvas.getContext("2d");
      if (!ctx) return;
      ctx.clearRect(0, 0, w, h);
      const frame = frameAtTime(doc.frames, time, doc.video.fps);
      const content = containRect(
        cssW,
        cssH,
        video.videoWidth || doc.video.width,
        video.videoHeight || doc.video.height,
      );
      let people = 0;
      if (frame && content) {
        const map = pointMapper(doc.video.width, doc.video.height, content, ratio);
        people = drawPeople(ctx, frame, doc.skeleton.edges, map, strokeWidth(content, ratio), hidden);
      }
      // For tests and curious people: which result frame is drawn right now.
      canvas.dataset.frame = frame ? String(frame.i) : "";
      canvas.dataset.people = String(people);
      canvas.dataset.time = time.toFixed(3);
    },
    [video, doc, hidden],
  );

  const onFrame = useCallback(
    (time: number) => {
      last.current = time;
      draw(time);
      clock.set(time);
    },
    [draw, clock],
  );
  useFrameCallback(video, onFrame);
  useSettleOnPause(video, doc.frames, doc.video.fps);

  // Redraw the frame on screen when what is shown or the size changes.
  useEffect(() => {
    draw(last.current);
    const canvas = canvasRef.current;
    if (!canvas) return;
    const observer = new ResizeObserver(() => draw(last.current));
    observer.observe(canvas);
    return () => observer.disconnect();
  }, [draw]);

  useEffect(() => {
    if (!seekTo || !video) return;
    video.pause();
    // Half a frame in, so rounding cannot show the frame before.
    video.currentTime = seekTo.time + 0.5 / (doc.video.fps || 30);
  }, [seekTo, video, doc]);

  return (
    <div className="viewer">
      <div className="viewer-stage" style={{ aspectRatio: `${doc.video.width} / ${doc.video.height}` }}>
        <video
          ref={setVideo}
          src={fallback && fallbackSrc ? fallbackSrc : src}
          className="viewer-video"
          data-testid="pose-video"
          controls
          playsInline
          muted
          preload="auto"
          onError={() => {
            if (!fallback && fallbackSrc) setFallback(true);
            else setVideoError("The video could not be loaded: the API refused it or the browser cannot play it.");
          }}
        />
        <canvas ref={canvasRef} className="viewer-canvas" data-testid="pose-canvas" aria-hidden="true" />
      </div>
      <PlaybackControls video={video} fps={doc.video.fps} clock={clock} frames={doc.frames} />
      {fallback && !videoError && (
        <p className="muted small" role="note">
          The API does not serve the source video, so the rendered overlay plays underneath:
          hiding a person here does not remove them from it.
        </p>
      )}
      {videoError && (
        <p className="state state-error" role="alert">
          {videoError}
        </p>
      )}
    </div>
  );
}
