import { spawn } from 'node:child_process'
import { readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decodeProtobuf } from '../../collector/otlp/decode.ts'
import type { RunningGateway } from '../../gateway/index.ts'
import { startSimulator, type Simulator } from '../../gateway/simulator/index.ts'
import { eventually, freePort } from '../helpers/net.ts'
import { ADMIN_TOKEN } from '../helpers/collector.ts'
import { KEY, metric, PROVIDER_KEY, startExportingGateway, tempDir, type LogLine } from './spool-fixture.ts'

/**
 * How the gateway treats an OTLP endpoint's answers, against a real HTTP endpoint whose answer the
 * test picks: 200, 503 with Retry-After, 400, or no answer at all. Bodies are decoded with the
 * collector's own OTLP decoder.
 */
type Mode = 'ok' | 'unavailable' | 'invalid' | 'hang'
interface Received {
  at: number
  mode: Mode
  traceIds: string[]
  spans: number
  firstStart: bigint
}

class Endpoint {
  mode: Mode = 'ok'
  /** In 'ok' mode, a body with a span of this trace is refused with 400. */
  poison: string | undefined
  readonly received: Received[] = []
  open = 0
  maxOpen = 0
  private readonly server: Server = createServer((req, res) => this.handle(req, res))
  url = ''

  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = []
    this.open++
    this.maxOpen = Math.max(this.maxOpen, this.open)
    req
      .on('data', (c: Buffer) => chunks.push(c))
      .on('end', () => {
        const spans = decodeProtobuf(Buffer.concat(chunks)).resourceSpans.flatMap((r) =>
          r.scopeSpans.flatMap((s) => s.spans),
        )
        const mode = this.mode
        this.received.push({
          at: Date.now(),
          mode,
          traceIds: spans.map((s) => s.traceId),
          spans: spans.length,
          firstStart: spans.map((s) => BigInt(s.startTimeUnixNano)).reduce((a, b) => (a < b ? a : b)),
        })
        if (mode === 'hang') return // holds the request open
        this.open--
        if (mode === 'ok' && this.poison && spans.some((s) => s.traceId === this.poison)) {
          this.received.at(-1)!.mode = 'invalid'
          res
            .writeHead(400, { 'content-type': 'application/json' })
            .end('{"code":3,"message":"one span is undecodable"}')
        } else if (mode === 'ok') res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end()
        else if (mode === 'unavailable')
          res
            .writeHead(503, { 'retry-after': '2', 'content-type': 'application/json' })
            .end('{"code":14,"message":"busy"}')
        else res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":3,"message":"undecodable"}')
      })
  }

  /** Trace ids the endpoint answered 200 for, with how often. */
  accepted(): Map<string, number> {
    const seen = new Map<string, number>()
    for (const r of this.received)
      if (r.mode === 'ok') for (const t of new Set(r.traceIds)) seen.set(t, (seen.get(t) ?? 0) + 1)
    return seen
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise((r) => this.server.close(r))
  }
}

let sim: Simulator
const endpoints: Endpoint[] = []
const gateways: RunningGateway[] = []
const dirs: string[] = []

beforeAll(async () => {
  sim = await startSimulator({ apiKeys: [PROVIDER_KEY] })
})
afterAll(async () => {
  for (const g of gateways) await g.close().catch(() => undefined)
  for (const e of endpoints) await e.close()
  await sim.close()
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

async function setup(mode: Mode, dataDir = tempDir('lg-spool-proto-')) {
  const endpoint = new Endpoint()
  endpoint.mode = mode
  await endpoint.start()
  endpoints.push(endpoint)
  dirs.push(dataDir)
  const logs: LogLine[] = []
  const start = () =>
    startExportingGateway({
      sim,
      dataDir,
      collectorUrl: endpoint.url,
      serviceName: 'proto',
      telemetry: { scheduledDelayMs: 50, spool: { maxBackoffMs: 1000 } },
      logs,
    }).then((g) => (gateways.push(g), g))
  return { endpoint, logs, dataDir, start, gw: await start() }
}

/** Requests one at a time, a pause between them (each lands in its own batch); the trace ids served. */
async function requests(url: string, n: number, pauseMs = 150): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model: 'chat', max_tokens: 4, messages: [{ role: 'user', content: `request ${i}` }] }),
    })
    await res.arrayBuffer()
    expect(res.status).toBe(200)
    ids.push(res.headers.get('x-loopgate-trace-id')!)
    await new Promise((r) => setTimeout(r, pauseMs))
  }
  return ids
}

