import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from '../../cli/config.ts'

const dir = mkdtempSync(join(tmpdir(), 'loopgate-config-'))
const file = (name: string, text: string) => {
  const path = join(dir, name)
  writeFileSync(path, text)
  return path
}

describe('config', () => {
  it('has embedded defaults with no file and no environment', () => {
    const config = loadConfig({ env: {} })
    expect(config.collector.port).toBe(4318)
    expect(config.clickhouse.url).toBeUndefined()
    expect(config.clickhouse.path).toBe('./data/clickhouse')
    expect(config.tenants).toEqual([])
  })

  it('reads YAML and lets the environment win for URLs and secrets', () => {
    const path = file('a.yaml', 'clickhouse:\n  url: http://file:8123\ncollector:\n  port: 5000\n')
    const config = loadConfig({
      file: path,
      env: { CLICKHOUSE_URL: 'http://env:8123', LOOPGATE_ADMIN_TOKEN: 'x'.repeat(20) },
    })
    expect(config.clickhouse.url).toBe('http://env:8123')
    expect(config.collector.port).toBe(5000)
    expect(config.adminToken).toBe('x'.repeat(20))
  })

  it('names the field and the fix for a bad value', () => {
    const path = file('b.yaml', 'collector:\n  port: 70000\ntenants:\n  - id: Bad Tenant\n')
    const err = (() => {
      try {
        loadConfig({ file: path, env: {} })
      } catch (e) {
        return e as Error
      }
    })()
    expect(err).toBeInstanceOf(ConfigError)
    expect(err!.message).toContain('collector.port')
    expect(err!.message).toContain('tenants.0.id')
    expect(err!.message).toMatch(/lowercase letters/)
  })

  it('refuses unknown top-level keys, short admin tokens, duplicate tenants and broken YAML', () => {
    expect(() => loadConfig({ file: file('c.yaml', 'colector: {}\n'), env: {} })).toThrow(/colector/)
    expect(() => loadConfig({ env: { LOOPGATE_ADMIN_TOKEN: 'short' } })).toThrow(/adminToken: use at least 16/)
    expect(() => loadConfig({ file: file('d.yaml', 'tenants: [{id: a}, {id: a}]\n'), env: {} })).toThrow(/listed twice/)
    expect(() => loadConfig({ file: file('e.yaml', 'collector: [\n'), env: {} })).toThrow(/not valid YAML/)
    expect(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).toThrow(/cannot read config file/)
    expect(() => loadConfig({ file: file('f.yaml', 'gateway: { tenants: [{ id: a }] }\n'), env: {} })).toThrow(
      /top-level `tenants`/,
    )
  })
})
