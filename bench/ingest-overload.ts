/**
 * Overload with re-sends: many exporters, each sending big batches with the JS exporter's retry
 * rules (exporter-send.ts, 10 s deadline), into a collector process with its default settings.
 * An export that fails is sent again (an application or agent retry queue), and a share of the
 * acknowledged ones are sent again too (an ack lost on the way), as exporters do in the field.
 *   node bin/run-ts.mjs bench/ingest-overload.ts [--exporters 128] [--spans 2000] [--batches 3]
 *        [--resends 3] [--dup 0.1] [--max-seconds 240] [--config-extra YAML] [--semi-space 64]
 * Prints ack latency, Retry-After values, stored vs unique spans (duplicates), acknowledged
 * batches lost, and the collector's peak RSS. Exits 1 on a duplicate or a lost acknowledged span.
 */
import { spawn } from 'node:child_process'
import { Agent } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { storageConfigSchema } from '../collector/config.ts'
import { createStorageClient } from '../collector/storage/client.ts'
import { exportOnce, type Attempt } from './exporter-send.ts'
import { numberedBatches } from './overload-payloads.ts'
import { rssParts } from './proc.ts'

const { values: args } = parseArgs({
  options: {
    exporters: { type: 'string', default: '128' },
    spans: { type: 'string', default: '2000' },
    batches: { type: 'string', default: '3' },
    resends: { type: 'string', default: '3' },
    dup: { type: 'string', default: '0.1' },
    'max-seconds': { type: 'string', default: '240' },
    'config-extra': { type: 'string', default: '' },
    /** V8 young-generation semi-space in MB: 64 as README › Scaling recommends (less CPU), 16 is Node's default (less memory). */
    'semi-space': { type: 'string', default: '64' },
    /** More V8/Node flags for the collector process, space-separated (e.g. "--max-old-space-size=256"). */
    'node-args': { type: 'string', default: '' },
  },
})
const exporters = Number(args.exporters)
const spans = Number(args.spans)
const batchesPerExporter = Number(args.batches)
const resends = Number(args.resends)
const dupShare = Number(args.dup)
const port = 15318 + Math.floor(Math.random() * 1000)
const dir = mkdtempSync(join(tmpdir(), 'loopgate-bench-overload-'))
const metricsToken = 'bench-metrics-token-0123456789'
writeFileSync(
  join(dir, 'loopgate.yaml'),
  `logLevel: warn\nclickhouse:\n  path: ${dir}/clickhouse\ncollector:\n  port: ${port}\n  metricsToken: ${metricsToken}\n${args['config-extra']}`,
)
const scrape = () =>
  fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } }).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  )

console.log(`building templates of ${spans} spans…`)
const batches = await numberedBatches(4, spans)
console.log(
  `batch ≈ ${(batches.batch(1).length / 1024).toFixed(0)} KiB; ${exporters} exporters × ${batchesPerExporter} batches × ${spans} spans = ${exporters * batchesPerExporter * spans} unique spans`,
)

const child = spawn(
  process.execPath,
  [
    `--max-semi-space-size=${Number(args['semi-space'])}`,
    ...args['node-args'].split(' ').filter(Boolean),
    join(import.meta.dirname, '../bin/loopgate.mjs'),
    'collector',
    '--config',
    join(dir, 'loopgate.yaml'),
  ],
  { stdio: ['ignore', 'inherit', 'inherit'] },
)
// After --max-seconds no export starts (the ones under way finish: each within its 10 s deadline and re-sends).
let stopped = false
const stop = setTimeout(
  () => {
    console.log(`stopping new exports after ${args['max-seconds']} s`)
    stopped = true
  },
  Number(args['max-seconds']) * 1000,
)
const abort = setTimeout(
  () => {
    console.error('aborting: exports still running 120 s after the stop')
    child.kill('SIGKILL')
    rmSync(dir, { recursive: true, force: true })
    process.exit(2)
  },
  (Number(args['max-seconds']) + 120) * 1000,
)
const url = `http://127.0.0.1:${port}`
for (let i = 0; ; i++) {
  if (i > 600) throw new Error('collector did not start')
  if (
    await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break
  await new Promise((r) => setTimeout(r, 100))
}
const idle = rssParts(child.pid!)
let peak = idle
const rssPoll = setInterval(() => {
  const now = rssParts(child.pid!)
  if (now.total > peak.total) peak = now
}, 100)
const metric = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN)
let peakHeap = 0
let peakExternal = 0
const heapPoll = setInterval(async () => {
  const text = await scrape()
  peakHeap = Math.max(peakHeap, metric(text, 'nodejs_heap_size_total_bytes') || 0)
  peakExternal = Math.max(peakExternal, metric(text, 'nodejs_external_memory_bytes') || 0)
}, 1000)

