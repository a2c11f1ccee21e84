import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { precedence } from '../../collector/normalize/precedence.ts'

describe('docs/normalization.md', () => {
  it('lists exactly the precedence table the code uses, column by column, in order', () => {
    const doc = readFileSync(new URL('../../docs/normalization.md', import.meta.url), 'utf8')
    const documented: Record<string, string[]> = {}
    for (const line of doc.split('\n')) {
      const m = /^\| `([a-z_]+)` \| (.+) \|$/.exec(line)
      if (m && m[2]!.includes('`')) documented[m[1]!] = [...m[2]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!)
    }
    expect(documented).toEqual(Object.fromEntries(Object.entries(precedence).map(([k, v]) => [k, [...v]])))
  })
})
