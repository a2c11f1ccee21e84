import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { parse as parseYaml } from 'yaml'
import { optimizerConfigSchema } from '../../optimizer/config.ts'
import { start } from '../../optimizer/index.ts'

describe('optimizer config', () => {
  it('has working defaults (disabled, 10 s cadence, utility objective)', () => {
    const s = optimizerConfigSchema.parse(undefined)
    expect(s).toMatchObject({
      enabled: false,
      intervalSeconds: 10,
      dryRun: false,
      objective: { kind: 'utility', costWeight: 50 },
    })
    expect(s.guardrails.drain.probeWeight).toBeGreaterThan(0)
  })
  it('names the bad field', () => {
    const r = optimizerConfigSchema.safeParse({ guardrails: { minWeight: 2 }, learner: { discount: 0 }, bogus: 1 })
    expect(r.success).toBe(false)
    const paths = r.error!.issues.map((i) => i.path.join('.'))
    expect(paths).toEqual(expect.arrayContaining(['guardrails.minWeight', 'learner.discount']))
    expect(r.error!.issues.some((i) => i.message.includes('bogus'))).toBe(true)
  })
  it('accepts the example in docs/optimizer.md', () => {
    const doc = readFileSync(new URL('../../docs/optimizer.md', import.meta.url), 'utf8')
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!
    const s = optimizerConfigSchema.parse((parseYaml(yaml) as { optimizer: unknown }).optimizer)
    expect(s.routeObjectives['support-bot']!.kind).toBe('floor')
  })
  it('refuses to start without the admin token it needs', async () => {
    await expect(start({ settings: { enabled: true } })).rejects.toThrow(/adminToken is required/)
  })
})
