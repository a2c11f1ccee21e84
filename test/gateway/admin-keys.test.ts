import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import OpenAI from 'openai'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startRedis, type RedisServer } from '../helpers/redis.ts'
import { ADMIN, KEY, OTHER_KEY, eventually, startHarness, type Harness } from './harness.ts'

let h: Harness | undefined
let h2: Harness | undefined
afterEach(async () => {
  await h?.close()
  await h2?.close()
  h = h2 = undefined
})

interface KeyView {
  id: string
  tenant: string
  name?: string
  source: 'config' | 'api'
  revokedAt?: string
  limits: Record<string, Record<string, unknown>>
  spend: { today: string; thisMonth: string }
}

async function admin(base: string, method: string, path: string, body?: unknown, token = ADMIN) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, json: (text ? JSON.parse(text) : undefined) as any, text }
}

const listKeys = async (base: string) =>
  (await admin(base, 'GET', '/admin/keys')).json as {
    version: number
    keys: KeyView[]
    tenants: { tenant: string; spend: { today: string } }[]
  }
const createKey = async (base: string, tenant: string, body: Record<string, unknown> = {}) => {
  const r = await admin(base, 'POST', `/admin/tenants/${tenant}/keys`, body)
  expect(r.status, r.text).toBe(201)
  return r.json as { key: KeyView; secret: string }
}
const sdk = (base: string, key: string) => new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 })
const ask = (client: OpenAI, max_tokens = 8) =>
  client.chat.completions.create({ model: 'chat', messages: [{ role: 'user', content: 'hello there' }], max_tokens })

/** Exact cost of the `chat` route (0.15 / 0.6 USD per million tokens) in USD. */
const cost = (input: number, output: number) => {
  const units = BigInt(input) * 150_000n + BigInt(output) * 600_000n
  const s = units.toString().padStart(13, '0')
  return `${s.slice(0, -12)}.${s.slice(-12).replace(/0+$/, '') || '0'}`
}

