// Drop files here or choose them: a real <input type=file>, reachable by keyboard.
import { useId, useState, type DragEvent } from "react";

export function DropZone({ onFiles }: { onFiles: (files: File[]) => void }) {
  const [over, setOver] = useState(false);
  const inputId = useId();

  const onDrop = (e: DragEvent<HTMLElement>) => {
    e.preventDefault();
    setOver(false);
    const files = [...e.dataTransfer.files];
    if (files.length) onFiles(files);
  };

  return (
    <div
      className={`dropzone${over ? " dropzone-over" : ""}`}
      onDragOver={(e) => {
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <svg className="dropzone-icon" viewBox="0 0 24 24" aria-hidden="true">
        <path d="M12 16V4m0 0-4.5 4.5M12 4l4.5 4.5M4 15v3a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2v-3" />
      </svg>
      <p className="dropzone-title">Drop videos here</p>
      <p className="muted">MP4, MOV, WebM, MKV… anything FFmpeg decodes. Several at once is fine.</p>
      <input
        id={inputId}
        className="visually-hidden"
        type="file"
        accept="video/*"
        multiple
        data-testid="upload-input"
        onChange={(e) => {
          const files = [...(e.target.files ?? [])];
          e.target.value = "";
          if (files.length) onFiles(files);
        }}
      />
      <label htmlFor={inputId} className="btn btn-primary">
        Choose files…
      </label>
    </div>
  );
}
