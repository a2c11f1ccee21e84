import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CollectorClient } from '../../collector/client.ts'
import type { TenantAccess } from '../../collector/config.ts'
import { start as startGateway, type RunningGateway } from '../../gateway/index.ts'
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.ts'

/* The collector's relay of the dashboard's admin calls to the gateway (collector/api/admin.ts). */
const TENANTS: TenantAccess[] = [
  { id: 'acme', ingestKeys: [], readKeys: ['acme-relay-read'] },
  { id: 'globex', ingestKeys: [], readKeys: ['globex-relay-read'] },
]

let collector: TestCollector
let gateway: RunningGateway
let gatewayUrl: string | undefined
const dirs: string[] = []

async function gatewayWith(adminToken: string): Promise<RunningGateway> {
  const dir = mkdtempSync(join(tmpdir(), 'loopgate-gw-relay-'))
  dirs.push(dir)
  return startGateway({
    gateway: {
      port: 0,
      dataDir: dir,
      providers: { sim: { protocol: 'openai', baseUrl: 'http://127.0.0.1:9/v1' } },
      routes: [{ name: 'chat', targets: [{ provider: 'sim', model: 'm' }] }],
      tenants: [
        { id: 'acme', keys: [{ key: 'lg-acme-relay-0001', name: 'acme-main' }] },
        { id: 'globex', keys: [{ key: 'lg-globex-relay-0001', name: 'globex-main' }] },
      ],
      telemetry: { enabled: false },
    },
    adminToken,
    logger: pino({ level: 'silent' }),
  })
}

beforeAll(async () => {
  collector = await startTestCollector({ tenants: TENANTS, gatewayUrl: () => gatewayUrl })
  gateway = await gatewayWith(ADMIN_TOKEN)
  gatewayUrl = gateway.url
})

afterAll(async () => {
  await gateway?.close()
  await collector?.close()
  rmSync(collector.dataDir, { recursive: true, force: true })
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const raw = (path: string, token: string, init: { method?: string; body?: unknown } = {}) =>
  fetch(`${collector.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  })

describe('/api/admin relay', () => {
  it("relays the admin token's calls and passes the gateway's refusals on as they are", async () => {
    const admin = new CollectorClient({ baseUrl: collector.url, token: ADMIN_TOKEN })
    const created = await admin.createKey('acme', { name: 'relayed', rateLimits: { rpm: 5 }, reason: 'relay' })
    expect(created.secret).toMatch(/^lg-/)
    expect(created.key).toMatchObject({
      tenant: 'acme',
      name: 'relayed',
      createdBy: 'dashboard (admin token)',
      limits: { rateLimits: { rpm: 5 } },
    })
    const bad = await raw('/api/admin/tenants/acme/keys', ADMIN_TOKEN, {
      method: 'POST',
      body: { rateLimits: { rpm: -1 } },
    })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('rateLimits.rpm:')
    await expect(admin.revokeKey('acme', 'vk_000000000000')).rejects.toMatchObject({ status: 404 })
    const audit = await admin.keyAudit()
    expect(audit.entries.map((e) => `${e.action} ${e.author} ${e.reason}`)).toEqual([
      'key.create dashboard (admin token) relay',
    ])
    const table = await admin.routingTable()
    expect(table.routes.map((r) => r.name)).toEqual(['chat'])
    const put = await admin.putRoutingTable({
      routes: table.routes,
      expectedVersion: table.version,
      reason: 'no-op from the relay test',
      author: 'ana',
    })
    expect(put.version).toBe(table.version + 1)
    expect((await admin.routingAudit()).entries[0]).toMatchObject({
      author: 'ana',
      reason: 'no-op from the relay test',
    })
    await expect(
      admin.putRoutingTable({ routes: table.routes, expectedVersion: table.version, reason: 'stale' }),
    ).rejects.toMatchObject({ status: 409 })
  })

  it('refuses tenant read keys with 403 before anything reaches the gateway', async () => {
    const before = (await new CollectorClient({ baseUrl: collector.url, token: ADMIN_TOKEN }).keyAudit()).entries.length
    for (const [method, path, body] of [
      ['GET', '/api/admin/keys'],
      ['POST', '/api/admin/tenants/acme/keys', {}],
      ['PUT', '/api/admin/tenants/acme/limits', {}],
      ['PUT', '/api/admin/routing', { routes: [] }],
    ] as [string, string, unknown?][]) {
      const r = await raw(path, 'acme-relay-read', { method, body })
      expect(r.status, path).toBe(403)
      expect(((await r.json()) as { error: { message: string } }).error.message).toContain('needs the admin token')
    }
    expect((await raw('/api/admin/keys', 'not-a-key')).status).toBe(401)
    expect((await new CollectorClient({ baseUrl: collector.url, token: ADMIN_TOKEN }).keyAudit()).entries.length).toBe(
      before,
    )
  })

  it('shows a tenant read key only its own keys, read-only fields only', async () => {
    const mine = await new CollectorClient({ baseUrl: collector.url, token: 'acme-relay-read' }).myKeys()
    expect(new Set(mine.keys.map((k) => k.tenant))).toEqual(new Set(['acme']))
    expect(mine.keys.map((k) => k.id)).toContain('acme-main')
    expect(mine.tenants.map((t) => t.tenant)).toEqual(['acme'])
    for (const k of mine.keys)
      for (const hidden of ['hash', 'source', 'configLimits', 'createdBy'])
        expect(Object.keys(k), hidden).not.toContain(hidden)
    expect((await raw('/api/keys?tenant=globex', 'acme-relay-read')).status).toBe(403)
    const all = await new CollectorClient({ baseUrl: collector.url, token: ADMIN_TOKEN }).myKeys()
    expect(new Set(all.keys.map((k) => k.tenant))).toEqual(new Set(['acme', 'globex']))
  })

  it("says what is wrong when the gateway is not configured or refuses the collector's token", async () => {
    gatewayUrl = undefined
    try {
      const none = await raw('/api/admin/keys', ADMIN_TOKEN)
      expect(none.status).toBe(503)
      expect(((await none.json()) as { error: { message: string } }).error.message).toContain('collector.gatewayUrl')
      const other = await gatewayWith('another-admin-token-0123456789')
      gatewayUrl = other.url
      try {
        const refused = await raw('/api/admin/keys', ADMIN_TOKEN)
        expect(refused.status).toBe(502) // never a 401: the dashboard must not sign its admin out
        expect(((await refused.json()) as { error: { message: string } }).error.message).toContain(
          'same LOOPGATE_ADMIN_TOKEN',
        )
      } finally {
        await other.close()
      }
    } finally {
      gatewayUrl = gateway.url
    }
  })

  it('lists the admin endpoints in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${collector.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> }
    for (const p of ['/api/admin/keys', '/api/admin/tenants/{tenant}/keys', '/api/admin/routing', '/api/keys'])
      expect(Object.keys(doc.paths)).toContain(p)
  })
})
