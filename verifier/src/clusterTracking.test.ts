/**
 * What the cluster cache reads from CLUSTER NODES: the nodes it must track, and a view that
 * changes with the topology (nodes, roles, slots, migrations) but not with ping times.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseNodes } from "./clusterTracking.js";

const nodes = (pong: number, extra = "") =>
  [
    `aaa 127.0.0.1:7000@17000 myself,master - 0 ${pong} 1 connected 0-8191${extra}`,
    `bbb 127.0.0.1:7001@17001 master - 0 ${pong} 2 connected 8192-16383`,
    `ccc 127.0.0.1:7002@17002 slave aaa 0 ${pong} 1 connected`,
    `ddd 127.0.0.1:7003@17003 master,fail - 0 ${pong} 4 disconnected`,
    `eee :0@0 handshake - 0 0 0 disconnected`,
  ].join("\n");

test("every reachable node is tracked, replicas included; a failed node serving no slot and a handshake are not", () => {
  assert.deepEqual(parseNodes(nodes(1)).needs, ["127.0.0.1:7000", "127.0.0.1:7001", "127.0.0.1:7002"]);
});

test("a failed master that still serves slots is needed: the cache stays off until it is back or replaced", () => {
  const { needs } = parseNodes("fff 127.0.0.1:7004@17004 master,fail - 0 0 5 disconnected 0-100");
  assert.deepEqual(needs, ["127.0.0.1:7004"]);
});

test("the view ignores ping times but changes with a slot in migration or a role", () => {
  assert.equal(parseNodes(nodes(1)).view, parseNodes(nodes(2)).view);
  assert.notEqual(parseNodes(nodes(1)).view, parseNodes(nodes(1, " [42->-bbb]")).view);
  assert.notEqual(
    parseNodes(nodes(1)).view,
    parseNodes(nodes(1).replace("ccc 127.0.0.1:7002@17002 slave aaa", "ccc 127.0.0.1:7002@17002 master -")).view,
  );
});
