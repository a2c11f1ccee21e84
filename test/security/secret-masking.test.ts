import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base'
import { pino } from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { start, type RunningGateway } from '../../gateway/index.ts'
import { MASK, SecretMasker } from '../../gateway/secrets.ts'
import { startSimulator, type Simulator } from '../../gateway/simulator/index.ts'

const PROVIDER_KEY = 'sk-live-provider-0123456789abcdef'
const ANTHROPIC_KEY = 'sk-ant-api03-provider-Zx9Yw8Vu7Ts6'
const KEY = 'lg-acme-virtual-key-4711'
/** Configured only as its SHA-256: the gateway never holds it in clear. */
const HASHED_KEY = 'lg-hashed-virtual-key-9q8w7e'
const ADMIN = 'admin-token-0123456789abcdef'
/** A bearer token the gateway has never seen (a careless upstream quoting its own request). */
const STRANGER = 'Bearer zzTopSecret-not-known-7788'

const logLines: string[] = []
const exporter = new InMemorySpanExporter()
let sim: Simulator
let gw: RunningGateway

beforeAll(async () => {
  sim = await startSimulator({ apiKeys: [PROVIDER_KEY, ANTHROPIC_KEY] })
  gw = await start({
    gateway: {
      port: 0,
      dataDir: `${process.env.TMPDIR ?? '/tmp'}/loopgate-mask-${process.pid}`,
      providers: {
        sim: { protocol: 'openai', baseUrl: sim.openaiBaseUrl, apiKeyEnv: 'SIM_KEY' },
        simant: { protocol: 'anthropic', baseUrl: sim.anthropicBaseUrl, apiKeyEnv: 'SIM_ANT_KEY' },
      },
      routes: [
        { name: 'chat', targets: [{ provider: 'sim', model: 'sim-small' }], policy: { maxAttempts: 1 } },
        { name: 'claude', targets: [{ provider: 'simant', model: 'sim-claude' }], policy: { maxAttempts: 1 } },
      ],
      tenants: [
        {
          id: 'acme',
          keys: [{ key: KEY }, { key: `sha256:${createHash('sha256').update(HASHED_KEY).digest('hex')}` }],
        },
      ],
      telemetry: { enabled: false },
    },
    adminToken: ADMIN,
    env: { SIM_KEY: PROVIDER_KEY, SIM_ANT_KEY: ANTHROPIC_KEY },
    logger: pino(
      { level: 'trace' },
      new Writable({
        write(chunk, _enc, done) {
          logLines.push(String(chunk))
          done()
        },
      }),
    ),
    spanExporters: [exporter],
  })
})
afterAll(async () => {
  await gw?.close()
  await sim?.close()
})
beforeEach(() => exporter.reset())

const SECRETS = [PROVIDER_KEY, ANTHROPIC_KEY, KEY, HASHED_KEY, 'zzTopSecret-not-known-7788']

function expectNoSecret(where: string, text: string): void {
  for (const s of SECRETS) expect(text, `${where} leaks ${s}`).not.toContain(s)
}

async function call(path: string, body: unknown, key = KEY) {
  const res = await fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  })
  return { status: res.status, text: await res.text() }
}

async function spanTexts(): Promise<string> {
  await gw.flushTelemetry()
  return JSON.stringify(
    exporter
      .getFinishedSpans()
      .map((s) => ({ status: s.status, attributes: s.attributes, events: s.events, name: s.name })),
  )
}

const user = [{ role: 'user', content: 'hi' }]
const echoing = `upstream says: invalid credentials ${STRANGER}; also saw ${KEY} and ${HASHED_KEY}`

