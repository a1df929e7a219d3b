/**
 * The gateway scenario (12): a business route as a team deploys it behind
 * examples/nginx/tongxing.conf.template (HTTPS, one nginx worker, tongxing in production mode,
 * bench/businessApi.ts behind it), with nginx's session check against the same route through the
 * same nginx without it; the check's added p50 at one connection; the library in a Koa app
 * (bench/libraryApp.ts) against the same app unchecked; and what a new connection costs tongxing
 * (`Connection: close` against keep-alive on /auth/verify). Run alone with `npm run bench:gateway`.
 */
import { dropDatabase } from "../src/db/database.js";
import { startNginx } from "../test/nginx.js";
import { findTool } from "../test/tools.js";
import {
  alternate,
  formatSpread,
  killAll,
  lastChild,
  measureGet,
  pairedRatioSpread,
  type Spread,
  startRedis,
  withServerCpu,
} from "./lib.js";
import { login, startFake, startTongxing } from "./tongxing.js";

const SERVICE_TOKEN = `bench-${"s".repeat(40)}`;
/** The unchecked twin of `location /`, added by the bench only (see uncheckedLocation). */
const UNCHECKED = "/_unchecked";
/** A twin whose auth_request asks the business API itself: what nginx's subrequest costs with a bare node:http server answering it. */
const FLOOR = "/_floor";
/** The same, asking a second bare server in a process of its own, as any separate check service is. */
const FLOOR_APART = "/_floor_apart";

/** What the scenario needs from the bench: its Redis, a database name for tongxing, the fake WeChat. */
export interface GatewaySetup {
  redisUrl: string;
  databaseUrl: string;
  wechat: string;
  rounds: number;
  /** seconds per run */
  duration: number;
}

/** The scenario's figures: ratios are medians of per-round ratios; latencies in microseconds. */
export interface GatewayResults {
  /** cpuUs: tongxing's CPU per checked request, microseconds */
  checked: { rps: number; rounds: number[]; cpuUs: number };
  unchecked: { rps: number; rounds: number[] };
  spread: Spread;
  /**
   * floorAddedP50Us: what the same subrequest adds when a bare node:http server answers it (the
   * business API's own process); floorApartAddedP50Us: when one in a process of its own does
   */
  oneConnection: {
    checkedP50Us: number;
    uncheckedP50Us: number;
    addedP50Us: number;
    floorAddedP50Us: number;
    floorApartAddedP50Us: number;
  };
  library: { checkedRps: number; openRps: number; spread: Spread; uncachedRps: number; uncachedSpread: Spread };
  connection: { keepAliveRps: number; closeRps: number; spread: Spread; keepAliveCpuUs: number; closeCpuUs: number; addedCpuUs: number };
}

/**
 * A copy of the template's `location / {}` that proxies straight to the business API: the same
 * headers and upstream pool, no auth_request. Derived from the rendered template, so that both
 * routes go through the same nginx, TLS listener and keepalive pool.
 */
export function uncheckedLocation(rendered: string, apartAddr?: string): string {
  const block = /\n {4}location \/ \{\n[\s\S]*?\n {4}\}\n/.exec(rendered)?.[0];
  if (!block) throw new Error("the template has no `location / {}` block");
  const twin = block
    .replace("location / {", `location ${UNCHECKED}/ {`)
    .replace(/^\s*(auth_request|auth_request_set|error_page)\b.*\n/gm, "")
    // The trailing slash replaces the location's prefix: /_unchecked/orders reaches the API as /orders.
    .replace("proxy_pass http://business_api;", "proxy_pass http://business_api/;");
  const floor = block
    .replace("location / {", `location ${FLOOR}/ {`)
    .replace(/^(\s*)auth_request \S+;/m, `$1auth_request ${FLOOR}_check;`)
    .replace(/^\s*(auth_request_set|error_page)\b.*\n/gm, "")
    .replace("proxy_pass http://business_api;", "proxy_pass http://business_api/;");
  const floorCheck = `
    location = ${FLOOR}_check {
        internal;
        proxy_pass http://business_api/check;
        proxy_set_header Connection "";
        proxy_method HEAD;
        proxy_pass_request_body off;
        proxy_set_header Content-Length "";
    }
`;
  if (!apartAddr) return rendered.replace(block, `${twin}${floor}${floorCheck}${block}`);
  const apart = floor
    .replace(`location ${FLOOR}/ {`, `location ${FLOOR_APART}/ {`)
    .replace(`auth_request ${FLOOR}_check;`, `auth_request ${FLOOR_APART}_check;`);
  const apartCheck = floorCheck
    .replace(`location = ${FLOOR}_check {`, `location = ${FLOOR_APART}_check {`)
    .replace("http://business_api/check", "http://check_apart/check");
  const upstream = `upstream check_apart {\n    server ${apartAddr};\n    keepalive 256;\n}\n\n`;
  return upstream + rendered.replace(block, `${twin}${floor}${floorCheck}${apart}${apartCheck}${block}`);
}

