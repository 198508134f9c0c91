// readMemory through the generated client against a real HTTP server, and the row helpers.
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import createClient from "openapi-fetch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { paths } from "../api/schema";
import type { ServiceMemory } from "../api/types";
import { chartMax, limitText, memoryKey, pushMemory, readMemory } from "./memory";

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

const row = (change: Partial<ServiceMemory>): ServiceMemory => ({
  service: "backend-api",
  instance: "box",
  pid: 41,
  rss_bytes: 120_000_000,
  limit_bytes: 2_000_000_000,
  limit_source: "cgroup",
  detail: "this process (/proc/self)",
  ...change,
});

describe("readMemory", () => {
  it("reads every service's row from GET /api/system/memory", async () => {
    const services = [row({}), row({ service: "mongodb", rss_bytes: null, limit_bytes: null, limit_source: null })];
    reply(200, { services, checked_at: "2025-01-01T10:00:00Z" });
    expect(await readMemory(client)).toEqual({ kind: "ok", services });
    expect(seen).toBe("GET /api/system/memory");
  });

  it("says an older API does not report memory", async () => {
    reply(404, { error: { code: "not_found", message: "nothing here" } });
    expect(await readMemory(client)).toEqual({ kind: "unsupported" });
  });

  it("passes on the API's own error", async () => {
    reply(503, { error: { code: "unavailable", message: "Redis does not answer" } });
    expect(await readMemory(client)).toEqual({ kind: "error", message: "Redis does not answer" });
  });

  it("says when the API cannot be reached", async () => {
    const nowhere = createClient<paths>({ baseUrl: "http://127.0.0.1:9" });
    const reading = await readMemory(nowhere);
    expect(reading.kind).toBe("error");
  });
});

describe("memory rows", () => {
  it("keeps each process's history apart, workers included, and drops rows that left", () => {
    const w1 = row({ service: "pose-service", instance: "w1", rss_bytes: 300 });
    const w2 = row({ service: "pose-service", instance: "w2", rss_bytes: null });
    let history = pushMemory({}, [w1, w2], 3);
    history = pushMemory(history, [{ ...w1, rss_bytes: 310 }, w2], 3);
    history = pushMemory(history, [{ ...w1, rss_bytes: 320 }], 3);
    history = pushMemory(history, [{ ...w1, rss_bytes: 330 }], 3);
    expect(history).toEqual({ [memoryKey(w1)]: [310, 320, 330] });
    expect(memoryKey(w1)).not.toBe(memoryKey(w2));
  });

  it("names where the limit comes from", () => {
    expect(limitText(row({}))).toBe("of 2.0 GB (container limit)");
    expect(limitText(row({ limit_source: "machine", limit_bytes: 25_300_000_000 }))).toBe("of 25 GB (machine)");
    expect(limitText(row({ limit_source: "maxmemory", limit_bytes: 512_000_000 }))).toBe("of 512 MB (maxmemory)");
    expect(limitText(row({ limit_bytes: null, limit_source: null }))).toBe("");
  });

  it("scales a chart to the limit only when memory comes near it", () => {
    expect(chartMax([100, 200, null], 1000)).toBe(250);
    expect(chartMax([100, 600], 1000)).toBe(1000);
    expect(chartMax([100], null)).toBe(125);
    expect(chartMax([null], null)).toBe(1);
  });
});
