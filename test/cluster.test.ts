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

  test("the session cache works on a Cluster: hits counted, a logout refused on the next request", async () => {
    if (!cluster) throw new Error("the Redis Cluster did not start");
    const stack = await startStack({ REDIS_CLUSTER_NODES: cluster.nodes, SESSION_CACHE: "on" });
    try {
      const { token } = (await stack.login("cluster-cache")).body;
      const hits = async () =>
        Number(/tongxing_session_cache_total\{result="hit"\} (\d+)/.exec((await stack.request("GET", "/metrics")).text)?.[1] ?? 0);
      // Tracking is set up on every node in the background: hits come once it is proved.
      const deadline = Date.now() + 5000;
      while ((await hits()) === 0 && Date.now() < deadline)
        assert.equal((await stack.request("GET", "/auth/session", { token })).status, 200);
      assert.ok((await hits()) > 0, "checks answered from the cache");
      assert.equal((await stack.request("POST", "/auth/logout", { token })).status, 204);
      assert.equal((await stack.request("GET", "/auth/session", { token })).status, 401);
    } finally {
      await stack.stop();
    }
  });
}
