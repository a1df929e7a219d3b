/** The session lifecycle suite on a real 3-master Redis Cluster (REDIS_CLUSTER_NODES). */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { lifecycleSuite } from "./lifecycleSuite.js";
import { type RedisClusterHandle, startRedisCluster } from "./redisCluster.js";
import { startStack } from "./support.js";
import { redisServerTool } from "./tools.js";

if (redisServerTool.skip) {
  test("session lifecycle on a Redis Cluster", { skip: redisServerTool.skip }, () => {});
} else {
  let cluster: RedisClusterHandle | undefined;
  before(async () => {
    assert.ok(redisServerTool.path, redisServerTool.missing);
    cluster = await startRedisCluster();
  });
  after(() => cluster?.stop());

  lifecycleSuite("session lifecycle on a Redis Cluster", () => {
    // Never fall back to the single Redis: that would pass without testing the cluster.
    if (!cluster) throw new Error("the Redis Cluster did not start");
    return { REDIS_CLUSTER_NODES: cluster.nodes };
  });

  test("the session cache is off on a Cluster: one log line, no hits, a logout refused on the next request", async () => {
    if (!cluster) throw new Error("the Redis Cluster did not start");
    const stack = await startStack({ REDIS_CLUSTER_NODES: cluster.nodes, SESSION_CACHE: "on" });
    try {
      const off = stack.logs.filter((line) => line.includes("session cache off: on Redis Cluster"));
      assert.equal(off.length, 1, "one line saying so");
      const { token } = (await stack.login("cluster-cache")).body;
      for (let i = 0; i < 3; i++) assert.equal((await stack.request("GET", "/auth/session", { token })).status, 200);
      const scrape = await stack.request("GET", "/metrics");
      assert.equal(scrape.status, 200);
      const metrics = scrape.text;
      assert.match(metrics, /tongxing_session_cache_total/, "the cache's counter is exported");
      assert.doesNotMatch(metrics, /tongxing_session_cache_total\{result="hit"\} [1-9]/);
      assert.equal((await stack.request("POST", "/auth/logout", { token })).status, 204);
      assert.equal((await stack.request("GET", "/auth/session", { token })).status, 401);
    } finally {
      await stack.stop();
    }
  });
}
