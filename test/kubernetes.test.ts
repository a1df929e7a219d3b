/**
 * deploy/kubernetes/, as far as it can be checked without a cluster (none runs on these
 * machines): every document validated against the Kubernetes API schema of its kind (the
 * kubernetes-models package ships them, compiled from Kubernetes' OpenAPI document), then the
 * links between documents that no schema can see: probe paths and port names, selectors and
 * labels, the grace period against tongxing's own shutdown settings, and every secret named by
 * reference to a documented variable. The schemas, like Kubernetes' own OpenAPI document, let
 * unknown fields through (the API server's field validation refuses them), so the fields that
 * matter are checked by name.
 */
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { test } from "node:test";
import { Deployment } from "kubernetes-models/apps/v1";
import { Job } from "kubernetes-models/batch/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { type IContainer, type IEnvVar, type IPodSpec, Service } from "kubernetes-models/v1";
import { parseAllDocuments } from "yaml";
import { loadConfig } from "../src/config/config.js";

const DIR = "deploy/kubernetes";

/** The kinds the manifests may hold, each with the model whose validate() checks its schema. */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  "apps/v1 Deployment": Deployment,
  "v1 Service": Service,
  "policy/v1 PodDisruptionBudget": PodDisruptionBudget,
  "batch/v1 Job": Job,
};

// Parsed YAML, checked field by field below.
type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec: any };

async function loadManifests(): Promise<{ file: string; doc: Manifest }[]> {
  const files = (await readdir(DIR)).filter((f) => f.endsWith(".yaml")).sort();
  const out: { file: string; doc: Manifest }[] = [];
  for (const file of files) {
    for (const d of parseAllDocuments(await readFile(path.join(DIR, file), "utf8"))) {
      assert.deepEqual(d.errors, [], `${file} parses`);
      const doc = d.toJS() as Manifest | null;
      if (doc !== null) out.push({ file, doc });
    }
  }
  return out;
}

async function only(kind: string): Promise<Manifest> {
  const found = (await loadManifests()).filter(({ doc }) => doc.kind === kind);
  assert.equal(found.length, 1, `one ${kind}`);
  return (found[0] as { doc: Manifest }).doc;
}

/** The variables with a row in a settings table: README's Configuration, operations' More settings. */
async function documentedVariables(): Promise<Set<string>> {
  const names = new Set<string>();
  for (const file of ["README.md", "docs/operations.md"]) {
    for (const [, firstCell] of (await readFile(file, "utf8")).matchAll(/^\|([^|\n]*)\|/gm)) {
      for (const [, name] of (firstCell as string).matchAll(/`([A-Z][A-Z0-9_]+)`/g)) names.add(name as string);
    }
  }
  return names;
}

