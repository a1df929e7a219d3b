/**
 * The server runs with V8's allocation-site pretenuring off (src/main.ts says why), given on the
 * command line of every way it is started, never set at run time; and V8's own trace of its
 * pretenuring decisions stays silent once a server started that way listens, under load.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { after, test } from "node:test";
import { parseAllDocuments } from "yaml";
import { startProductionProcess } from "./process.js";

const FLAG = "--no-allocation-site-pretenuring";

const cleanups: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
});

test("every production command line carries the flag, and src/ sets no V8 flag at run time", async () => {
  const pkg = JSON.parse(await readFile("package.json", "utf8")) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.start, `node ${FLAG} dist/main.js`, "npm start");
  assert.equal((await readFile("src/main.ts", "utf8")).split("\n")[0], `#!/usr/bin/env -S node ${FLAG}`, "the tongxing bin");
  assert.match(await readFile("Dockerfile", "utf8"), new RegExp(`^CMD \\["node", "${FLAG}", "dist/main.js"\\]$`, "m"), "the image");
  const deployment = parseAllDocuments(await readFile("deploy/kubernetes/tongxing.yaml", "utf8"))
    .map((d) => d.toJS())
    .find((d) => d?.kind === "Deployment");
  assert.deepEqual(deployment.spec.template.spec.containers[0].command, ["node", FLAG, "dist/main.js"], "Kubernetes");
  const setAtRunTime: string[] = [];
  for (const file of await readdir("src", { recursive: true })) {
    if (/\.tsx?$/.test(file) && (await readFile(path.join("src", file), "utf8")).includes("setFlagsFromString")) setAtRunTime.push(file);
  }
  assert.deepEqual(setAtRunTime, [], "no v8.setFlagsFromString: behaviour after the VM has started is undefined");
});

test("no pretenuring decisions after the server listens, across 4000 requests", async () => {
  // --trace-pretenuring-statistics: V8 prints a "pretenuring:" line for each young-generation
  // GC that found allocation-site feedback, which it collects only while pretenuring is on.
  const server = await startProductionProcess(cleanups, ["--trace-pretenuring-statistics", FLAG, "--import", "tsx", "src/main.ts"]);
  const listenedAt = server.output().length;
  // Enough allocation for several young-generation GCs: 4000 requests, 16 at a time.
  for (let i = 0; i < 250; i++) {
    const answers = await Promise.all(Array.from({ length: 16 }, () => fetch(`${server.url}/healthz`).then((r) => r.status)));
    assert.deepEqual(new Set(answers), new Set([200]));
  }
  const trace = server.output().slice(listenedAt);
  assert.equal(trace.match(/pretenuring:.*/g), null, trace.slice(0, 2000));
});
