/** The session lifecycle suite on a real 3-master Redis Cluster (REDIS_CLUSTER_NODES). */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { lifecycleSuite } from "./lifecycleSuite.js";
import { type RedisClusterHandle, startRedisCluster } from "./redisCluster.js";
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
}
