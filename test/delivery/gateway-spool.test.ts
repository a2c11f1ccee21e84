import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningGateway } from '../../gateway/index.ts'
import { startSimulator, type Simulator } from '../../gateway/simulator/index.ts'
import { startTestCollector, type TestCollector } from '../helpers/collector.ts'
import { freePort } from '../helpers/net.ts'
import {
  compare,
  Load,
  metric,
  PROVIDER_KEY,
  startExportingGateway,
  StoredSpans,
  tempDir,
  type LogLine,
} from './spool-fixture.ts'

/**
 * The collector goes away for a minute under load and comes back on the same port and data
 * directory. Three real gateways export OTLP/HTTP to it meanwhile:
 *  - A (default spool): every request span it answered 2xx for must be stored, none twice;
 *  - C (default spool) is stopped while the collector is away and started again on the same data
 *    directory: its spool survives the restart, and its close does not wait for the collector;
 *  - B (a spool of 64 KB) fills its spool: what it loses is counted in /metrics and logged once.
 */
const OUTAGE_MS = 60_000
const RESTART_C_AFTER_MS = 20_000

let sim: Simulator
let collector: TestCollector
let stored: StoredSpans
const dirs = {
  collector: tempDir('lg-spool-collector-'),
  a: tempDir('lg-spool-a-'),
  b: tempDir('lg-spool-b-'),
  c: tempDir('lg-spool-c-'),
}
const logs: Record<'a' | 'b' | 'c', LogLine[]> = { a: [], b: [], c: [] }
const gw: Partial<Record<'a' | 'b' | 'c', RunningGateway>> = {}
const loads: Partial<Record<'a' | 'b' | 'c', Load>> = {}
let cCloseMs = 0
let bLost = 0
let bStoredSpans = 0
let outageWarnings: LogLine[] = []

const report = async (name: 'a' | 'b' | 'c', found: Map<string, number>) => {
  const c = compare(loads[name]!.served, found)
  const delivery = (await (await fetch(`${gw[name]!.url}/metrics`)).text())
    .split('\n')
    .filter((l) => /^loopgate_gateway_span/.test(l) && / [1-9]/.test(l))
  for (const l of logs[name])
    if (l.level >= 30 && /span/.test(l.msg))
      console.log(
        `  ${name.toUpperCase()} log ${l.level}: ${l.msg} ${JSON.stringify({ ...l, msg: undefined, level: undefined, time: undefined, pid: undefined, hostname: undefined })}`,
      )
  console.log(
    `gateway ${name.toUpperCase()}: served ${c.served} requests, request spans missing ${c.missing}, stored twice ${c.duplicated}; ${delivery.join('; ')}`,
  )
  return c
}

beforeAll(async () => {
  sim = await startSimulator({ apiKeys: [PROVIDER_KEY] })
  const port = await freePort()
  collector = await startTestCollector({ dataDir: dirs.collector, collector: { port } })
  const collectorUrl = collector.url
  const gateway = (name: 'a' | 'b' | 'c', telemetry: Record<string, unknown> = {}) =>
    startExportingGateway({
      sim,
      dataDir: dirs[name],
      collectorUrl,
      serviceName: `spool-${name}`,
      telemetry,
      logs: logs[name],
    })
  gw.a = await gateway('a')
  gw.b = await gateway('b', { spool: { maxBytes: 64 * 1024 } })
  gw.c = await gateway('c')
  loads.a = new Load(() => gw.a?.url, 60)
  loads.b = new Load(() => gw.b?.url, 20)
  loads.c = new Load(() => gw.c?.url, 20)
  await new Promise((r) => setTimeout(r, 3_000))

  await collector.close()
  const outageStart = Date.now()
  await new Promise((r) => setTimeout(r, RESTART_C_AFTER_MS))
  const c = gw.c
  gw.c = undefined // the load pauses for C while it restarts
  const t0 = Date.now()
  await c.close()
  cCloseMs = Date.now() - t0
  gw.c = await gateway('c')
  await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - outageStart))))
  outageWarnings = logs.b.filter((l) => l.level >= 40 && /spool/i.test(l.msg))

  collector = await startTestCollector({ dataDir: dirs.collector, collector: { port } })
  await new Promise((r) => setTimeout(r, 5_000))
  await Promise.all(Object.values(loads).map((l) => l.stop()))
  stored = await StoredSpans.open(dirs.collector)

  // Until everything served arrived (or B's spans are all either stored or counted as lost).
  const deadline = Date.now() + 90_000
  for (;;) {
    const a = compare(loads.a.served, await stored.requestSpans('spool-a'))
    const c2 = compare(loads.c.served, await stored.requestSpans('spool-c'))
    bLost = await metric(gw.b.url, /^loopgate_gateway_spans_lost_total\{.*reason="spool_full"/)
    bStoredSpans = await stored.allSpans('spool-b')
    const bDone = bStoredSpans + bLost >= 2 * loads.b.served.length
    // Spools drained too: a batch re-sent later would show up here as stored twice.
    const drained =
      (await metric(gw.a.url, /^loopgate_gateway_span_spool_bytes/)) +
        (await metric(gw.c.url, /^loopgate_gateway_span_spool_bytes/)) ===
      0
    if ((a.missing === 0 && c2.missing === 0 && bDone && drained) || Date.now() > deadline) break
    await new Promise((r) => setTimeout(r, 1_000))
  }
}, 300_000)

afterAll(async () => {
  await Promise.all(Object.values(loads).map((l) => l?.stop()))
  await stored?.close()
  for (const g of Object.values(gw)) await g?.close()
  await collector?.close()
  await sim?.close()
  for (const d of Object.values(dirs)) rmSync(d, { recursive: true, force: true })
}, 60_000)

describe('the gateway keeps its spans while the collector is away', () => {
  it('stores every request span served during a 60 s outage, none twice', async () => {
    const a = await report('a', await stored.requestSpans('spool-a'))
    expect(a.served).toBeGreaterThan(2_000)
    expect(loads.a!.failed).toBe(0)
    expect(a.missing).toBe(0)
    expect(a.duplicated).toBe(0)
  })

  it('keeps the spool across a gateway restart, and closes without waiting for the collector', async () => {
    const c = await report('c', await stored.requestSpans('spool-c'))
    console.log(`gateway C closed in ${cCloseMs} ms while the collector was away`)
    // The load ran across the restart (its rate is the machine's: 550–1,300 in CI runs); what is asserted is that none of it was lost.
    expect(c.served).toBeGreaterThan(200)
    expect(c.missing).toBe(0)
    expect(c.duplicated).toBe(0)
    expect(cCloseMs).toBeLessThan(5_000)
  })

  it('counts what a full spool loses in /metrics and logs it once per episode', async () => {
    const served = loads.b!.served.length
    console.log(
      `gateway B: served ${served} requests (${2 * served} spans), stored ${bStoredSpans} spans, counted lost ${bLost}; spool warnings during the outage: ${outageWarnings.length}`,
    )
    expect(bLost).toBeGreaterThan(0)
    expect(bStoredSpans + bLost).toBe(2 * served)
    const found = await stored.requestSpans('spool-b')
    expect([...found.values()].every((n) => n === 1)).toBe(true)
    expect(outageWarnings.filter((l) => /full/i.test(l.msg))).toHaveLength(1)
  })
})
