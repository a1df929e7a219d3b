/** The session lifecycle suite on a real 3-master Redis Cluster (REDIS_CLUSTER_NODES). */
import { after, before } from "node:test";
import { lifecycleSuite } from "./lifecycleSuite.js";
import { type RedisClusterHandle, startRedisCluster } from "./redisCluster.js";

let cluster: RedisClusterHandle;
before(async () => {
  cluster = await startRedisCluster();
});
after(() => cluster.stop());

lifecycleSuite("session lifecycle on a Redis Cluster", () => ({ REDIS_CLUSTER_NODES: cluster.nodes }));
