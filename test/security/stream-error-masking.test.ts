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
      dataDir: `${process.env.TMPDIR ?? '/tmp'}/loopgate-stream-mask-${process.pid}`,
      providers: {
        oai: { protocol: 'openai', baseUrl: `${base}/v1`, apiKeyEnv: 'LEAKY_KEY' },
        ant: { protocol: 'anthropic', baseUrl: base, apiKeyEnv: 'LEAKY_KEY' },
      },
      routes: [
        { name: 'oai', targets: [{ provider: 'oai', model: 'leaky' }], policy: { maxAttempts: 1 } },
        { name: 'ant', targets: [{ provider: 'ant', model: 'leaky' }], policy: { maxAttempts: 1 } },
      ],
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

async function stream(path: string, model: string): Promise<string> {
  const body =
    path === '/v1/messages'
      ? { model, max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] }
      : { model, stream: true, messages: [{ role: 'user', content: 'hi' }] }
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify(body),
  })
  expect(res.status).toBe(200)
  return res.text()
}

describe('an error event inside an upstream stream is masked before it reaches the client', () => {
  for (const [path, model] of [
    ['/v1/chat/completions', 'oai'],
    ['/v1/chat/completions', 'ant'],
    ['/v1/messages', 'ant'],
    ['/v1/messages', 'oai'],
  ] as const) {
    it(`${path} over the ${model === 'oai' ? 'OpenAI' : 'Anthropic'} protocol`, async () => {
      const text = await stream(path, model)
      expect(text).toMatch(/error/)
      expect(text).toContain(MASK) // the error event arrived, with the key masked out of it
      expect(text).not.toContain(PROVIDER_KEY)
    })
  }
})
