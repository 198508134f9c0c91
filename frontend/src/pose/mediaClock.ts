// The time of the video frame on screen, shared by the 2D overlay, the 3D view and labels
// without re-rendering React on every frame.

export type ClockListener = (time: number) => void;

export class MediaClock {
  private listeners = new Set<ClockListener>();
  private current = 0;

  get time(): number {
    return this.current;
  }

  /** Publish the media time of the frame now on screen. */
  set(time: number): void {
    this.current = time;
    for (const listener of this.listeners) listener(time);
  }

  /** Call `listener` now and on every later frame; returns the unsubscribe function. */
  subscribe(listener: ClockListener): () => void {
    this.listeners.add(listener);
    listener(this.current);
    return () => this.listeners.delete(listener);
  }
}
