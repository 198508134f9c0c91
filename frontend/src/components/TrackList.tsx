// The people in a result: a colour each, show or hide them, pick one for the 3D view.
import { formatClock } from "../format";
import { trackCss } from "../pose/colours";
import type { TrackSummary } from "../pose/frames";

export interface TrackListProps {
  tracks: TrackSummary[];
  hidden: ReadonlySet<number>;
  selected: number | null;
  onToggle: (track: number) => void;
  onSelect: (track: number) => void;
  onSeek: (time: number) => void;
  onShowAll: (show: boolean) => void;
}

export function TrackList({
  tracks,
  hidden,
  selected,
  onToggle,
  onSelect,
  onSeek,
  onShowAll,
}: TrackListProps) {
  if (!tracks.length) {
    return (
      <div className="panel" data-testid="track-list">
        <h2>People</h2>
        <p className="muted">Nobody was found in this video.</p>
      </div>
    );
  }
  const allShown = tracks.every((t) => !hidden.has(t.track));
  return (
    <div className="panel" data-testid="track-list">
      <div className="section-head">
        <h2>People ({tracks.length})</h2>
        <button type="button" className="btn btn-small" onClick={() => onShowAll(!allShown)}>
          {allShown ? "Hide all" : "Show all"}
        </button>
      </div>
      <ul className="track-list">
        {tracks.map((t) => (
          <li
            key={t.track}
            className={`track${selected === t.track ? " track-selected" : ""}`}
            data-track={t.track}
          >
            <span className="swatch" style={{ background: trackCss(t.track) }} aria-hidden="true" />
            <label className="track-show">
              <input
                type="checkbox"
                checked={!hidden.has(t.track)}
                onChange={() => onToggle(t.track)}
              />
              <span>Person #{t.track}</span>
            </label>
            <label className="track-3d" title={t.has3d ? "Show in the 3D view" : "No 3D joints"}>
              <input
                type="radio"
                name="track-3d"
                checked={selected === t.track}
                disabled={!t.has3d}
                onChange={() => onSelect(t.track)}
              />
              3D
            </label>
            <button
              type="button"
              className="link-button muted small track-seen"
              onClick={() => onSeek(t.firstT)}
              title="Jump to where this person first appears"
            >
              seen {formatClock(t.firstT)}–{formatClock(t.lastT)} · {t.frames} frames
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
