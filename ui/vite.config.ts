import { defineConfig } from "vite";
import preact from "@preact/preset-vite";

// The server's CSP is script-src 'self'; style-src 'self': no inline script
// (hence no modulepreload polyfill) and everything bundled, nothing from a CDN.
export default defineConfig({
  plugins: [preact({ devToolsEnabled: false, prefreshEnabled: false })],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    modulePreload: { polyfill: false },
    // One JS and one CSS file with content hashes; sourcemaps stay out of
    // the committed bundle to keep the diff check and the binary small.
    sourcemap: false,
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    target: "es2022",
    rollupOptions: { output: { manualChunks: undefined } },
  },
  server: {
    proxy: {
      "/api": { target: "http://127.0.0.1:8080", ws: true },
    },
  },
});
