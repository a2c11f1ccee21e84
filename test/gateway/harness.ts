import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import { pino } from 'pino'
import { start, type RunningGateway } from '../../gateway/index.ts'
import { startSimulator, type Simulator, type SimulatorOptions } from '../../gateway/simulator/index.ts'

export const KEY = 'lg-test-key-acme-0001'
export const OTHER_KEY = 'lg-test-key-beta-0002'
export const ADMIN = 'admin-token-0123456789abcdef'
export const PROVIDER_KEY = 'sk-upstream-secret-7f3a9c'

export interface Harness {
  sim: Simulator
  gw: RunningGateway
  url: string
  exporter: InMemorySpanExporter
  dataDir: string
  spans(): Promise<ReadableSpan[]>
  close(): Promise<void>
}

/** A simulator plus a gateway pointed at it. `gateway` overrides merge over a two-provider default. */
export async function startHarness(
  opts: {
    gateway?: (sim: Simulator) => Record<string, unknown>
    sim?: SimulatorOptions
    redisUrl?: string
    dataDir?: string
    exportToken?: string
  } = {},
): Promise<Harness> {
  const sim = await startSimulator({ apiKeys: [PROVIDER_KEY], ...opts.sim })
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'loopgate-gw-'))
  const exporter = new InMemorySpanExporter()
  const base = {
    port: 0,
    dataDir,
    providers: {
      sim: { protocol: 'openai', baseUrl: sim.openaiBaseUrl, apiKeyEnv: 'SIM_KEY' },
      simant: { protocol: 'anthropic', baseUrl: sim.anthropicBaseUrl, apiKeyEnv: 'SIM_KEY' },
    },
    routes: [
      { name: 'chat', targets: [{ provider: 'sim', model: 'sim-small', price: { input: '0.15', output: '0.6' } }] },
      { name: 'claude', targets: [{ provider: 'simant', model: 'sim-claude', price: { input: '3', output: '15' } }] },
      { name: 'embed', targets: [{ provider: 'sim', model: 'sim-embed', price: { input: '0.02', output: '0' } }] },
    ],
    tenants: [
      { id: 'acme', keys: [{ key: KEY, name: 'acme-ci' }] },
      { id: 'beta', keys: [{ key: OTHER_KEY, routes: ['chat'] }] },
    ],
    telemetry: { enabled: false },
  }
  const gw = await start({
    gateway: { ...base, ...opts.gateway?.(sim) },
    adminToken: ADMIN,
    redisUrl: opts.redisUrl,
    exportToken: opts.exportToken,
    env: { SIM_KEY: PROVIDER_KEY },
    logger: pino({ level: 'silent' }),
    spanExporters: [exporter],
  })
  return {
    sim,
    gw,
    url: gw.url,
    exporter,
    dataDir,
    async spans() {
      await gw.flushTelemetry()
      return exporter.getFinishedSpans()
    },
    async close() {
      await gw.close()
      await sim.close()
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export const jsonHeaders = (key = KEY) => ({ 'content-type': 'application/json', authorization: `Bearer ${key}` })

export async function post(url: string, body: unknown, headers: Record<string, string> = jsonHeaders()) {
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read whatever the endpoint answered
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: res.status, headers: res.headers, text, json }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Polls until `check` returns true or the deadline passes (generous: machines are loaded). */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return
    await sleep(20)
  }
  throw new Error('condition not met in time')
}
