import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CollectorClient } from '../../collector/client.ts'
import { eventually, freePort } from '../helpers/net.ts'

const ADMIN = 'cli-admin-token-0123456789'
const KEY = 'lg-acme-cli-key-000001'

let child: ChildProcess
let ports: { collector: number; gateway: number; simulator: number }

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-start-'))
  ports = { collector: await freePort(), gateway: await freePort(), simulator: await freePort() }
  writeFileSync(
    join(dir, 'loopgate.yaml'),
    `
logLevel: warn
collector: { port: ${ports.collector} }
gateway:
  port: ${ports.gateway}
  providers: { sim: { protocol: openai, baseUrl: "http://127.0.0.1:${ports.simulator}/v1", apiKeyEnv: SIM_KEY } }
  routes: [{ name: chat, targets: [{ provider: sim, model: sim-small, price: { input: "0.15", output: "0.6" } }] }]
  simulator: { port: ${ports.simulator} }
tenants: [{ id: acme, keys: [{ key: ${KEY} }] }]
evaluator: { defaults: { delayMs: 0 } }
`,
  )
  child = spawn(
    process.execPath,
    [join(import.meta.dirname, '../../bin/loopgate.mjs'), 'start', '--demo', '--config', join(dir, 'loopgate.yaml')],
    {
      env: { ...process.env, LOOPGATE_ADMIN_TOKEN: ADMIN, LOOPGATE_DATA_DIR: dir, SIM_KEY: 'sim-key' },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  )
  await eventually('the gateway', async () =>
    (await fetch(`http://127.0.0.1:${ports.gateway}/healthz`)).ok ? true : undefined,
  )
})

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill('SIGTERM')
    await new Promise((r) => child.once('exit', r))
  }
})

describe('loopgate start --demo (one process, embedded defaults)', () => {
  it('closes the loop: a request through the gateway becomes a stored span with evaluator scores', async () => {
    const openai = new OpenAI({ baseURL: `http://127.0.0.1:${ports.gateway}/v1`, apiKey: KEY })
    const { data, response } = await openai.chat.completions
      .create({ model: 'chat', messages: [{ role: 'user', content: 'What is 6 times 7?' }] })
      .withResponse()
    expect(data.choices[0]!.message.content).toBeTruthy()
    const traceId = response.headers.get('x-loopgate-trace-id')!
    expect(traceId).toMatch(/^[0-9a-f]{32}$/)

    const api = new CollectorClient({ baseUrl: `http://127.0.0.1:${ports.collector}`, token: ADMIN })
    const trace = await eventually('the span', async () => await api.getTrace(traceId).catch(() => undefined))
    const root = trace.roots[0]!
    expect(root).toMatchObject({ tenant_id: 'acme', route: 'chat' })
    const scores = await eventually('evaluator scores', async () => {
      const list = await api.listScores({ trace_id: traceId })
      return list.scores.length > 0 ? list.scores : undefined
    })
    expect(scores.some((s) => s.name.startsWith('heuristics.'))).toBe(true)
    // The route's configured price is what the gateway charged: the cost scorer checks against it (no "unverified").
    const cost = await eventually(
      'the cost score',
      async () => (await api.listScores({ trace_id: traceId, name: 'cost' })).scores[0],
    )
    expect(cost).toMatchObject({ label: 'agrees' })
    expect(cost.reason).toContain('vs configured price')
  })

  it("relays the dashboard's admin calls to its own gateway (the collector starts first)", async () => {
    const api = new CollectorClient({ baseUrl: `http://127.0.0.1:${ports.collector}`, token: ADMIN })
    expect((await api.adminKeys()).keys.map((k) => `${k.source}:${k.tenant}`)).toContain('config:acme')
    const created = await api.createKey('acme', { name: 'from-cli-test', reason: 'relay check' })
    const openai = new OpenAI({
      baseURL: `http://127.0.0.1:${ports.gateway}/v1`,
      apiKey: created.secret,
      maxRetries: 0,
    })
    expect(
      (await openai.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] })).choices,
    ).toHaveLength(1)
  })

  it('stops cleanly on SIGTERM', async () => {
    child.kill('SIGTERM')
    const code = await new Promise((r) => child.once('exit', r))
    expect(code).toBe(0)
  })
})
