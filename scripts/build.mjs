// `npm run build`: compiles src/ to dist/ (or to `--outDir <dir>`) with tsc, with the session
// check the service shares with the library's package (verifier/src, imported relatively) in
// <outDir>/verifier; copies what tsc does not (the Lua scripts in src/sessions/lua,
// src/clients/lua and verifier/src/lua, read at start), and
// bundles the admin console (src/console, Preact) with esbuild into <outDir>/console.
// `--console-only` bundles just the console (the console tests run from src/).
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { build } from "esbuild";

const at = process.argv.indexOf("--outDir");
const outDir = at > 0 ? process.argv[at + 1] : "dist";
if (!process.argv.includes("--console-only")) {
  const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  // tsc's output mirrors the sources (<staging>/src, <staging>/verifier/src); the package's layout
  // is dist/main.js and dist/verifier/*, so the output is moved there with its relative imports,
  // declarations and source maps made to point at the new places.
  const staging = mkdtempSync(path.join(tmpdir(), "tongxing-tsc-"));
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.json", "--outDir", staging], { stdio: "inherit" });
  relocate(staging, [
    ["src", outDir],
    ["verifier/src", path.join(outDir, "verifier")],
  ]);
  rmSync(staging, { recursive: true, force: true });
  cpSync("verifier/src/lua", path.join(outDir, "verifier", "lua"), { recursive: true });
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

/**
 * Moves tsc's output from <staging>/<from> to <to> for each pair, rewriting each relative import
 * (`from "../x.js"`, `import("../x.js")`) and each source map's `sources` for the new places.
 */
function relocate(staging, moves) {
  const newPlace = (file) => {
    for (const [from, to] of moves) {
      const root = path.join(staging, from);
      if (file.startsWith(root + path.sep)) return path.join(to, path.relative(root, file));
    }
    return null;
  };
  const relative = (fromDir, target) => {
    const rel = path.relative(fromDir, target).split(path.sep).join("/");
    return rel.startsWith(".") ? rel : `./${rel}`;
  };
  for (const [from] of moves) {
    for (const name of readdirSync(path.join(staging, from), { recursive: true })) {
      const file = path.join(staging, from, name);
      const target = newPlace(file);
      if (!target || !/\.(js|d\.ts|map)$/.test(file)) continue;
      let text = readFileSync(file, "utf8");
      if (file.endsWith(".map")) {
        const map = JSON.parse(text);
        map.sources = map.sources.map((s) => relative(path.dirname(target), path.resolve(path.dirname(file), s)));
        text = JSON.stringify(map);
      } else {
        text = text.replace(/((?:from |import\()")(\.{1,2}\/[^"]+)"/g, (m, pre, spec) => {
          const moved = newPlace(path.resolve(path.dirname(file), spec));
          return moved ? `${pre}${relative(path.dirname(target), moved)}"` : m;
        });
      }
      mkdirSync(path.dirname(target), { recursive: true });
      writeFileSync(target, text);
    }
  }
}