/** Runs scenario 12; tongxing, the business API, the library app and nginx are its own processes. */
export async function gatewayScenario(setup: GatewaySetup): Promise<GatewayResults | null> {
  const nginx = findTool("nginx", "apt-get install -y nginx-light", ["/usr/sbin/nginx"]);
  if (!nginx.path) return null;
  const tongxing = await startTongxing(["dist/main.js"], {
    REDIS_URL: setup.redisUrl,
    DATABASE_URL: setup.databaseUrl,
    WECHAT_API_BASE: setup.wechat,
    SERVICE_TOKEN,
  });
  const pid = lastChild();
  const api = new URL(await startTongxing(["--import", "tsx", "bench/businessApi.ts"], {}));
  const apart = new URL(await startTongxing(["--import", "tsx", "bench/businessApi.ts"], {}));
  const library = await startTongxing(["--import", "tsx", "bench/libraryApp.ts"], { REDIS_URL: setup.redisUrl });
  const gateway = await startNginx(
    nginx.path,
    { TONGXING_ADDR: new URL(tongxing).host, APP_ADDR: api.host, SERVICE_TOKEN },
    {
      transform: (rendered) => uncheckedLocation(rendered, apart.host),
      // 64 client connections, each with up to one to tongxing and one to the API at a time.
      workerConnections: 1024,
    },
  );
  try {
    const token = { "x-wx-token": await login(tongxing, `gateway-user#${process.pid}`) };
    const get =
      (url: string, headers: Record<string, string> = {}, connections = 64) =>
      () =>
        measureGet(url, headers, setup.duration, connections);
    const through = await alternate(setup.rounds, {
      // With tongxing's CPU per check: steadier than req/s on a shared machine.
      checked: withServerCpu(pid, setup.duration, get(`${gateway.url}/orders`, token)),
      unchecked: get(`${gateway.url}${UNCHECKED}/orders`, token),
    });
    const one = await alternate(setup.rounds, {
      checked: get(`${gateway.url}/orders`, token, 1),
      unchecked: get(`${gateway.url}${UNCHECKED}/orders`, token, 1),
      floor: get(`${gateway.url}${FLOOR}/orders`, token, 1),
      floorApart: get(`${gateway.url}${FLOOR_APART}/orders`, token, 1),
    });
    const lib = await alternate(setup.rounds, {
      checked: get(`${library}/orders`, token),
      open: get(`${library}/open/orders`, token),
      uncached: get(`${library}/uncached/orders`, token),
    });
    // 8 connections, as a gateway's pool to tongxing would hold: what each new one costs.
    const verify = (close: boolean) =>
      withServerCpu(pid, setup.duration, get(`${tongxing}/auth/verify`, { ...token, ...(close && { connection: "close" }) }, 8));
    const conn = await alternate(setup.rounds, { keepAlive: verify(false), close: verify(true) });
    const us = (ms = Number.NaN) => Math.round(ms * 1000);
    const [c, u, k, x] = [through.checked, through.unchecked, conn.keepAlive, conn.close];
    return {
      checked: { rps: c?.rps ?? 0, rounds: c?.rounds ?? [], cpuUs: c?.cpuUs ?? Number.NaN },
      unchecked: { rps: u?.rps ?? 0, rounds: u?.rounds ?? [] },
      spread: pairedRatioSpread(c?.rounds ?? [], u?.rounds ?? []),
      oneConnection: {
        checkedP50Us: us(one.checked?.p50),
        uncheckedP50Us: us(one.unchecked?.p50),
        addedP50Us: us((one.checked?.p50 ?? Number.NaN) - (one.unchecked?.p50 ?? Number.NaN)),
        floorAddedP50Us: us((one.floor?.p50 ?? Number.NaN) - (one.unchecked?.p50 ?? Number.NaN)),
        floorApartAddedP50Us: us((one.floorApart?.p50 ?? Number.NaN) - (one.unchecked?.p50 ?? Number.NaN)),
      },
      library: {
        checkedRps: lib.checked?.rps ?? 0,
        openRps: lib.open?.rps ?? 0,
        spread: pairedRatioSpread(lib.checked?.rounds ?? [], lib.open?.rounds ?? []),
        uncachedRps: lib.uncached?.rps ?? 0,
        uncachedSpread: pairedRatioSpread(lib.uncached?.rounds ?? [], lib.open?.rounds ?? []),
      },
      connection: {
        keepAliveRps: k?.rps ?? 0,
        closeRps: x?.rps ?? 0,
        spread: pairedRatioSpread(x?.rounds ?? [], k?.rounds ?? []),
        keepAliveCpuUs: k?.cpuUs ?? Number.NaN,
        closeCpuUs: x?.cpuUs ?? Number.NaN,
        addedCpuUs: (x?.cpuUs ?? Number.NaN) - (k?.cpuUs ?? Number.NaN),
      },
    };
  } finally {
    await gateway.stop();
  }
}

