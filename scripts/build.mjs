// `npm run build`: compiles src/ to dist/ (or to `--outDir <dir>`) with tsc, copies what tsc does
// not (the Lua scripts in src/sessions/lua and src/clients/lua, read at start), and
// bundles the admin console (src/console, Preact) with esbuild into <outDir>/console.
// `--console-only` bundles just the console (the console tests run from src/).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { build } from "esbuild";

const at = process.argv.indexOf("--outDir");
const outDir = at > 0 ? process.argv[at + 1] : "dist";
if (!process.argv.includes("--console-only")) {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.json", "--outDir", outDir], { stdio: "inherit" });
  cpSync("src/sessions/lua", path.join(outDir, "sessions", "lua"), { recursive: true });
  cpSync("src/clients/lua", path.join(outDir, "clients", "lua"), { recursive: true });
}
const consoleDir = path.join(outDir, "console");
mkdirSync(consoleDir, { recursive: true });
// Each file is written beside its place and renamed over it: a server reading the console while
// another build runs (the test suite builds too) never sees half a file.
const writeAtomically = (file, contents) => {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, file);
};
const bundle = await build({
  write: false,
  entryPoints: ["src/console/main.tsx"],
  bundle: true,
  format: "esm",
  target: "es2022",
  minify: true,
  jsx: "automatic",
  jsxImportSource: "preact",
  outfile: path.join(consoleDir, "console.js"),
  logLevel: "warning",
});
for (const out of bundle.outputFiles) writeAtomically(out.path, out.contents);
for (const file of ["index.html", "console.css"])
  writeAtomically(path.join(consoleDir, file), readFileSync(path.join("src/console", file)));
