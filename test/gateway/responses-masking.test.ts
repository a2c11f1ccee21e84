import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { start, type RunningGateway } from '../../gateway/index.ts'
import { MASK } from '../../gateway/secrets.ts'
import { startLeakyUpstream } from '../helpers/leaky-upstream.ts'

const PROVIDER_KEY = 'sk-live-provider-0123456789abcdef'
const KEY = 'lg-acme-virtual-key-4711'

let upstream: Server
let gw: RunningGateway
beforeAll(async () => {
  upstream = await startLeakyUpstream()
  const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`
  gw = await start({
    gateway: {
      port: 0,
      dataDir: `${process.env.TMPDIR ?? '/tmp'}/loopgate-responses-mask-${process.pid}`,
      providers: {
        resp: { protocol: 'openai', baseUrl: `${base}/v1`, apiKeyEnv: 'LEAKY_KEY', responses: true },
        oai: { protocol: 'openai', baseUrl: `${base}/v1`, apiKeyEnv: 'LEAKY_KEY' },
        ant: { protocol: 'anthropic', baseUrl: base, apiKeyEnv: 'LEAKY_KEY' },
      },
      routes: ['resp', 'oai', 'ant'].map((p) => ({
        name: p,
        targets: [{ provider: p, model: 'leaky' }],
        policy: { maxAttempts: 1 },
      })),
      tenants: [{ id: 'acme', keys: [{ key: KEY }] }],
      telemetry: { enabled: false },
    },
    env: { LEAKY_KEY: PROVIDER_KEY },
    logger: pino({ level: 'silent' }),
  })
})
afterAll(async () => {
  await gw?.close()
  await new Promise((resolve) => upstream?.close(resolve))
})

describe('a failed upstream stream reaches a Responses client as response.failed, the key masked', () => {
  it.each(['resp', 'oai', 'ant'])('route %s', async (model) => {
    const res = await fetch(`${gw.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      body: JSON.stringify({ model, input: 'hi', stream: true }),
    })
    expect(res.status).toBe(200)
    const text = await res.text()
    const events = text
      .split('\n\n')
      .filter((f) => f.includes('data: '))
      .map(
        (f) =>
          JSON.parse(f.slice(f.indexOf('data: ') + 6)) as { type: string; response?: { error?: { message?: string } } },
      )
    expect(events[0]!.type).toBe('response.created')
    const last = events[events.length - 1]!
    expect(last.type).toBe('response.failed')
    expect(last.response?.error?.message).toContain(MASK)
    expect(text).not.toContain(PROVIDER_KEY)
  })
})
