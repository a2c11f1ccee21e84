/**
 * Ingest benchmark: OTLP protobuf over loopback into a collector process at steady concurrency,
 * then the same rows inserted straight into the store, in one run.
 *   node bin/run-ts.mjs bench/ingest.ts [--seconds 10] [--concurrency 8] [--spans 512] [--linger MS] [--cpu-prof DIR]
 * `--cpu-prof DIR` writes the collector process's V8 CPU profile there when it stops.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { Agent, request } from 'undici'
import { storageConfigSchema } from '../collector/config.ts'
import { Normalizer } from '../collector/normalize/index.ts'
import { decodeProtobuf } from '../collector/otlp/decode.ts'
import { createStorageClient } from '../collector/storage/client.ts'
import { encodeNativeBlock } from '../collector/storage/native-block.ts'
import { spanColumns } from '../collector/storage/span-columns.ts'
import { openStore } from '../collector/storage/store.ts'
import { gatewaySpanPayloads } from './payloads.ts'
import { cpuMicros } from './proc.ts'

const { values: args } = parseArgs({ options: { seconds: { type: 'string', default: '10' }, concurrency: { type: 'string', default: '8' }, spans: { type: 'string', default: '512' }, linger: { type: 'string' }, 'cpu-prof': { type: 'string' } } })
const seconds = Number(args.seconds)
const concurrency = Number(args.concurrency)
const spansPerPayload = Number(args.spans)
const port = 14318 + Math.floor(Math.random() * 1000)
const dir = mkdtempSync(join(tmpdir(), 'loopgate-bench-ingest-'))
const writer = args.linger === undefined ? '' : `  writer:\n    lingerMs: ${Number(args.linger)}\n`
/** /metrics needs a token (it names tenants); the bench gives its collector one. */
const METRICS_TOKEN = 'bench-metrics-token-00000001'
writeFileSync(join(dir, 'loopgate.yaml'), `logLevel: warn\nclickhouse:\n  path: ${dir}/clickhouse\ncollector:\n  port: ${port}\n${writer}`)

console.log(`building ${64} payloads of ${spansPerPayload} spans…`)
const payloads = await gatewaySpanPayloads(64, spansPerPayload)
console.log(`payload size ≈ ${(payloads[0]!.length / 1024).toFixed(0)} KiB (${(payloads[0]!.length / spansPerPayload).toFixed(0)} B/span)`)

// 1. Through the collector (its own process, as in production).
// Run as README's Scaling section recommends for a collector.
const child = spawn(process.execPath, ['--max-semi-space-size=64', ...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : []), join(import.meta.dirname, '../bin/loopgate.mjs'), 'collector', '--config', join(dir, 'loopgate.yaml')], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, LOOPGATE_METRICS_TOKEN: METRICS_TOKEN } })
const url = `http://127.0.0.1:${port}`
for (let i = 0; ; i++) {
  if (i > 300) throw new Error('collector did not start')
  if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break
  await new Promise((r) => setTimeout(r, 100))
}
const agent = new Agent({ connections: concurrency, pipelining: 1 })
let acked = 0
let refused = 0
let requests = 0
const latencies: number[] = []
const deadline = performance.now() + seconds * 1000
const started = performance.now()
const cpuStart = cpuMicros(child.pid!)
await Promise.all(
  Array.from({ length: concurrency }, async (_, worker) => {
    for (let i = worker; performance.now() < deadline; i += concurrency) {
      const t = performance.now()
      const res = await request(`${url}/v1/traces`, { method: 'POST', dispatcher: agent, headers: { 'content-type': 'application/x-protobuf' }, body: payloads[i % payloads.length] })
      await res.body.arrayBuffer()
      requests++
      latencies.push(performance.now() - t)
      if (res.statusCode === 200) acked += spansPerPayload
      else refused += spansPerPayload
    }
  }),
)
const httpSeconds = (performance.now() - started) / 1000
const collectorCpuPerSpan = (cpuMicros(child.pid!) - cpuStart) / acked
await agent.close()
const metrics = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) => r.text())
const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN)
const inserts = metric('loopgate_collector_insert_rows_count')
const insertSummary = `${inserts} INSERTs, ${(metric('loopgate_collector_insert_rows_sum') / inserts).toFixed(0)} rows and ${((metric('loopgate_collector_insert_seconds_sum') / inserts) * 1000).toFixed(0)} ms each`
child.kill('SIGTERM')
await new Promise((r) => child.once('exit', r))

const reader = await createStorageClient(storageConfigSchema.parse({ path: `${dir}/clickhouse` }))
const stored = Number((await (await reader.query({ query: 'SELECT count() AS n FROM loopgate.spans', format: 'JSONEachRow' })).json<{ n: string }>())[0]!.n)
await reader.close()

// 2. The same rows straight into a store (decode + normalize done beforehand, not timed).
const direct = await openStore(storageConfigSchema.parse({ path: `${dir}/direct` }))
const normalizer = new Normalizer()
const rows = payloads.flatMap((p) => normalizer.normalize(decodeProtobuf(p), { tenantId: 'default', trustTenantAttribute: true }).rows)
const batch = encodeNativeBlock(spanColumns, rows)
const columnNames = spanColumns.map((c) => c.name)
let directRows = 0
const directCpuStart = cpuMicros(process.pid)
const directStart = performance.now()
while (performance.now() - directStart < Math.min(seconds, 10) * 1000) {
  await direct.insertNative(direct.table('spans'), columnNames, batch)
  directRows += rows.length
}
const directPerSecond = directRows / ((performance.now() - directStart) / 1000)
const directCpuPerRow = (cpuMicros(process.pid) - directCpuStart) / directRows
await direct.close()

latencies.sort((a, b) => a - b)
const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1)
const viaHttp = acked / httpSeconds
console.log(`
ingest benchmark (${seconds}s, concurrency ${concurrency}, ${spansPerPayload} spans/request)
  through collector : ${viaHttp.toFixed(0)} spans/s, ${collectorCpuPerSpan.toFixed(1)} CPU µs/span   (${requests} requests, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, refused ${refused} spans)
  collector writes  : ${insertSummary}
  acknowledged      : ${acked}
  stored            : ${stored}   ${stored === acked ? '(equal: none lost)' : `(MISMATCH: ${stored - acked})`}
  direct insert     : ${directPerSecond.toFixed(0)} rows/s, ${directCpuPerRow.toFixed(1)} CPU µs/row (pre-encoded Native, ${rows.length} rows per INSERT)
  ratio             : ${(viaHttp / directPerSecond).toFixed(2)} of a direct insert (CPU per span ${(collectorCpuPerSpan / directCpuPerRow).toFixed(2)}×)`)
pino().flush()
rmSync(dir, { recursive: true, force: true })
process.exit(stored === acked ? 0 : 1)
