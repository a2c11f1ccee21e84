/**
 * Ingest benchmark: OTLP protobuf over loopback into a collector process at steady concurrency,
 * with deduplication (default) and without (`dedup.maxIds: 0`) side by side, then the same rows
 * inserted straight into the store, the deduplicator's own cost per span, and the JS share split
 * per stage (decode, normalize, encode) beside the store's own insert, in one run.
 *   node bin/run-ts.mjs bench/ingest.ts [--seconds 10] [--rounds 2] [--concurrency 8] [--spans 512] [--linger MS] [--cpu-prof DIR] [--node-args="--max-semi-space-size=64"] [--baseline DIR]
 * `--cpu-prof DIR` writes the collector process's V8 CPU profile there when it stops.
 * `--baseline DIR` names another checkout (e.g. `git archive <commit> | tar -x -C DIR`, with a
 * node_modules link): its collector and its stages run too, alternating with this tree's, round by round.
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
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
import { SpanDeduplicator } from '../collector/ingest/dedup.ts'
import { numberedBatches } from './overload-payloads.ts'
import { measureStagesApart, type StageSplit } from './ingest-stages.ts'
import { cpuMicros } from './proc.ts'

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    concurrency: { type: 'string', default: '8' },
    spans: { type: 'string', default: '512' },
    linger: { type: 'string' },
    'cpu-prof': { type: 'string' },
    'node-args': { type: 'string', default: '--max-semi-space-size=64' },
    baseline: { type: 'string' },
  },
})
const here = join(import.meta.dirname, '..')
const baseline = args.baseline === undefined ? undefined : resolve(args.baseline)
const seconds = Number(args.seconds)
const rounds = Number(args.rounds)
const concurrency = Number(args.concurrency)
const spansPerPayload = Number(args.spans)
const port = 14318 + Math.floor(Math.random() * 1000)
const dir = mkdtempSync(join(tmpdir(), 'loopgate-bench-ingest-'))
const writer = args.linger === undefined ? '' : `  writer:\n    lingerMs: ${Number(args.linger)}\n`
/** /metrics needs a token (it names tenants); the bench gives its collector one. */
const METRICS_TOKEN = 'bench-metrics-token-00000001'

const loadAtStart = loadavg()
console.log(`building payloads of ${spansPerPayload} spans…`)
// Every request carries its own span ids (as real traffic does): a repeated payload would be a re-send.
const batches = await numberedBatches(4, spansPerPayload)
let nextBatch = 0
const payloads = Array.from({ length: 64 }, (_, i) => batches.batch(1_000_000 + i))
console.log(
  `payload size ≈ ${(payloads[0]!.length / 1024).toFixed(0)} KiB (${(payloads[0]!.length / spansPerPayload).toFixed(0)} B/span)`,
)

interface CollectorRun {
  viaHttp: number
  cpuPerSpan: number
  acked: number
  refused: number
  requests: number
  stored: number
  insertSummary: string
  latencies: number[]
}

/** 1. Through the collector (its own process, as in production), with or without deduplication. */
async function throughCollector(name: string, dedupYaml: string, root = here): Promise<CollectorRun> {
  const runDir = join(dir, name)
  writeFileSync(
    join(dir, `${name}.yaml`),
    `logLevel: warn\nclickhouse:\n  path: ${runDir}/clickhouse\ncollector:\n  port: ${port}\n${writer}${dedupYaml}`,
  )
  // Run as README's Scaling section recommends for a collector.
  const child = spawn(
    process.execPath,
    [
      ...args['node-args'].split(' ').filter(Boolean),
      ...(args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${args['cpu-prof']}`] : []),
      join(root, 'bin/loopgate.mjs'),
      'collector',
      '--config',
      join(dir, `${name}.yaml`),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, LOOPGATE_METRICS_TOKEN: METRICS_TOKEN } },
  )
  const url = `http://127.0.0.1:${port}`
  for (let i = 0; ; i++) {
    if (i > 300) throw new Error('collector did not start')
    if (
      await fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break
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
        const res = await request(`${url}/v1/traces`, {
          method: 'POST',
          dispatcher: agent,
          headers: { 'content-type': 'application/x-protobuf' },
          body: batches.batch(++nextBatch),
        })
        await res.body.arrayBuffer()
        requests++
        latencies.push(performance.now() - t)
        if (res.statusCode === 200) acked += spansPerPayload
        else refused += spansPerPayload
      }
    }),
  )
  const httpSeconds = (performance.now() - started) / 1000
  const cpuPerSpan = (cpuMicros(child.pid!) - cpuStart) / acked
  await agent.close()
  const metrics = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((r) =>
    r.text(),
  )
  const metric = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN)
  const inserts = metric('loopgate_collector_insert_rows_count')
  const insertSummary = `${inserts} INSERTs, ${(metric('loopgate_collector_insert_rows_sum') / inserts).toFixed(0)} rows and ${((metric('loopgate_collector_insert_seconds_sum') / inserts) * 1000).toFixed(0)} ms each`
  child.kill('SIGTERM')
  await new Promise((r) => child.once('exit', r))
  const reader = await createStorageClient(storageConfigSchema.parse({ path: `${runDir}/clickhouse` }))
  const stored = Number(
    (
      await (
        await reader.query({ query: 'SELECT count() AS n FROM loopgate.spans', format: 'JSONEachRow' })
      ).json<{ n: string }>()
    )[0]!.n,
  )
  await reader.close()
  latencies.sort((a, b) => a - b)
  return { viaHttp: acked / httpSeconds, cpuPerSpan, acked, refused, requests, stored, insertSummary, latencies }
}