const spoolFiles = (dataDir: string) =>
  readdirSync(join(dataDir, 'span-spool', 'collector')).filter((f) => f !== 'owner.pid')
const ENDPOINT = 'endpoint="collector"'

describe('span delivery to an OTLP endpoint', () => {
  it('writes nothing to disk while the endpoint acknowledges', async () => {
    const { endpoint, gw, dataDir } = await setup('ok')
    const ids = await requests(gw.url, 20, 20)
    await gw.flushTelemetry()
    const accepted = endpoint.accepted()
    expect(ids.every((id) => accepted.get(id) === 1)).toBe(true)
    expect(spoolFiles(dataDir)).toEqual([])
    const metrics = await (await fetch(`${gw.url}/metrics`)).text()
    expect(metrics).toContain(`loopgate_gateway_spans_spooled_total{${ENDPOINT}} 0`)
    expect(metrics).toContain(`loopgate_gateway_span_spool_bytes{${ENDPOINT}} 0`)
  })

  it('replays the spool oldest first, one batch at a time, waiting as long as Retry-After says', async () => {
    const { endpoint, gw, dataDir } = await setup('unavailable')
    const ids = await requests(gw.url, 4)
    await eventually(
      'three tries while unavailable',
      async () => (endpoint.received.length >= 3 ? true : undefined),
      20_000,
    )
    const tries = endpoint.received.map((r) => r.at)
    for (let i = 1; i < tries.length; i++) expect(tries[i]! - tries[i - 1]!).toBeGreaterThanOrEqual(1_900)
    expect(spoolFiles(dataDir).length).toBeGreaterThanOrEqual(2)

    endpoint.mode = 'ok'
    await eventually(
      'every trace accepted',
      async () => (ids.every((id) => endpoint.accepted().has(id)) ? true : undefined),
      20_000,
    )
    const replayed = endpoint.received.filter((r) => r.mode === 'ok')
    const starts = replayed.map((r) => r.firstStart)
    expect(starts).toEqual([...starts].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)))
    expect(endpoint.maxOpen).toBe(1)
    expect([...endpoint.accepted().values()].every((n) => n === 1)).toBe(true)
    await eventually('an empty spool', async () => (spoolFiles(dataDir).length === 0 ? true : undefined), 5_000)
    const spans = replayed.reduce((n, r) => n + r.spans, 0)
    expect(await metric(gw.url, new RegExp(`^loopgate_gateway_spans_spooled_total\\{${ENDPOINT}\\}`))).toBe(spans)
    expect(await metric(gw.url, new RegExp(`^loopgate_gateway_spans_replayed_total\\{${ENDPOINT}\\}`))).toBe(spans)
  })

  it('does not send again a batch the endpoint refused as invalid; counts and logs it once', async () => {
    const { endpoint, gw, logs, dataDir } = await setup('invalid')
    const ids = await requests(gw.url, 3)
    await gw.flushTelemetry()
    const lost = () => metric(gw.url, /^loopgate_gateway_spans_lost_total\{.*reason="refused"/)
    await eventually('the refusals counted', async () => ((await lost()) === 2 * ids.length ? true : undefined), 10_000)
    const sent = endpoint.received.length
    await new Promise((r) => setTimeout(r, 2_500)) // longer than the backoff: nothing is tried again
    expect(endpoint.received.length).toBe(sent)
    expect(endpoint.received.flatMap((r) => r.traceIds).filter((t) => ids.includes(t)).length).toBe(2 * ids.length)
    expect(spoolFiles(dataDir)).toEqual([])
    expect(logs.filter((l) => l.level >= 40 && /refused/.test(l.msg))).toHaveLength(1)
  })

  it('finds the one bad batch in a refused replay and delivers the others', async () => {
    const { endpoint, gw, dataDir } = await setup('unavailable')
    const ids = await requests(gw.url, 5)
    await eventually('all five spooled', async () => (spoolFiles(dataDir).length >= 5 ? true : undefined), 10_000)
    endpoint.poison = ids[2]
    endpoint.mode = 'ok'
    const good = ids.filter((id) => id !== ids[2])
    await eventually(
      'the good traces accepted',
      async () => (good.every((id) => endpoint.accepted().get(id) === 1) ? true : undefined),
      20_000,
    )
    await eventually('an empty spool', async () => (spoolFiles(dataDir).length === 0 ? true : undefined), 5_000)
    expect(endpoint.accepted().has(ids[2]!)).toBe(false)
    expect(await metric(gw.url, /^loopgate_gateway_spans_lost_total\{.*reason="refused"/)).toBe(2)
    expect(await metric(gw.url, /^loopgate_gateway_spans_replayed_total/)).toBe(2 * good.length)
  })

  it('keeps what it spooled when the gateway process is killed (SIGKILL), and replays it at the next start', async () => {
    const endpoint = new Endpoint()
    endpoint.mode = 'unavailable'
    await endpoint.start()
    endpoints.push(endpoint)
    const dir = tempDir('lg-spool-kill-')
    dirs.push(dir)
    const port = await freePort()
    writeFileSync(
      join(dir, 'loopgate.json'),
      JSON.stringify({
        logLevel: 'warn',
        gateway: {
          port,
          providers: { sim: { protocol: 'openai', baseUrl: sim.openaiBaseUrl, apiKeyEnv: 'SIM_KEY' } },
          routes: [
            {
              name: 'chat',
              targets: [{ provider: 'sim', model: 'sim-small', price: { input: '0.15', output: '0.6' } }],
            },
          ],
          telemetry: {
            collectorUrl: endpoint.url,
            serviceName: 'proto',
            scheduledDelayMs: 50,
            spool: { maxBackoffMs: 1000 },
          },
        },
        tenants: [{ id: 'acme', keys: [{ key: KEY }] }],
      }),
    )
    const child = spawn(
      process.execPath,
      [join(import.meta.dirname, '../../bin/loopgate.mjs'), 'gateway', '--config', join(dir, 'loopgate.json')],
      {
        env: { ...process.env, LOOPGATE_ADMIN_TOKEN: ADMIN_TOKEN, LOOPGATE_DATA_DIR: dir, SIM_KEY: PROVIDER_KEY },
        stdio: ['ignore', 'inherit', 'inherit'],
      },
    )
    const exited = new Promise((r) => child.once('exit', r))
    try {
      await eventually(
        'the gateway process',
        async () => ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok ? true : undefined),
        60_000,
      )
      const ids = await requests(`http://127.0.0.1:${port}`, 3)
      const dataDir = join(dir, 'gateway')
      await eventually(
        'three batches spooled',
        async () => (spoolFiles(dataDir).length >= 3 ? true : undefined),
        10_000,
      )
      // A second live gateway on the same spool would send every batch twice: it does not start.
      await expect(
        startExportingGateway({ sim, dataDir, collectorUrl: endpoint.url, serviceName: 'proto', logs: [] }),
      ).rejects.toThrow(/belongs to process \d+, which is running/)
      child.kill('SIGKILL')
      await exited

      endpoint.mode = 'ok'
      // Same data dir, a new process id (this one): the dead owner's lock is taken over, its files replayed.
      gateways.push(
        await startExportingGateway({
          sim,
          dataDir,
          collectorUrl: endpoint.url,
          serviceName: 'proto',
          telemetry: { scheduledDelayMs: 50 },
          logs: [],
        }),
      )
      await eventually(
        'the spans of the killed process delivered',
        async () => (ids.every((id) => endpoint.accepted().get(id) === 1) ? true : undefined),
        20_000,
      )
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    }
  })

  it('closes within the grace period while the endpoint hangs, and delivers those spans after a restart', async () => {
    const { endpoint, gw, dataDir, start } = await setup('hang')
    const ids = await requests(gw.url, 2)
    await eventually('a request held open', async () => (endpoint.open > 0 ? true : undefined), 10_000)
    const t0 = Date.now()
    await gw.close()
    const closeMs = Date.now() - t0
    console.log(`closed in ${closeMs} ms with the endpoint hanging`)
    expect(closeMs).toBeLessThan(3_000)
    expect(spoolFiles(dataDir).length).toBeGreaterThan(0)

    endpoint.mode = 'ok'
    await start()
    await eventually(
      'the spooled spans delivered after the restart',
      async () => (ids.every((id) => endpoint.accepted().has(id)) ? true : undefined),
      20_000,
    )
    await eventually('an empty spool', async () => (spoolFiles(dataDir).length === 0 ? true : undefined), 5_000)
  })
})
