import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { registerUi } from '../../collector/ui-static.ts'
import { ensureUiBuilt, UI_DIST } from '../helpers/browser.ts'

const app = Fastify()

beforeAll(async () => {
  await ensureUiBuilt()
  app.get('/api/tenants', async () => ({ tenants: [], admin: true }))
  app.get('/healthz', async () => ({ ok: true }))
  await registerUi(app, { distDir: UI_DIST })
  await app.ready()
}, 120_000)

afterAll(async () => app.close())

describe('registerUi', () => {
  it('serves index.html at / and for any page path (SPA fallback), never cached', async () => {
    for (const url of ['/', '/sessions', '/traces/abc?span=def', '/tenants?period=day']) {
      const res = await app.inject({ url })
      expect(res.statusCode, url).toBe(200)
      expect(res.headers['content-type'], url).toMatch(/text\/html/)
      expect(res.body, url).toContain('<div id="root"></div>')
      expect(res.headers['cache-control'], url).toBe('no-cache')
    }
  })

  it('serves hashed assets as immutable', async () => {
    const index = (await app.inject({ url: '/' })).body
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(index)?.[1]
    expect(script).toBeTruthy()
    const res = await app.inject({ url: script! })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toMatch(/javascript/)
    expect(res.headers['cache-control']).toContain('immutable')
  })

  it('leaves the API alone: real routes answer, unknown API paths are 404, not the app', async () => {
    expect((await app.inject({ url: '/api/tenants' })).json()).toEqual({ tenants: [], admin: true })
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ ok: true })
    for (const url of ['/api/nope', '/v1/nope', '/api']) {
      const res = await app.inject({ url })
      expect(res.statusCode, url).toBe(404)
      expect(res.body, url).not.toContain('<div id="root">')
    }
  })

  it('does nothing but log when the UI is not built', async () => {
    const bare = Fastify()
    const logged: string[] = []
    bare.log.info = ((obj: unknown, msg?: string) => void logged.push(String(msg ?? obj))) as typeof bare.log.info
    await registerUi(bare, { distDir: mkdtempSync(join(tmpdir(), 'loopgate-no-ui-')) })
    expect((await bare.inject({ url: '/' })).statusCode).toBe(404)
    expect(logged.join('\n')).toMatch(/npm run build/)
    await bare.close()
  })
})