// 2. The same rows straight into a store (decode + normalize done beforehand, not timed).
const normalizer = new Normalizer()
const rows = payloads.flatMap(
  (p) => normalizer.normalize(decodeProtobuf(p), { tenantId: 'default', trustTenantAttribute: true }).rows,
)
const batch = encodeNativeBlock(spanColumns, rows)
const columnNames = spanColumns.map((c) => c.name)
interface DirectRun {
  perSecond: number
  cpuPerRow: number
}
/** The most rows the collector can put in one INSERT here: every request in flight at once. */
const inFlightRows = concurrency * spansPerPayload
const smallBatch = encodeNativeBlock(spanColumns, rows.slice(0, inFlightRows))
async function directInsert(name: string, block: Buffer, blockRows: number): Promise<DirectRun> {
  const direct = await openStore(storageConfigSchema.parse({ path: `${dir}/${name}` }))
  let directRows = 0
  const directCpuStart = cpuMicros(process.pid)
  const directStart = performance.now()
  while (performance.now() - directStart < Math.min(seconds, 10) * 1000) {
    await direct.insertNative(direct.table('spans'), columnNames, block)
    directRows += blockRows
  }
  const run = {
    perSecond: directRows / ((performance.now() - directStart) / 1000),
    cpuPerRow: (cpuMicros(process.pid) - directCpuStart) / directRows,
  }
  await direct.close()
  return run
}

// Alternated (off, on, [baseline on,] stages, direct, …) so that warm-up and the machine's drift fall on all; the better round of each counts.
const onRuns: CollectorRun[] = []
const offRuns: CollectorRun[] = []
const baseRuns: CollectorRun[] = []
const stageRuns: StageSplit[] = []
const baseStageRuns: StageSplit[] = []
const directRuns: DirectRun[] = []
const smallDirectRuns: DirectRun[] = []
for (let round = 0; round < rounds; round++) {
  offRuns.push(await throughCollector(`plain-${round}`, '  dedup:\n    maxIds: 0\n'))
  if (baseline) baseRuns.push(await throughCollector(`base-${round}`, '', baseline))
  onRuns.push(await throughCollector(`dedup-${round}`, ''))
  const stageOptions = {
    seconds: Math.min(seconds, 5),
    firstBatch: 2_000_000 + round * 1_000_000,
    spans: spansPerPayload,
    nodeArgs: args['node-args'].split(' ').filter(Boolean),
  }
  if (baseline) baseStageRuns.push(await measureStagesApart(baseline, stageOptions))
  stageRuns.push(await measureStagesApart(here, stageOptions))
  directRuns.push(await directInsert(`direct-${round}`, batch, rows.length))
  smallDirectRuns.push(await directInsert(`direct-small-${round}`, smallBatch, Math.min(inFlightRows, rows.length)))
}
const best = (rs: CollectorRun[]) => rs.reduce((a, b) => (b.cpuPerSpan < a.cpuPerSpan ? b : a))
const dedupOn = best(onRuns)
const dedupOff = best(offRuns)
const bestDirect = directRuns.reduce((a, b) => (b.perSecond > a.perSecond ? b : a))
const directPerSecond = bestDirect.perSecond
const directCpuPerRow = bestDirect.cpuPerRow
const bestSmall = smallDirectRuns.reduce((a, b) => (b.perSecond > a.perSecond ? b : a))
const spread = (values: number[], digits = 0) =>
  values.length > 1
    ? `${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)}`
    : values[0]!.toFixed(digits)

// 3. The deduplicator alone: claim + commit of new spans, then of the same spans again (re-sends).
const dedup = new SpanDeduplicator({ maxIds: 1_000_000, windowSeconds: 900 })
const claimRounds = (() => {
  const t0 = performance.now()
  for (let i = 0; i < rows.length; i += spansPerPayload) dedup.claim(rows.slice(i, i + spansPerPayload)).commit()
  const t1 = performance.now()
  let duplicates = 0
  for (let i = 0; i < rows.length; i += spansPerPayload)
    duplicates += dedup.claim(rows.slice(i, i + spansPerPayload)).duplicates
  const t2 = performance.now()
  return { fresh: ((t1 - t0) * 1000) / rows.length, again: ((t2 - t1) * 1000) / rows.length, duplicates }
})()

