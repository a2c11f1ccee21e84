import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { start, type RunningGateway } from '../../gateway/index.ts'
import { GatewayRoutingPusher } from '../../optimizer/gateway-pusher.ts'
import { PushConflictError } from '../../optimizer/pusher.ts'

const ADMIN = 'admin-token-0123456789abcdef'

/** The pusher against the real gateway's admin API (no upstream call is made). */
describe('GatewayRoutingPusher against the real gateway', () => {
  let gw: RunningGateway
  beforeAll(async () => {
    gw = await start({
      gateway: {
        port: 0,
        dataDir: mkdtempSync(join(tmpdir(), 'loopgate-opt-gw-')),
        providers: { up: { protocol: 'openai', baseUrl: 'http://127.0.0.1:9/v1' } },
        routes: [
          {
            name: 'chat',
            targets: [
              { provider: 'up', model: 'big', weight: 1 },
              { provider: 'up', model: 'small', weight: 1, id: 'cheap' },
            ],
            policy: { maxAttempts: 2 },
            rules: [{ when: { tags: ['vip'] }, targets: [{ provider: 'up', model: 'big' }] }],
          },
          { name: 'other', targets: [{ provider: 'up', model: 'big', weight: 3 }] },
        ],
        telemetry: { enabled: false },
      },
      adminToken: ADMIN,
      logger: pino({ level: 'silent' }),
    })
  })
  afterAll(async () => gw?.close())

  it('reads target ids and weights, pushes a new version that keeps everything else, refuses a stale version', async () => {
    const pusher = new GatewayRoutingPusher({ baseUrl: gw.url, adminToken: ADMIN })
    const view = await pusher.read()
    expect(view.routes).toEqual({ chat: { 'up/big': 1, cheap: 1 }, other: { 'up/big': 3 } })
    const { version } = await pusher.push(
      { chat: { 'up/big': 0.3, cheap: 0.7 } },
      { expectedVersion: view.version, reason: 'test move' },
    )
    expect(Number(version)).toBe(Number(view.version) + 1)
    expect(gw.routingVersion()).toBe(Number(version))
    const table = (await (
      await fetch(`${gw.url}/admin/routing`, { headers: { authorization: `Bearer ${ADMIN}` } })
    ).json()) as {
      routes: { name: string; targets: { weight: number }[]; policy: { maxAttempts: number }; rules: unknown[] }[]
    }
    const chat = table.routes.find((r) => r.name === 'chat')!
    expect(chat.targets.map((t) => t.weight)).toEqual([0.3, 0.7])
    expect(chat.policy.maxAttempts).toBe(2)
    expect(chat.rules).toHaveLength(1)
    expect(table.routes.find((r) => r.name === 'other')!.targets[0]!.weight).toBe(3)
    await expect(
      pusher.push({ chat: { 'up/big': 1, cheap: 0 } }, { expectedVersion: view.version, reason: 'stale' }),
    ).rejects.toBeInstanceOf(PushConflictError)
  })

  it('fails clearly with a wrong admin token', async () => {
    const pusher = new GatewayRoutingPusher({ baseUrl: gw.url, adminToken: 'wrong-token-0000000000' })
    await expect(pusher.read()).rejects.toThrow(/HTTP 401/)
  })
})
