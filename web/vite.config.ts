// The dashboard is built to SPHERE_WEB_OUT (CMake passes build/web), which `sphere serve` serves.
import { defineConfig } from "vite";

export default defineConfig({
  base: "./",
  build: {
    outDir: process.env.SPHERE_WEB_OUT ?? "dist",
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
  },
});