const agent = new Agent({ keepAlive: true })
const attempts: Attempt[] = []
const acked = new Set<number>()
const unacked = new Set<number>()
let exports = 0
let failedExports = 0
const started = performance.now()
await Promise.all(
  Array.from({ length: exporters }, async (_, e) => {
    for (let b = 0; b < batchesPerExporter && !stopped; b++) {
      const k = e * batchesPerExporter + b + 1
      const body = batches.batch(k)
      let ok = false
      for (let send = 0; send <= resends && !ok && !(stopped && send > 0); send++) {
        exports++
        const outcome = await exportOnce(`${url}/v1/traces`, agent, body)
        attempts.push(...outcome.attempts)
        ok = outcome.ok
        if (!ok) failedExports++
      }
      if (!ok) {
        unacked.add(k)
        continue
      }
      acked.add(k)
      if (Math.random() < dupShare) {
        exports++
        const again = await exportOnce(`${url}/v1/traces`, agent, body)
        attempts.push(...again.attempts)
      }
    }
  }),
)
const seconds = (performance.now() - started) / 1000
clearInterval(rssPoll)
clearInterval(heapPoll)
agent.destroy()
const finalMetrics = await scrape()
const inserts = metric(finalMetrics, 'loopgate_collector_insert_rows_count')
const insertSummary = `${inserts} INSERTs, ${(metric(finalMetrics, 'loopgate_collector_insert_rows_sum') / inserts).toFixed(0)} rows and ${((metric(finalMetrics, 'loopgate_collector_insert_seconds_sum') / inserts) * 1000).toFixed(0)} ms each`
child.kill('SIGTERM')
await new Promise((r) => child.once('exit', r))
clearTimeout(abort)
clearTimeout(stop)

const db = await createStorageClient(storageConfigSchema.parse({ path: `${dir}/clickhouse` }))
const perBatch = await (
  await db.query({
    query: `SELECT substring(TraceId, 1, 8) AS batch, count() AS rows, uniqExact(SpanId) AS spans FROM loopgate.spans GROUP BY batch`,
    format: 'JSONEachRow',
  })
).json<{ batch: string; rows: string; spans: string }>()
await db.close()
const stored = new Map(perBatch.map((r) => [r.batch, { rows: Number(r.rows), spans: Number(r.spans) }]))
let rows = 0
let unique = 0
for (const r of stored.values()) {
  rows += r.rows
  unique += r.spans
}
const offered = acked.size + unacked.size
const lostAcked = [...acked].filter((k) => (stored.get(batches.batchPrefix(k))?.spans ?? 0) < spans).length

const okMs = attempts
  .filter((a) => a.status === 200)
  .map((a) => a.ms)
  .sort((a, b) => a - b)
const anyMs = attempts
  .filter((a) => a.status !== 'timeout')
  .map((a) => a.ms)
  .sort((a, b) => a - b)
const q = (xs: number[], p: number) =>
  xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))]!.toFixed(0) : '-'
const byStatus = new Map<string, number>()
for (const a of attempts) byStatus.set(String(a.status), (byStatus.get(String(a.status)) ?? 0) + 1)
const retryAfters = attempts.flatMap((a) => (a.retryAfter ? [Number(a.retryAfter)] : []))

console.log(`
ingest overload (semi-space ${args['semi-space']} MB; ${exporters} exporters × ${batchesPerExporter} batches × ${spans} spans, re-send failed ≤ ${resends}×, re-send ${dupShare * 100}% of acked) in ${seconds.toFixed(1)} s
  HTTP attempts     : ${attempts.length} (${[...byStatus].map(([s, n]) => `${s}: ${n}`).join(', ')})
  batches offered   : ${offered} (${offered * spans} unique spans)${stopped ? ' — stopped by --max-seconds' : ''}
  exports           : ${exports}, failed ${failedExports}; batches acked ${acked.size}, never acked ${unacked.size}
  ack latency (200) : p50 ${q(okMs, 0.5)} ms, p99 ${q(okMs, 0.99)} ms, max ${q(okMs, 1)} ms
  any answer        : max ${q(anyMs, 1)} ms
  Retry-After       : ${retryAfters.length ? `${Math.min(...retryAfters)}–${Math.max(...retryAfters)} s (${retryAfters.length} refusals)` : 'none'}
  stored rows       : ${rows}, unique spans ${unique}, duplicates ${rows - unique} (${rows ? (((rows - unique) / rows) * 100).toFixed(1) : 0} %)
  acked batches lost: ${lostAcked}
  collector writes  : ${insertSummary}
  collector RSS     : peak ${peak.total.toFixed(0)} MB (anonymous ${peak.anon.toFixed(0)}, file-backed ${peak.file.toFixed(0)}; idle ${idle.total.toFixed(0)} MB; V8 heap peak ${(peakHeap / 2 ** 20).toFixed(0)} MB, external ${(peakExternal / 2 ** 20).toFixed(0)} MB)`)
rmSync(dir, { recursive: true, force: true })
process.exit(rows - unique === 0 && lostAcked === 0 ? 0 : 1)
