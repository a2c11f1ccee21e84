import { pino } from 'pino'
import { storageConfigSchema } from '../../collector/config.ts'
import { openStore, type Store } from '../../collector/storage/store.ts'
import { start, type RunningGateway } from '../../gateway/index.ts'
import type { Simulator } from '../../gateway/simulator/index.ts'
import { ADMIN_TOKEN } from '../helpers/collector.ts'

export const KEY = 'lg-spool-key-acme-0001'
export const PROVIDER_KEY = 'sk-upstream-secret-spool'

export interface LogLine {
  level: number
  msg: string
  [k: string]: unknown
}

/** A real gateway exporting OTLP/HTTP to `collectorUrl` (no in-memory exporter), its log lines kept. */
export async function startExportingGateway(options: {
  sim: Simulator
  dataDir: string
  collectorUrl: string
  serviceName: string
  telemetry?: Record<string, unknown>
  logs: LogLine[]
}): Promise<RunningGateway> {
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void options.logs.push(JSON.parse(line) as LogLine) },
  )
  return start({
    gateway: {
      port: 0,
      dataDir: options.dataDir,
      providers: { sim: { protocol: 'openai', baseUrl: options.sim.openaiBaseUrl, apiKeyEnv: 'SIM_KEY' } },
      routes: [
        { name: 'chat', targets: [{ provider: 'sim', model: 'sim-small', price: { input: '0.15', output: '0.6' } }] },
      ],
      tenants: [{ id: 'acme', keys: [{ key: KEY, name: 'acme-ci' }] }],
      telemetry: {
        enabled: true,
        collectorUrl: options.collectorUrl,
        serviceName: options.serviceName,
        scheduledDelayMs: 200,
        ...options.telemetry,
      },
    },
    adminToken: ADMIN_TOKEN,
    exportToken: ADMIN_TOKEN,
    env: { SIM_KEY: PROVIDER_KEY },
    logger,
  })
}

export { tempDir } from './cli-process.ts'

/**
 * Requests at a bounded rate (never more than `maxInFlight` open) against whatever URL `target()`
 * gives (undefined pauses it, e.g. while a gateway restarts); keeps the trace id of every 2xx answer.
 */
export class Load {
  readonly served: string[] = []
  failed = 0
  private inFlight = 0
  private readonly timer: NodeJS.Timeout
  private readonly open = new Set<Promise<void>>()

  constructor(
    private readonly target: () => string | undefined,
    perSecond: number,
    private readonly maxInFlight = 20,
  ) {
    this.timer = setInterval(() => this.fire(), 1000 / perSecond)
  }

  private fire(): void {
    const url = this.target()
    if (!url || this.inFlight >= this.maxInFlight) return
    this.inFlight++
    const p: Promise<void> = fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({
        model: 'chat',
        max_tokens: 8,
        messages: [{ role: 'user', content: 'Say something short about spools.' }],
      }),
    })
      .then(async (res) => {
        await res.arrayBuffer()
        const traceId = res.headers.get('x-loopgate-trace-id')
        if (res.ok && traceId) this.served.push(traceId)
        else this.failed++
      })
      .catch(() => void this.failed++)
      .finally(() => {
        this.inFlight--
        this.open.delete(p)
      })
    this.open.add(p)
  }

  /** Stops firing and waits for the answers still open. */
  async stop(): Promise<void> {
    clearInterval(this.timer)
    while (this.open.size > 0) await Promise.all(this.open)
  }
}

/** Reads the collector's chDB directly (the test's own handle): what was stored, per gateway. */
export class StoredSpans {
  private constructor(private readonly store: Store) {}

  static async open(collectorDataDir: string): Promise<StoredSpans> {
    return new StoredSpans(await openStore(storageConfigSchema.parse({ path: collectorDataDir })))
  }

  /** Trace id → how many request spans (`loopgate.span=request`) of this service are stored. */
  async requestSpans(serviceName: string): Promise<Map<string, number>> {
    const rs = await this.store.client.query({
      query: `SELECT TraceId AS t, count() AS n FROM loopgate.spans WHERE ServiceName = {s:String} AND SpanAttributes['loopgate.span'] = 'request' GROUP BY TraceId`,
      query_params: { s: serviceName },
      format: 'JSONEachRow',
    })
    return new Map((await rs.json<{ t: string; n: string }>()).map((r) => [r.t, Number(r.n)]))
  }

  /** Every span of this service (request and attempt spans). */
  async allSpans(serviceName: string): Promise<number> {
    const rs = await this.store.client.query({
      query: 'SELECT count() AS n FROM loopgate.spans WHERE ServiceName = {s:String}',
      query_params: { s: serviceName },
      format: 'JSONEachRow',
    })
    return Number((await rs.json<{ n: string }>())[0]!.n)
  }

  close(): Promise<void> {
    return this.store.close()
  }
}

/** What the served trace ids look like in the collector: missing ones, ones stored more than once. */
export function compare(
  served: string[],
  stored: Map<string, number>,
): { served: number; missing: number; duplicated: number } {
  let missing = 0
  let duplicated = 0
  for (const id of served) {
    const n = stored.get(id) ?? 0
    if (n === 0) missing++
    else if (n > 1) duplicated++
  }
  return { served: served.length, missing, duplicated }
}

/** The value of one sample line of the gateway's /metrics, 0 when absent. */
export async function metric(gatewayUrl: string, pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text()
  let sum = 0
  for (const line of text.split('\n')) {
    const m = pattern.exec(line)
    if (m) sum += Number(line.slice(line.lastIndexOf(' ') + 1))
  }
  return sum
}
