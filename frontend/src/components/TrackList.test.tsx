import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { TrackList, type TrackListProps } from "./TrackList";

const props = (change: Partial<TrackListProps> = {}): TrackListProps => ({
  tracks: [
    { track: 1, frames: 60, firstT: 0, lastT: 12, has3d: true, lasting: true },
    { track: 2, frames: 10, firstT: 4, lastT: 6, has3d: false, lasting: true },
  ],
  hidden: new Set([2]),
  selected: 1,
  onToggle: vi.fn(),
  onSelect: vi.fn(),
  onSeek: vi.fn(),
  onShowAll: vi.fn(),
  ...change,
});

describe("TrackList", () => {
  it("lists each person in their colour with show/hide and 3D choices", async () => {
    const p = props();
    render(<TrackList {...p} />);
    const list = screen.getByTestId("track-list");
    expect(list).toHaveTextContent("People (2)");
    const boxes = screen.getAllByRole("checkbox");
    expect(boxes.map((b) => (b as HTMLInputElement).checked)).toEqual([true, false]);
    const swatch = list.querySelector('[data-track="1"] .swatch') as HTMLElement;
    expect(swatch.style.background).toBe("rgb(230, 25, 75)");

    await userEvent.click(boxes[1]!);
    expect(p.onToggle).toHaveBeenCalledWith(2);
    const radios = screen.getAllByRole("radio");
    expect(radios[0]).toBeChecked();
    expect(radios[1]).toBeDisabled();
    await userEvent.click(screen.getByRole("button", { name: /0:04.0/ }));
    expect(p.onSeek).toHaveBeenCalledWith(4);
    await userEvent.click(screen.getByRole("button", { name: "Show all" }));
    expect(p.onShowAll).toHaveBeenCalledWith(true);
  });

  it("folds brief detections apart from the people", async () => {
    const p = props({
      tracks: [
        { track: 1, frames: 190, firstT: 0, lastT: 6.6, has3d: true, lasting: true },
        { track: 3, frames: 1, firstT: 2.3, lastT: 2.3, has3d: true, lasting: false },
        { track: 6, frames: 76, firstT: 4, lastT: 6.6, has3d: true, lasting: true },
      ],
      hidden: new Set(),
    });
    render(<TrackList {...p} />);
    expect(screen.getByTestId("track-list")).toHaveTextContent("People (2)");
    const people = screen.getByTestId("people");
    expect([...people.querySelectorAll("li")].map((li) => li.dataset.track)).toEqual(["1", "6"]);
    const brief = screen.getByTestId("brief-tracks");
    expect(brief).toHaveTextContent("Brief detections (1): seen for under 0.5 s");
    expect(brief).not.toHaveAttribute("open");
    expect(brief.querySelector("li")?.dataset.track).toBe("3");
    await userEvent.click(screen.getByRole("button", { name: "Hide all" }));
    expect(p.onShowAll).toHaveBeenCalledWith(false);
  });

  it("says so when nobody was found", () => {
    render(<TrackList {...props({ tracks: [], hidden: new Set(), selected: null })} />);
    expect(screen.getByTestId("track-list")).toHaveTextContent("Nobody was found");
  });
});
