/** The session lifecycle suite on a real 3-master Redis Cluster (REDIS_CLUSTER_NODES). */
import { after, before } from "node:test";
import { lifecycleSuite } from "./lifecycleSuite.js";
import { type RedisClusterHandle, startRedisCluster } from "./redisCluster.js";

let cluster: RedisClusterHandle | undefined;
before(async () => {
  cluster = await startRedisCluster();
});
after(() => cluster?.stop());

lifecycleSuite("session lifecycle on a Redis Cluster", () => {
  // Never fall back to the single Redis: that would pass without testing the cluster.
  if (!cluster) throw new Error("the Redis Cluster did not start");
  return { REDIS_CLUSTER_NODES: cluster.nodes };
});