describe('upstream error text is masked before a client, a span, /admin/targets or a log', () => {
  it('a 4xx echoing the provider key it received (Authorization: Bearer …) and virtual keys', async () => {
    sim.script('sim-small', { kind: 'error', status: 401, message: echoing, echoAuth: true })
    const r = await call('/v1/chat/completions', { model: 'chat', messages: user }, HASHED_KEY)
    expect(r.status).toBe(401)
    expect(r.text).toContain('upstream says: invalid credentials')
    expect(r.text).toContain(MASK)
    expectNoSecret('client body', r.text)
    const spans = await spanTexts()
    expect(spans).toContain('invalid credentials')
    expectNoSecret('spans', spans)
  })

  it('a 5xx on the Anthropic protocol (x-api-key) also reaches /admin/targets, masked', async () => {
    sim.script('sim-claude', { kind: 'error', status: 500, message: echoing, echoAuth: true })
    const r = await call('/v1/messages', { model: 'claude', max_tokens: 10, messages: user })
    expect(r.status).toBe(500)
    expect(r.text).toContain('invalid credentials')
    expectNoSecret('client body', r.text)
    const spans = await spanTexts()
    expect(spans).toContain('invalid credentials')
    expectNoSecret('spans', spans)
    const targets = await (
      await fetch(`${gw.url}/admin/targets`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).text()
    expect(targets).toContain('invalid credentials')
    expectNoSecret('/admin/targets', targets)
  })

  it('a streamed request whose upstream refuses, and a translated one', async () => {
    sim.script('sim-small', { kind: 'error', status: 503, message: `${echoing} ${PROVIDER_KEY}` })
    const s = await call('/v1/chat/completions', { model: 'chat', stream: true, messages: user })
    expect(s.status).toBe(503)
    expect(s.text).toContain('invalid credentials')
    expectNoSecret('stream client body', s.text)
    sim.script('sim-claude', { kind: 'error', status: 400, message: echoing, echoAuth: true })
    const t = await call('/v1/chat/completions', { model: 'claude', messages: user })
    expect(t.status).toBe(400)
    expect(t.text).toContain('invalid credentials')
    expectNoSecret('translated client body', t.text)
    const spans = await spanTexts()
    expect(spans).toContain('invalid credentials')
    expectNoSecret('spans', spans)
    const targets = await (
      await fetch(`${gw.url}/admin/targets`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).text()
    expectNoSecret('/admin/targets', targets)
  })

  it('nothing of it was logged', () => {
    expect(logLines.length).toBeGreaterThan(0) // the logger works: it logged the start
    expectNoSecret('logs', logLines.join(''))
  })
})

describe('SecretMasker', () => {
  const m = new SecretMasker({
    exact: ['exact-secret-value'],
    hashes: [createHash('sha256').update('vk-raw-key-123').digest('hex')],
  })
  const cases: [string, string][] = [
    ['Incorrect API key provided: sk-proj-AbCdEf0123456789xyz.', 'sk-proj-AbCdEf0123456789xyz'],
    ['key sk-ant-api03-AAAABBBBCCCCDDDD rejected', 'sk-ant-api03-AAAABBBBCCCCDDDD'],
    ['aws AKIAIOSFODNN7EXAMPLE denied', 'AKIAIOSFODNN7EXAMPLE'],
    ['google AIzaSyA-1234567890abcdefghijklmnopqrstu bad', 'AIzaSyA-1234567890abcdefghijklmnopqrstu'],
    ['authorization: Bearer abc.def-ghi', 'abc.def-ghi'],
    ['{"x-api-key":"a1b2c3d4e5f6g7h8"}', 'a1b2c3d4e5f6g7h8'],
    ['api_key=0123456789abcdef0123456789abcdef', '0123456789abcdef0123456789abcdef'],
    ['token: 4f9d2c1b8a7e6d5c', '4f9d2c1b8a7e6d5c'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'eyJhbGciOiJIUzI1NiJ9',
    ],
    ['the exact-secret-value leaked', 'exact-secret-value'],
    ['virtual key vk-raw-key-123.', 'vk-raw-key-123'],
    ['github ghp_0123456789abcdefghijABCDEFGHIJ', 'ghp_0123456789abcdefghijABCDEFGHIJ'],
  ]
  for (const [text, secret] of cases) {
    it(`masks ${secret.slice(0, 16)}…`, () => {
      const out = m.mask(text)
      expect(out).not.toContain(secret)
      expect(out).toContain(MASK)
    })
  }

  it('leaves ordinary error text readable', () => {
    for (const text of [
      "The model 'gpt-5-mini' does not exist or you do not have access to it.",
      "This model's maximum context length is 128000 tokens. However, your messages resulted in 130512 tokens.",
      'max_tokens: Field required',
      'Rate limit reached for requests; please try again in 20s.',
      'Invalid API key provided',
      'simulated 500',
    ])
      expect(m.mask(text)).toBe(text)
  })

  it('bounds the text it masks', () => {
    expect(m.mask('x'.repeat(100_000)).length).toBeLessThan(5_000)
  })
})
