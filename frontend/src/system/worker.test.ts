// readWorkers through the generated client against a real HTTP server on a free loopback port.
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import createClient from "openapi-fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { paths } from "../api/schema";
import type { Worker } from "../api/types";
import { readWorkers } from "./worker";

let server: Server;
let answer: (res: ServerResponse) => void = () => {};
let seen = "";
let client: ReturnType<typeof createClient<paths>>;

beforeAll(async () => {
  server = createServer((req, res) => {
    seen = `${req.method} ${req.url}`;
    answer(res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  client = createClient<paths>({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function reply(status: number, body: unknown) {
  answer = (res) => {
    res.writeHead(status, { "Content-Type": "application/json" });
    res.end(JSON.stringify(body));
  };
}

const cpuWorker: Worker = {
  worker_id: "box-41-abc123",
  host: "box",
  pid: 41,
  backend: "mediapipe",
  device: "cpu",
  gpu: null,
  model_loaded: true,
  current_job: null,
  fps: 0,
  uptime_s: 3.5,
  started_at: "2025-01-01T10:00:00Z",
  heartbeat_at: "2025-01-01T10:00:03Z",
};

describe("readWorkers", () => {
  it("reads the live workers from GET /api/workers", async () => {
    reply(200, { items: [cpuWorker] });
    expect(await readWorkers(client)).toEqual({ kind: "ok", workers: [cpuWorker] });
    expect(seen).toBe("GET /api/workers");
  });

  it("calls an API without the route unsupported, not broken", async () => {
    reply(404, { error: { code: "not_found", message: "nothing at /api/workers" } });
    expect(await readWorkers(client)).toEqual({ kind: "unsupported" });
  });

  it("passes the API's own message on when Redis is away", async () => {
    reply(503, { error: { code: "dependency_unavailable", message: "Redis does not answer (refused)" } });
    expect(await readWorkers(client)).toEqual({ kind: "error", message: "Redis does not answer (refused)" });
  });
});
