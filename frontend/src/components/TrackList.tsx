// The people in a result: a colour each, show or hide them, pick one for the 3D view.
// Tracks seen for under half a second (mostly a skeleton the model got wrong for a frame or
// two) are listed apart, folded, so the list reads as the people in the video.
import { formatClock } from "../format";
import { trackCss } from "../pose/colours";
import { LASTING_TRACK_S, type TrackSummary } from "../pose/frames";

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
  const people = tracks.filter((t) => t.lasting);
  const brief = tracks.filter((t) => !t.lasting);
  const allShown = tracks.every((t) => !hidden.has(t.track));
  const row = (t: TrackSummary) => (
    <TrackRow
      key={t.track}
      track={t}
      shown={!hidden.has(t.track)}
      selected={selected === t.track}
      onToggle={onToggle}
      onSelect={onSelect}
      onSeek={onSeek}
    />
  );
  return (
    <div className="panel" data-testid="track-list">
      <div className="section-head">
        <h2>People ({people.length})</h2>
        <button type="button" className="btn btn-small" onClick={() => onShowAll(!allShown)}>
          {allShown ? "Hide all" : "Show all"}
        </button>
      </div>
      {people.length > 0 && (
        <ul className="track-list" data-testid="people">
          {people.map(row)}
        </ul>
      )}
      {brief.length > 0 && (
        <details className="track-brief" data-testid="brief-tracks">
          <summary className="muted small">
            Brief detections ({brief.length}): seen for under {LASTING_TRACK_S} s
          </summary>
          <ul className="track-list">{brief.map(row)}</ul>
        </details>
      )}
    </div>
  );
}

interface TrackRowProps {
  track: TrackSummary;
  shown: boolean;
  selected: boolean;
  onToggle: (track: number) => void;
  onSelect: (track: number) => void;
  onSeek: (time: number) => void;
}

function TrackRow({ track: t, shown, selected, onToggle, onSelect, onSeek }: TrackRowProps) {
  return (
    <li className={`track${selected ? " track-selected" : ""}`} data-track={t.track}>
      <span className="swatch" style={{ background: trackCss(t.track) }} aria-hidden="true" />
      <label className="track-show">
        <input type="checkbox" checked={shown} onChange={() => onToggle(t.track)} />
        <span>Person #{t.track}</span>
      </label>
      <label className="track-3d" title={t.has3d ? "Show in the 3D view" : "No 3D joints"}>
        <input
          type="radio"
          name="track-3d"
          checked={selected}
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
  );
}