describe('admin API: virtual keys', () => {
  it('creates a key (secret once, hash only on disk), serves it through the SDK, reports its spend, revokes it to 401', async () => {
    h = await startHarness()
    const { key, secret } = await createKey(h.url, 'acme', {
      name: 'support-bot',
      reason: 'new integration',
      author: 'ops@example.com',
    })
    expect(key).toMatchObject({
      tenant: 'acme',
      name: 'support-bot',
      source: 'api',
      spend: { today: '0.0', thisMonth: '0.0' },
    })
    expect(key.id).toMatch(/^vk_[0-9a-f]{12}$/)
    expect(secret).toMatch(/^lg-[A-Za-z0-9_-]{32}$/)

    const client = sdk(h.url, secret)
    const reply = await ask(client)
    expect(reply.choices[0]!.message.content).toBeTruthy()
    const expected = cost(reply.usage!.prompt_tokens, reply.usage!.completion_tokens)

    const listed = await listKeys(h.url)
    const mine = listed.keys.find((k) => k.id === key.id)!
    expect(mine.spend).toEqual({ today: expected, thisMonth: expected })
    expect(listed.tenants.find((t) => t.tenant === 'acme')!.spend.today).toBe(expected)
    // Config keys are listed too, without secrets or hashes anywhere in the answer.
    expect(listed.keys.map((k) => `${k.source}:${k.tenant}/${k.id}`)).toEqual(
      expect.arrayContaining(['config:acme/acme-ci', `api:acme/${key.id}`]),
    )
    const listedText = JSON.stringify(listed)
    expect(listedText).not.toContain(secret)
    expect(listedText).not.toMatch(/"hash"/)
    for (const file of readdirSync(h.dataDir)) expect(readFileSync(join(h.dataDir, file), 'utf8')).not.toContain(secret)

    const revoked = await admin(h.url, 'POST', `/admin/tenants/acme/keys/${key.id}/revoke`, {
      reason: 'leaked in a log',
      author: 'ops@example.com',
    })
    expect(revoked.status, revoked.text).toBe(200)
    expect(revoked.json.key.revokedAt).toMatch(/^\d{4}-/)
    const err = await ask(client).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError)
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).message).toContain('revoked')
    expect((await admin(h.url, 'POST', `/admin/tenants/acme/keys/${key.id}/revoke`, {})).status).toBe(409)

    const audit = (await admin(h.url, 'GET', '/admin/keys/audit')).json.entries as {
      action: string
      key: string
      author: string
      reason: string
      at: string
    }[]
    expect(audit.map((e) => e.action)).toEqual(['key.revoke', 'key.create'])
    expect(audit[0]).toMatchObject({ key: key.id, author: 'ops@example.com', reason: 'leaked in a log' })
    expect(JSON.stringify(audit)).not.toContain(secret)
  })

  it('enforces per-key and per-tenant limits set at run time; config-declared ones stay authoritative', async () => {
    h = await startHarness({
      gateway: () => ({
        tenants: [
          {
            id: 'acme',
            budgets: { usdPerMonth: '100' },
            keys: [{ key: KEY, name: 'acme-ci', rateLimits: { tpm: 100000 } }],
          },
        ],
      }),
    })
    const { key, secret } = await createKey(h.url, 'acme')
    const client = sdk(h.url, secret)
    const setKey = await admin(h.url, 'PUT', `/admin/tenants/acme/keys/${key.id}/limits`, {
      rateLimits: { rpm: 2 },
      reason: 'trial key',
    })
    expect(setKey.status, setKey.text).toBe(200)
    expect(setKey.json.key.limits).toEqual({ rateLimits: { rpm: 2 } })
    await ask(client)
    await ask(client)
    const limited = await ask(client).catch((e: unknown) => e)
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError)
    expect((limited as Error).message).toContain(
      `key "${key.id}" of tenant "acme" reached its rpm limit of 2 requests/minute`,
    )

    // A tenant budget the configuration leaves out (per day) can be set; the other key of the tenant feels it.
    const tenant = await admin(h.url, 'PUT', '/admin/tenants/acme/limits', {
      budgets: { usdPerDay: '0.000001' },
      reason: 'freeze spend',
    })
    expect(tenant.status, tenant.text).toBe(200)
    expect(tenant.json.tenant.limits).toEqual({ budgets: { usdPerMonth: '100', usdPerDay: '0.000001' } })
    const broke = await ask(sdk(h.url, KEY)).catch((e: unknown) => e)
    expect(broke).toBeInstanceOf(OpenAI.APIError)
    expect((broke as InstanceType<typeof OpenAI.APIError>).status).toBe(402)
    expect((broke as Error).message).toContain('tenant "acme"')

    // What the configuration declares is refused with a 409 naming the field and where to change it.
    const monthly = await admin(h.url, 'PUT', '/admin/tenants/acme/limits', { budgets: { usdPerMonth: '5' } })
    expect(monthly.status).toBe(409)
    expect(monthly.json.error.message).toContain('budgets.usdPerMonth: tenant "acme" declares it in the configuration')
    const tpm = await admin(h.url, 'PUT', '/admin/tenants/acme/keys/acme-ci/limits', { rateLimits: { tpm: 5 } })
    expect(tpm.status).toBe(409)
    // Lifting the runtime budget serves the tenant again.
    expect((await admin(h.url, 'PUT', '/admin/tenants/acme/limits', { reason: 'unfreeze' })).status).toBe(200)
    expect((await ask(sdk(h.url, KEY))).choices.length).toBe(1)
  })

  it('keeps runtime keys, limits and revocations across a restart (file, no Redis)', async () => {
    h = await startHarness()
    const dataDir = h.dataDir
    const kept = await createKey(h.url, 'acme', { name: 'kept', rateLimits: { rpm: 50 } })
    const gone = await createKey(h.url, 'beta', { routes: ['chat'] })
    expect((await admin(h.url, 'POST', `/admin/tenants/beta/keys/${gone.key.id}/revoke`, {})).status).toBe(200)
    expect(
      (
        await admin(
          h.url,
          'POST',
          '/admin/tenants/beta/keys/' +
            (await listKeys(h.url)).keys.find((k) => k.tenant === 'beta' && k.source === 'config')!.id +
            '/revoke',
          { reason: 'config key leaked' },
        )
      ).status,
    ).toBe(200)
    await ask(sdk(h.url, kept.secret))
    await h.gw.close()
    await h.sim.close()

    h = await startHarness({ dataDir })
    expect((await ask(sdk(h.url, kept.secret))).choices.length).toBe(1)
    expect(await ask(sdk(h.url, gone.secret)).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError)
    expect(await ask(sdk(h.url, OTHER_KEY)).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError) // a revoked config key stays revoked
    const listed = await listKeys(h.url)
    expect(listed.keys.find((k) => k.id === kept.key.id)).toMatchObject({
      name: 'kept',
      limits: { rateLimits: { rpm: 50 } },
    })
    expect((await admin(h.url, 'GET', '/admin/keys/audit')).json.entries).toHaveLength(4)
    await h.sim.close()
    h = undefined
  })

  it('refuses hostile input with 400s naming the field', async () => {
    h = await startHarness()
    const { key } = await createKey(h.url, 'acme')
    const cases: [string, string, unknown, string][] = [
      ['POST', '/admin/tenants/acme/keys', { name: 'has space' }, 'name:'],
      ['POST', '/admin/tenants/acme/keys', { name: 'x'.repeat(65) }, 'name:'],
      ['POST', '/admin/tenants/acme/keys', { routes: ['nope'] }, 'routes: unknown route "nope"'],
      ['POST', '/admin/tenants/acme/keys', { routes: 'chat' }, 'routes:'],
      ['POST', '/admin/tenants/acme/keys', { secret: 'chosen-by-client' }, 'Unrecognized key'],
      ['POST', '/admin/tenants/acme/keys', { budgets: { usdPerDay: '-1' } }, 'budgets.usdPerDay:'],
      ['POST', '/admin/tenants/acme/keys', { budgets: { usdPerDay: '0.0000000000001' } }, 'budgets.usdPerDay:'],
      ['POST', '/admin/tenants/acme/keys', { budgets: { usdPerDay: '1e3' } }, 'budgets.usdPerDay:'],
      ['POST', '/admin/tenants/acme/keys', { rateLimits: { rpm: 0 } }, 'rateLimits.rpm:'],
      ['POST', '/admin/tenants/acme/keys', { rateLimits: { rpm: 1.5 } }, 'rateLimits.rpm:'],
      ['POST', '/admin/tenants/acme/keys', { rateLimits: { rpm: '10' } }, 'rateLimits.rpm:'],
      ['POST', '/admin/tenants/acme/keys', { reason: 'x'.repeat(501) }, 'reason:'],
      ['POST', '/admin/tenants/acme/keys', { author: 'evil\u0000name' }, 'author:'],
      ['POST', '/admin/tenants/acme/keys', [1, 2], '(body)'],
      ['POST', '/admin/tenants/ACME/keys', {}, 'tenant:'],
      ['POST', '/admin/tenants/..%2F..%2Fetc/keys', {}, 'tenant:'],
      ['PUT', `/admin/tenants/acme/keys/${key.id}/limits`, { budgets: { usdPerYear: '1' } }, 'Unrecognized key'],
      ['PUT', '/admin/tenants/acme/limits', { rateLimits: { tpm: -5 } }, 'rateLimits.tpm:'],
      ['POST', `/admin/tenants/acme/keys/${key.id}/revoke`, { reason: 42 }, 'reason:'],
    ]
    for (const [method, path, body, message] of cases) {
      const r = await admin(h.url, method, path, body)
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`).toBe(400)
      expect(r.json.error.message, `${method} ${path}`).toContain(message)
    }
    expect((await admin(h.url, 'POST', '/admin/tenants/acme/keys', '{"name": ')).status).toBe(400)
    expect((await admin(h.url, 'POST', '/admin/tenants/acme/keys', '{"__proto__": {"x": 1}}')).status).toBe(400)
    expect((await admin(h.url, 'POST', '/admin/tenants/acme/keys/vk_000000000000/revoke', {})).status).toBe(404)
    expect((await admin(h.url, 'POST', '/admin/tenants/acme/keys', { name: 'acme-ci' })).status).toBe(409) // a config key's name
    // Nothing refused reached the state: one key created above, one entry in the trail.
    expect((await admin(h.url, 'GET', '/admin/keys/audit')).json.entries).toHaveLength(1)
  })

  it('answers 401 to tenant keys and callers without the admin token, 403 when the admin API is off', async () => {
    h = await startHarness()
    const paths: [string, string][] = [
      ['GET', '/admin/keys'],
      ['POST', '/admin/tenants/acme/keys'],
      ['PUT', '/admin/tenants/acme/limits'],
      ['GET', '/admin/keys/audit'],
    ]
    for (const [method, path] of paths) {
      expect((await admin(h.url, method, path, method === 'GET' ? undefined : {}, KEY)).status).toBe(401)
      const anonymous = await fetch(`${h.url}${path}`, {
        method,
        headers: method === 'GET' ? {} : { 'content-type': 'application/json' },
        body: method === 'GET' ? undefined : '{}',
      })
      expect(anonymous.status).toBe(401)
    }
    expect((await listKeys(h.url)).keys.filter((k) => k.source === 'api')).toHaveLength(0)
    await h.close()
    h = undefined
    const { start } = await import('../../gateway/index.ts')
    const { pino } = await import('pino')
    const { mkdtempSync, rmSync } = await import('node:fs')
    const { tmpdir } = await import('node:os')
    const dir = mkdtempSync(join(tmpdir(), 'loopgate-gw-'))
    const off = await start({
      gateway: { port: 0, dataDir: dir, telemetry: { enabled: false } },
      logger: pino({ level: 'silent' }),
    })
    try {
      expect((await admin(off.url, 'GET', '/admin/keys')).status).toBe(403)
    } finally {
      await off.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('admin API: virtual keys with a real redis-server', () => {
  let redis: RedisServer
  beforeAll(async () => {
    redis = await startRedis()
  })
  afterAll(() => redis.stop())

  it('a key created on one gateway serves on the other; a revoke on one is a 401 on the other', async () => {
    const one = (h = await startHarness({ redisUrl: redis.url }))
    const two = (h2 = await startHarness({ redisUrl: redis.url }))
    const { key, secret } = await createKey(h.url, 'acme', { name: 'shared', reason: 'two replicas' })
    const created = (await listKeys(h.url)).version
    await eventually(async () => (await listKeys(h2!.url)).version === created)
    const client2 = sdk(h2.url, secret)
    const reply = await ask(client2)
    const expected = cost(reply.usage!.prompt_tokens, reply.usage!.completion_tokens)
    // Spend is counted in Redis: either replica reports it.
    expect((await listKeys(h.url)).keys.find((k) => k.id === key.id)!.spend.today).toBe(expected)

    expect((await admin(h.url, 'POST', `/admin/tenants/acme/keys/${key.id}/revoke`, { reason: 'rotate' })).status).toBe(
      200,
    )
    const revoked = (await listKeys(h.url)).version
    await eventually(async () => (await listKeys(h2!.url)).version === revoked)
    expect(await ask(client2).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError)
    const audit = (await admin(h2.url, 'GET', '/admin/keys/audit')).json.entries as { action: string }[]
    expect(audit.map((e) => e.action)).toEqual(['key.revoke', 'key.create'])

    // Both replicas change the state at once: compare-and-swap keeps both changes.
    const [a, b] = await Promise.all([
      createKey(h.url, 'acme', { name: 'from-a' }),
      createKey(h2.url, 'acme', { name: 'from-b' }),
    ])
    await eventually(async () => (await listKeys(one.url)).version === (await listKeys(two.url)).version)
    const ids = (await listKeys(h2.url)).keys.map((k) => k.id)
    expect(ids).toEqual(expect.arrayContaining([a.key.id, b.key.id]))

    // A replica started later on an empty data dir takes the keys from Redis: a restart forgets none.
    await one.close()
    h = await startHarness({ redisUrl: redis.url })
    const fresh = await listKeys(h.url)
    expect(fresh.version).toBe((await listKeys(two.url)).version)
    expect(fresh.keys.find((k) => k.id === key.id)?.revokedAt).toBeTruthy()
    expect((await ask(sdk(h.url, a.secret))).choices).toHaveLength(1)
    expect(await ask(sdk(h.url, secret)).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.AuthenticationError)
  })
})
