// Runs the unit tests with Node's own test runner. Node 20 cannot load
// TypeScript, so esbuild (already needed by Vite) bundles each *.test.ts
// into .test-out first.
import { build } from "esbuild";
import { readdirSync, rmSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const out = ".test-out";
rmSync(out, { recursive: true, force: true });
const tests = readdirSync("src", { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".test.ts"))
  .map((f) => join("src", f));
await build({
  entryPoints: tests,
  outdir: out,
  bundle: true,
  platform: "node",
  format: "esm",
  outExtension: { ".js": ".mjs" },
  logLevel: "warning",
});
const files = readdirSync(out, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".test.mjs"))
  .map((f) => join(out, f));
const r = spawnSync(process.execPath, ["--test", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
