import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { Deployment } from 'kubernetes-models/apps/v1'
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1'
import { parseAllDocuments } from 'yaml'
import { EnvSchema, readEnvironment } from '../../src/config/env.js'
import { buildStandalone } from '../../src/standalone.js'

const dir = fileURLToPath(new URL('../../deploy/k8s/', import.meta.url))

// each kind the manifests use, with the model that knows its schema
const MODELS: Record<string, new (data: any) => { validate (): void }> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget
}

const documents = readdirSync(dir).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml').flatMap((file) =>
  parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => {
    assert.deepEqual(doc.errors, [], file)
    return { file, object: doc.toJS() as Record<string, any> }
  }))

function one (kind: string): Record<string, any> {
  const found = documents.filter(({ object }) => object.kind === kind)
  assert.equal(found.length, 1, `one ${kind}`)
  return found[0]!.object
}

const deployment = one('Deployment')
const container = deployment.spec.template.spec.containers[0]
const configMap = one('ConfigMap')
const secret = one('Secret')
// what the server makes of the ConfigMap and the Secret, defaults included
const served = readEnvironment({ ...configMap.data, ...secret.stringData })

test('every manifest validates against its Kubernetes schema, and kustomization.yaml lists them all', () => {
  for (const { file, object } of documents) {
    const Model = MODELS[`${object.apiVersion}/${object.kind}`]
    assert.ok(Model !== undefined, `${file}: no model for ${object.apiVersion} ${object.kind}`)
    assert.doesNotThrow(() => new Model(object).validate(), `${file} is a valid ${object.kind}`)
  }
  assert.deepEqual(Object.keys(MODELS).map((key) => key.split('/').at(-1)).sort(), documents.map(({ object }) => object.kind).sort())
  const kustomization = parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS()
  assert.deepEqual([...kustomization.resources].sort(), [...new Set(documents.map(({ file }) => file))].sort())
})

test('the validation catches a broken manifest', () => {
  const broken = structuredClone(deployment)
  broken.spec.template.spec.containers[0].ports[0].containerPort = 'eighty'
  assert.throws(() => new Deployment(broken).validate())
})

test('every variable the manifests set is one the server reads, and the ConfigMap and Secret together are a valid environment', () => {
  const accepted = new Set(Object.keys(EnvSchema.properties))
  const names = [
    ...Object.keys(configMap.data),
    ...Object.keys(secret.stringData ?? {}),
    ...Object.keys(secret.data ?? {}),
    ...(container.env ?? []).map((variable: { name: string }) => variable.name)
  ]
  assert.deepEqual(names.filter((name) => !accepted.has(name)), [])
  // the Secret and the ConfigMap do not set the same variable twice
  assert.deepEqual(Object.keys(configMap.data).filter((name) => name in (secret.stringData ?? {})), [])
  assert.doesNotThrow(() => readEnvironment({ ...configMap.data, ...secret.stringData, WS_INSTANCE_ID: 'fastify-ws-hub-7d4b9c-x2x9q' }))
  assert.deepEqual(container.envFrom, [{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: secret.metadata.name } }])
})

test('the container port is the one the server listens on, and the probes, Service and scrape annotation use it', () => {
  const port = served.process.WS_PORT
  assert.deepEqual(container.ports, [{ name: 'http', containerPort: port, protocol: 'TCP' }])
  assert.equal(container.readinessProbe.httpGet.port, 'http')
  assert.equal(container.livenessProbe.httpGet.port, 'http')
  assert.equal(one('Service').spec.ports[0].targetPort, 'http')
  assert.equal(deployment.spec.template.metadata.annotations['prometheus.io/port'], String(port))
})

test('the probe paths answer 200 on a server built from the ConfigMap', async (t) => {
  // the broker is the cluster's; here the local adapter stands in, the rest of the settings are the ConfigMap's
  const app = await buildStandalone(readEnvironment({ ...configMap.data, ...secret.stringData, WS_PUBSUB_ENABLED: 'false', WS_LOG_LEVEL: 'silent' }))
  t.after(() => app.close())
  const paths = [container.readinessProbe.httpGet.path, container.livenessProbe.httpGet.path, deployment.spec.template.metadata.annotations['prometheus.io/path']]
  assert.deepEqual(paths, ['/health/ready', '/health/live', '/metrics'])
  for (const url of paths.slice(0, 2)) assert.equal((await app.inject(url)).statusCode, 200, url)
  // /metrics asks for the Secret's token
  assert.equal((await app.inject({ url: paths[2], headers: { authorization: `Bearer ${secret.stringData.WS_METRICS_TOKEN}` } })).statusCode, 200)
})

test('the grace period covers the drain and the shutdown timeout, with the server\'s own last second', () => {
  const spec = deployment.spec.template.spec
  const { shutdownTimeoutMs, drainDelayMs, drainSpreadMs } = served.options
  // the server waits for the endpoints to forget the pod (WS_DRAIN_DELAY_MS), so no preStop sleep adds to it
  assert.equal(container.lifecycle?.preStop, undefined)
  assert.ok(drainDelayMs >= 5_000, `WS_DRAIN_DELAY_MS ${drainDelayMs} leaves the endpoints time to drop the pod`)
  assert.ok(drainSpreadMs > 0, 'the clients are closed over a spread, not all at once')
  // readEnvironment refused the ConfigMap otherwise; the timeout counts from the SIGTERM, the drain included
  assert.ok(shutdownTimeoutMs > drainDelayMs + drainSpreadMs + served.options.pubsubPublishTimeoutMs)
  // src/server.ts exits 1 when closing hangs past the timeout + 1 s
  assert.ok(spec.terminationGracePeriodSeconds >= shutdownTimeoutMs / 1000 + 1,
    `${spec.terminationGracePeriodSeconds} s >= ${shutdownTimeoutMs / 1000} + 1`)
})

test('the pod runs as non-root on a read-only root filesystem, with requests and limits, and every selector finds it', () => {
  const spec = deployment.spec.template.spec
  assert.equal(spec.securityContext.runAsNonRoot, true)
  assert.ok(spec.securityContext.runAsUser > 0)
  assert.deepEqual({ readOnly: container.securityContext.readOnlyRootFilesystem, escalation: container.securityContext.allowPrivilegeEscalation },
    { readOnly: true, escalation: false })
  for (const kind of ['requests', 'limits']) assert.deepEqual(Object.keys(container.resources[kind]).sort(), ['cpu', 'memory'], kind)

  const podLabels = deployment.spec.template.metadata.labels
  const matches = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => podLabels[key] === value)
  assert.ok(matches(deployment.spec.selector.matchLabels))
  assert.ok(matches(one('Service').spec.selector))
  assert.ok(matches(one('PodDisruptionBudget').spec.selector.matchLabels))
  assert.deepEqual(one('HorizontalPodAutoscaler').spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name })
})
