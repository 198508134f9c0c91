/// <reference types="vitest/config" />
// The dev server (HMR) that serves the UI and proxies the API, plus vitest's settings.
//
// Environment:
//   FRONTEND_PORT    port to serve on (5173)
//   FRONTEND_HOST    address to bind; 0.0.0.0 inside a container (default 127.0.0.1)
//   API_PORT         where the native API listens (8000), proxied from /api and /metrics
//   VITE_API_TARGET  full URL of the API instead (Compose: http://backend-api:8000)
//   WATCH_POLLING=1  poll for file changes (Windows folders mounted into WSL send no events)
import { totalmem } from "node:os";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const env = process.env;
const apiTarget = env.VITE_API_TARGET || `http://127.0.0.1:${env.API_PORT || "8000"}`;
const polling = ["1", "true"].includes((env.WATCH_POLLING ?? "").toLowerCase());

// backend-api shows this dev server's memory on the System page (GET /api/system/memory).
// It asks here, since in Compose it cannot look into this container: this process's resident
// memory, and its limit (the container's or cgroup's, which Node reads, else the machine's).
function memoryEndpoint(): Plugin {
  return {
    name: "posepipe-memory",
    configureServer(server) {
      server.middlewares.use("/__posepipe/memory", (_req, res) => {
        const total = totalmem();
        // Node 20 answers 2^64 when nothing constrains the process, later versions 0.
        const constrained = process.constrainedMemory?.() ?? 0;
        const cgroup = constrained > 0 && constrained < total;
        res.setHeader("Content-Type", "application/json");
        res.setHeader("Cache-Control", "no-store");
        res.end(
          JSON.stringify({
            pid: process.pid,
            rss_bytes: process.memoryUsage.rss(),
            limit_bytes: cgroup ? constrained : total,
            limit_source: cgroup ? "cgroup" : "machine",
          }),
        );
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), memoryEndpoint()],
  server: {
    // backend-api reaches the dev server as "frontend" in Compose (FRONTEND_URL); Vite
    // refuses host names it does not know (DNS rebinding), IP addresses and localhost aside.
    allowedHosts: ["frontend"],
    host: env.FRONTEND_HOST || "127.0.0.1",
    port: Number(env.FRONTEND_PORT || 5173),
    strictPort: true,
    proxy: {
      // SSE goes through this proxy too; http-proxy streams it without buffering.
      "/api": { target: apiTarget },
      "/metrics": { target: apiTarget },
    },
    // `null` would turn watching off; undefined keeps the native watcher.
    watch: polling ? { usePolling: true, interval: 300 } : undefined,
  },
  build: {
    // The lazily loaded 3D view chunk is three.js itself (~560 kB); the rest stays small.
    chunkSizeWarningLimit: 700,
  },
  preview: {
    host: env.FRONTEND_HOST || "127.0.0.1",
    port: Number(env.FRONTEND_PORT || 4173),
    proxy: { "/api": { target: apiTarget }, "/metrics": { target: apiTarget } },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
  },
});
