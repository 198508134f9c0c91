import { createEvent, fireEvent, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { DropZone } from "./DropZone";

describe("DropZone", () => {
  it("hands over chosen files", async () => {
    const onFiles = vi.fn();
    render(<DropZone onFiles={onFiles} />);
    const a = new File(["a"], "a.mp4", { type: "video/mp4" });
    const b = new File(["b"], "b.mp4", { type: "video/mp4" });
    await userEvent.upload(screen.getByTestId("upload-input"), [a, b]);
    expect(onFiles).toHaveBeenCalledWith([a, b]);
  });

  it("hands over dropped files", () => {
    const onFiles = vi.fn();
    render(<DropZone onFiles={onFiles} />);
    const zone = screen.getByText("Drop videos here").parentElement!;
    const file = new File(["a"], "a.mp4", { type: "video/mp4" });
    const drop = createEvent.drop(zone);
    Object.defineProperty(drop, "dataTransfer", { value: { files: [file] } });
    fireEvent(zone, drop);
    expect(onFiles).toHaveBeenCalledWith([file]);
  });

  it("can be reached from the keyboard", async () => {
    render(<DropZone onFiles={() => {}} />);
    await userEvent.tab();
    expect(screen.getByTestId("upload-input")).toHaveFocus();
    expect(screen.getByLabelText("Choose files…")).toBe(screen.getByTestId("upload-input"));
  });
});
