// uploadVideo against a real HTTP server on a free loopback port (jsdom's XHR does real I/O).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiError } from "./client";
import { uploadVideo } from "./upload";

type Handler = (req: IncomingMessage, body: Buffer, res: ServerResponse) => void;

let server: Server;
let base = "";
let handler: Handler = () => {};

beforeAll(async () => {
  server = createServer((req, res) => {
    // jsdom's page origin differs from this server's: answer as a CORS-enabled API would.
    // An XHR with upload listeners is preflighted, so OPTIONS is answered too.
    res.setHeader("Access-Control-Allow-Origin", "*");
    if (req.method === "OPTIONS") {
      res.writeHead(204, { "Access-Control-Allow-Methods": "POST" });
      res.end();
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => handler(req, Buffer.concat(chunks), res));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function reply(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "Content-Type": "application/json" });
  res.end(JSON.stringify(body));
}

describe("uploadVideo", () => {
  it("sends the file as multipart field `file`, reports progress and returns the job", async () => {
    let received = "";
    handler = (req, body, res) => {
      received = `${req.method} ${req.url} ${req.headers["content-type"]?.split(";")[0]}\n${body}`;
      reply(res, 201, { job_id: "j1", video_id: "v1", status: "queued" });
    };
    const bytes = "x".repeat(200_000);
    const file = new File([bytes], "clip.mp4", { type: "video/mp4" });
    const seen: number[] = [];
    const accepted = await uploadVideo(file, (loaded) => seen.push(loaded), `${base}/api/videos`).promise;

    expect(accepted).toEqual({ job_id: "j1", video_id: "v1", status: "queued" });
    expect(received).toMatch(/^POST \/api\/videos multipart\/form-data/);
    expect(received).toContain('name="file"; filename="clip.mp4"');
    expect(received).toContain(bytes);
    expect(seen.at(-1)).toBe(file.size);
  });

  it("rejects with the server's own error message", async () => {
    handler = (_req, _body, res) =>
      reply(res, 415, {
        error: { code: "not_a_video", message: "notes.txt is not a video: no video stream found." },
      });
    const file = new File(["hello"], "notes.txt", { type: "text/plain" });
    const err = await uploadVideo(file, () => {}, `${base}/api/videos`).promise.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(415);
    expect((err as ApiError).code).toBe("not_a_video");
    expect((err as ApiError).message).toBe("notes.txt is not a video: no video stream found.");
  });

  it("says the upload was cut off when the proxy lost the API mid-upload", async () => {
    handler = (_req, _body, res) => {
      res.writeHead(502);
      res.end();
    };
    const err = await uploadVideo(new File(["a"], "a.mp4"), () => {}, `${base}/api/videos`)
      .promise.catch((e: unknown) => e);
    expect((err as ApiError).status).toBe(502);
    expect((err as ApiError).message).toMatch(/closed before the upload finished.*MAX_UPLOAD_MB/);
  });

  it("passes on a proxy's own error message when it sends one", async () => {
    handler = (_req, _body, res) =>
      reply(res, 503, { error: { code: "unavailable", message: "MongoDB does not answer." } });
    const err = await uploadVideo(new File(["a"], "a.mp4"), () => {}, `${base}/api/videos`)
      .promise.catch((e: unknown) => e);
    expect((err as ApiError).message).toBe("MongoDB does not answer.");
  });

  it("says the connection closed when the server hangs up", async () => {
    handler = (req) => req.socket.destroy();
    const err = await uploadVideo(new File(["a"], "a.mp4"), () => {}, `${base}/api/videos`)
      .promise.catch((e: unknown) => e);
    expect((err as ApiError).code).toBe("network");
    expect((err as ApiError).message).toMatch(/connection closed before the upload finished/);
    expect((err as ApiError).status).toBe(0);
  });

  it("can be canceled", async () => {
    handler = () => {}; // never answers
    const handle = uploadVideo(new File(["a"], "a.mp4"), () => {}, `${base}/api/videos`);
    handle.abort();
    const err = await handle.promise.catch((e: unknown) => e);
    expect((err as ApiError).code).toBe("aborted");
  });
});