function plainEnv(container: IContainer): Record<string, string> {
  return Object.fromEntries((container.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
}

/** tongxing's config as the container's plain settings make it (secrets stood in for). */
function configOf(container: IContainer) {
  return loadConfig({
    ...plainEnv(container),
    WECHAT_APPID: "wx0000000000000000",
    WECHAT_SECRET: "stand-in",
    SESSION_KEY_ENCRYPTION_KEY: Buffer.alloc(32).toString("base64"),
  });
}

function podSpecs(manifests: Manifest[]): { name: string; pod: IPodSpec }[] {
  return manifests
    .filter((m) => m.kind === "Deployment" || m.kind === "Job")
    .map((m) => ({ name: `${m.kind} ${m.metadata.name}`, pod: m.spec.template.spec as IPodSpec }));
}

test("kubernetes: every document is valid against the Kubernetes schema of its kind", async () => {
  const manifests = await loadManifests();
  for (const { file, doc } of manifests) {
    const Model = MODELS[`${doc.apiVersion} ${doc.kind}`];
    assert.ok(Model, `${file}: ${doc.apiVersion} ${doc.kind} is one of ${Object.keys(MODELS).join(", ")}`);
    assert.doesNotThrow(() => new Model(doc as never).validate(), `${file}: ${doc.kind} ${doc.metadata.name}`);
  }
  assert.deepEqual(new Set(manifests.map(({ doc }) => doc.kind)), new Set(["Deployment", "Service", "PodDisruptionBudget", "Job"]));
  // The validator is not a no-op: a wrong type is refused.
  const broken = structuredClone(await only("Deployment"));
  broken.spec.template.spec.containers[0].ports[0].containerPort = "http";
  assert.throws(() => new Deployment(broken as never).validate());
});

test("kubernetes: probes, ports and selectors link up", async () => {
  const deployment = await only("Deployment");
  const service = await only("Service");
  const pdb = await only("PodDisruptionBudget");
  const pod = deployment.spec.template.spec as IPodSpec;
  const container = pod.containers[0] as IContainer;
  const labels = deployment.spec.template.metadata.labels as Record<string, string>;

  assert.equal(container.readinessProbe?.httpGet?.path, "/readyz", "readiness: Redis and PostgreSQL answer, not shutting down");
  assert.equal(container.livenessProbe?.httpGet?.path, "/healthz", "liveness touches nothing, so a backend outage restarts nobody");
  const portNames = new Map((container.ports ?? []).map((p) => [p.name, p.containerPort]));
  const config = configOf(container);
  assert.equal(portNames.get("http"), config.port, "the container port named http is PORT");
  assert.equal(config.host, "0.0.0.0", "listens beyond loopback, where the kubelet and the Service reach it");
  if (config.metricsPort !== undefined) assert.equal(portNames.get("metrics"), config.metricsPort, "METRICS_PORT is named metrics");
  for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
    if (probe) assert.ok(portNames.has(String(probe.httpGet?.port)), `probe port ${probe.httpGet?.port} names a container port`);
  }
  for (const p of service.spec.ports) assert.ok(portNames.has(p.targetPort), `Service targetPort ${p.targetPort} names a container port`);

  const matches = (selector: Record<string, string>) => Object.entries(selector).every(([k, v]) => labels[k] === v);
  assert.ok(matches(deployment.spec.selector.matchLabels), "the Deployment selects its own pods");
  assert.ok(matches(service.spec.selector), "the Service selects the Deployment's pods");
  assert.ok(matches(pdb.spec.selector.matchLabels), "the PodDisruptionBudget covers the Deployment's pods");
  assert.ok(deployment.spec.replicas > (pdb.spec.minAvailable ?? 0), "a drain can still evict one pod");
});

test("kubernetes: the grace period covers SHUTDOWN_DELAY + SHUTDOWN_TIMEOUT, readiness fails within the delay", async () => {
  const deployment = await only("Deployment");
  const pod = deployment.spec.template.spec as IPodSpec;
  const container = pod.containers[0] as IContainer;
  const { shutdownDelay, shutdownTimeout } = configOf(container);
  assert.equal(configOf(container).nodeEnv, "production");
  assert.ok(shutdownDelay > 0, "a delay, so that endpoints stop routing before the listener closes");
  // Past terminationGracePeriodSeconds the kubelet sends SIGKILL, cutting in-flight requests.
  assert.ok(
    (pod.terminationGracePeriodSeconds ?? 30) >= shutdownDelay + shutdownTimeout,
    `terminationGracePeriodSeconds ${pod.terminationGracePeriodSeconds} >= ${shutdownDelay} + ${shutdownTimeout}`,
  );
  assert.equal(container.lifecycle?.preStop, undefined, "tongxing drains on SIGTERM itself; a preStop would add to the delay");
  // Endpoints drop a terminating pod on their own; a balancer that only polls readiness needs
  // failureThreshold × periodSeconds within the delay.
  const readiness = container.readinessProbe ?? {};
  assert.ok((readiness.periodSeconds ?? 10) * (readiness.failureThreshold ?? 3) <= shutdownDelay, "readiness fails within SHUTDOWN_DELAY");
  assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0, "a rollout keeps every ready pod until its successor is ready");
});