const line = (label: string, r: CollectorRun) => {
  const q = (p: number) => r.latencies[Math.min(r.latencies.length - 1, Math.floor(p * r.latencies.length))]!.toFixed(1)
  return `  ${label}: ${r.viaHttp.toFixed(0)} spans/s, ${r.cpuPerSpan.toFixed(1)} CPU µs/span   (${r.requests} requests, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, refused ${r.refused} spans)
                      ${r.insertSummary}; acknowledged ${r.acked}, stored ${r.stored} ${r.stored === r.acked ? '(equal)' : `(MISMATCH: ${r.stored - r.acked})`}`
}
const stageLine = (label: string, runs: StageSplit[]) => {
  const total = runs.map((s) => s.decode + s.normalize + s.encode)
  return `  ${label.padEnd(16)} ${spread(
    runs.map((s) => s.decode),
    1,
  ).padStart(10)} ${spread(
    runs.map((s) => s.normalize),
    1,
  ).padStart(10)} ${spread(
    runs.map((s) => s.encode),
    1,
  ).padStart(10)} ${spread(total, 1).padStart(10)} ${spread(
    directRuns.map((d) => d.cpuPerRow),
    1,
  ).padStart(10)}`
}
const ok =
  [...onRuns, ...offRuns, ...baseRuns].every((r) => r.stored === r.acked) && claimRounds.duplicates === rows.length
const baseOn = baseline ? best(baseRuns) : undefined
console.log(`
ingest benchmark (${rounds} rounds of ${seconds}s each way, concurrency ${concurrency}, ${spansPerPayload} spans/request)
${line('with dedup     ', dedupOn)}
${line('without dedup  ', dedupOff)}${baseOn ? `\n${line('baseline, dedup', baseOn)}` : ''}
  dedup ratio       : ${(dedupOn.viaHttp / dedupOff.viaHttp).toFixed(2)} of the throughput without it, CPU per span ${(dedupOn.cpuPerSpan / dedupOff.cpuPerSpan).toFixed(2)}×
  deduplicator alone: ${claimRounds.fresh.toFixed(2)} µs/span for new spans, ${claimRounds.again.toFixed(2)} µs/span for re-sent ones; ${(dedup.bytes / 2 ** 20).toFixed(0)} MiB for 1,000,000 ids
  direct insert     : ${directPerSecond.toFixed(0)} rows/s, ${directCpuPerRow.toFixed(1)} CPU µs/row (pre-encoded Native, ${rows.length} rows per INSERT; rounds ${spread(directRuns.map((d) => d.perSecond))} rows/s)
  direct, in-flight : ${bestSmall.perSecond.toFixed(0)} rows/s, ${bestSmall.cpuPerRow.toFixed(1)} CPU µs/row (${Math.min(inFlightRows, rows.length)} rows per INSERT: all that ${concurrency} requests in flight can give one INSERT; rounds ${spread(smallDirectRuns.map((d) => d.perSecond))} rows/s); ratio with dedup ${(dedupOn.viaHttp / bestSmall.perSecond).toFixed(2)}${baseOn ? `, baseline ${(baseOn.viaHttp / bestSmall.perSecond).toFixed(2)}` : ''}
  bound             : ${(bestSmall.perSecond / directPerSecond).toFixed(2)} of a direct insert: the store's own rate at INSERTs of every row ${concurrency} requests can have in flight (an ack follows its INSERT, so no INSERT here can be larger); the collector with dedup reaches ${(dedupOn.viaHttp / bestSmall.perSecond).toFixed(2)} of that bound
  ratio             : ${(dedupOn.viaHttp / directPerSecond).toFixed(2)} of a direct insert (CPU per span ${(dedupOn.cpuPerSpan / directCpuPerRow).toFixed(2)}×); rounds with dedup ${spread(onRuns.map((r) => r.viaHttp))} spans/s${baseOn ? `, baseline ${(baseOn.viaHttp / directPerSecond).toFixed(2)} (rounds ${spread(baseRuns.map((r) => r.viaHttp))} spans/s)` : ''}

  split per span, CPU µs (min–max over rounds; stages on one thread, each checkout in a process of its own with the collector's node flags; insert = the direct insert's process CPU per row)
                       decode  normalize     encode   JS total     insert
${baseline ? `${stageLine('baseline', baseStageRuns)}\n` : ''}${stageLine('this tree', stageRuns)}

  load average (1, 5, 15 min) at start ${loadAtStart.map((l) => l.toFixed(2)).join(', ')}, at end ${loadavg()
    .map((l) => l.toFixed(2))
    .join(', ')} (${availableParallelism()} CPUs)`)
pino().flush()
rmSync(dir, { recursive: true, force: true })
process.exit(ok ? 0 : 1)
