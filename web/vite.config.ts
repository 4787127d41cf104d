// Vite builds the dashboard page: `npm run dashboard:build` (or the dashboard
// server, when the build is missing or stale) writes `dist/dashboard/`.
// `npx vite web` serves it with hot reload, the API proxied to a dashboard
// server running on port 8080.
import { defineConfig } from "vite";

export default defineConfig({
  // Relative to this directory (the root): `vite build web`, or the server's build().
  base: "./",
  build: {
    outDir: "../dist/dashboard",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: true,
  },
  server: {
    proxy: { "/api": { target: "http://127.0.0.1:8080", changeOrigin: false } },
  },
});