test("kubernetes: pods run non-root with a read-only root filesystem, no privileges and bounded resources", async () => {
  for (const { name, pod } of podSpecs((await loadManifests()).map(({ doc }) => doc))) {
    assert.equal(pod.securityContext?.runAsNonRoot, true, name);
    // The image's USER is the name "node", which the kubelet cannot prove non-root: a uid is needed.
    assert.ok((pod.securityContext?.runAsUser ?? 0) > 0, `${name}: numeric non-root uid`);
    assert.equal(pod.securityContext?.seccompProfile?.type, "RuntimeDefault", name);
    assert.equal(pod.automountServiceAccountToken, false, `${name}: tongxing never calls the Kubernetes API`);
    for (const c of pod.containers) {
      assert.equal(c.securityContext?.allowPrivilegeEscalation, false, name);
      assert.equal(c.securityContext?.readOnlyRootFilesystem, true, name);
      assert.deepEqual(c.securityContext?.capabilities?.drop, ["ALL"], name);
      assert.equal(c.securityContext?.privileged ?? false, false, name);
      const tmp = c.volumeMounts?.find((m) => m.mountPath === "/tmp");
      assert.ok(tmp && pod.volumes?.some((v) => v.name === tmp.name && v.emptyDir), `${name}: a writable /tmp from an emptyDir`);
      for (const r of ["cpu", "memory"]) assert.ok(c.resources?.requests?.[r], `${name}: ${r} request`);
      assert.ok(c.resources?.limits?.memory, `${name}: memory limit`);
      assert.doesNotMatch(c.image ?? "", /:latest$|^[^:]+$/, `${name}: a pinned image tag`);
    }
  }
});

test("kubernetes: secrets only by reference, each to a documented variable", async () => {
  const manifests = (await loadManifests()).map(({ doc }) => doc);
  const documented = await documentedVariables();
  const secretLike = /SECRET|TOKEN|KEY|PASSWORD|_URL$|^WECHAT_APPS$/;
  const referenced = new Set<string>();
  for (const { name, pod } of podSpecs(manifests)) {
    for (const c of pod.containers) {
      assert.equal(c.envFrom, undefined, `${name}: every variable named, none imported wholesale`);
      for (const e of c.env ?? ([] as IEnvVar[])) {
        assert.ok(documented.has(e.name), `${name}: ${e.name} is a documented variable`);
        const ref = e.valueFrom?.secretKeyRef;
        if (secretLike.test(e.name) && !/^(WECHAT_API_BASE|REDIS_KEY_PREFIX)$/.test(e.name)) {
          assert.ok(ref, `${name}: ${e.name} comes from a Secret, never a literal`);
        }
        if (ref) {
          assert.equal(ref.name, "tongxing", `${name}: ${e.name} from the Secret named tongxing`);
          assert.equal(ref.key, e.name, `${name}: the Secret's key is the variable's name`);
          referenced.add(e.name);
        }
      }
    }
  }
  for (const required of ["DATABASE_URL", "REDIS_URL", "WECHAT_APPID", "WECHAT_SECRET", "SESSION_KEY_ENCRYPTION_KEY"]) {
    assert.ok(referenced.has(required), `${required} referenced`);
  }
  assert.ok(!manifests.some((m) => (m.kind as string) === "Secret"), "no Secret object committed, not even an example");
  // Every key the manifests reference is in the docs' `kubectl create secret` command.
  const ops = await readFile("docs/operations.md", "utf8");
  for (const name of referenced) assert.ok(ops.includes(`--from-literal=${name}=`), `${name} in the create-secret example`);
});

test("kubernetes: migrations run once, from a Job, before the Deployment's pods start without them", async () => {
  const deployment = await only("Deployment");
  const job = await only("Job");
  const server = deployment.spec.template.spec.containers[0] as IContainer;
  const migrate = job.spec.template.spec.containers[0] as IContainer;
  assert.equal(plainEnv(server).MIGRATE_ON_START, "false", "pods do not migrate: the Job does");
  assert.deepEqual(server.command, ["node", "--no-allocation-site-pretenuring", "dist/main.js"]);
  assert.equal(server.args, undefined, "the server: no subcommand");
  assert.deepEqual([...(migrate.command ?? []), ...(migrate.args ?? [])], ["node", "dist/main.js", "migrate"]);
  assert.equal(migrate.image, server.image, "the migrations of the image the pods run");
  assert.equal(job.spec.template.spec.restartPolicy, "Never");
  assert.ok(job.spec.backoffLimit >= 1 && job.spec.activeDeadlineSeconds > 0, "retried, and bounded in time");
  const dbOf = (c: IContainer) => c.env?.find((e) => e.name === "DATABASE_URL")?.valueFrom?.secretKeyRef;
  assert.deepEqual(dbOf(migrate), dbOf(server), "the same database");
});