/** The scenario's rows of the bench's table (| scenario | measured | target | |). */
export function gatewayRows(r: GatewayResults | null): string[] {
  if (!r) return ["| 12. through the gateway | nginx is not installed | | NOT met |"];
  const n = (x: number) => `${Math.round(x)} req/s`;
  const row = (name: string, value: string, target: string, ok: boolean) =>
    `| ${name} | ${value} | ${target} | ${ok ? "met" : "NOT met"} |`;
  const o = r.oneConnection;
  return [
    row(
      "12. GET /orders through nginx, with the session check vs without",
      `${n(r.checked.rps)} / ${n(r.unchecked.rps)}, paired ratio ${formatSpread(r.spread)}; tongxing CPU per check ${r.checked.cpuUs.toFixed(1)} µs`,
      "≥ 0.40",
      r.spread.median >= 0.4,
    ),
    row(
      "12. p50 added by the check, one connection",
      `${o.addedP50Us} µs (${o.checkedP50Us} / ${o.uncheckedP50Us} µs); nginx's subrequest alone, answered by a bare node:http server: ${o.floorAddedP50Us} µs in the API's process, ${o.floorApartAddedP50Us} µs in one of its own`,
      "≤ 150 µs",
      o.addedP50Us <= 150,
    ),
    row(
      "12. the library (requireSession) in a Koa app vs the same app unchecked",
      `${n(r.library.checkedRps)} / ${n(r.library.openRps)}, paired ratio ${formatSpread(r.library.spread)}; cache: false ${n(r.library.uncachedRps)}, ${formatSpread(r.library.uncachedSpread, false)}`,
      "≥ 0.80",
      r.library.spread.median >= 0.8,
    ),
    row(
      "12. /auth/verify, Connection: close vs keep-alive, 8 connections",
      `${n(r.connection.closeRps)} / ${n(r.connection.keepAliveRps)}, paired ratio ${formatSpread(r.connection.spread, false)}; tongxing CPU per request ${r.connection.closeCpuUs.toFixed(1)} / ${r.connection.keepAliveCpuUs.toFixed(1)} µs: a new connection costs it ${r.connection.addedCpuUs.toFixed(1)} µs`,
      "(report)",
      true,
    ),
  ];
}

// Alone: a Redis, a database and the fake WeChat of its own.
if (import.meta.url === `file://${process.argv[1]}`) {
  const databaseUrl = `postgresql://postgres@127.0.0.1:5432/tongxing_bench_${process.pid}_gw`;
  try {
    const results = await gatewayScenario({
      redisUrl: (await startRedis()).url,
      databaseUrl,
      wechat: await startFake(),
      rounds: Number(process.env.BENCH_ROUNDS ?? 7),
      duration: Number(process.env.BENCH_DURATION ?? 2),
    });
    console.log(["| scenario | measured | target | |", "|---|---|---|---|", ...gatewayRows(results)].join("\n"));
  } finally {
    killAll();
    await dropDatabase(databaseUrl).catch(() => {});
  }
}
