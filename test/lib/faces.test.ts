// Rules 2 and 10 as a check on the source tree: lib/ is a leaf that imports no component, and a
// component reaches another only through its face (the collector's is collector/client.ts).
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '../..')
const COMPONENTS = ['gateway', 'collector', 'evaluator', 'optimizer', 'ui']
/** Other components' files a component may import. */
const FACES = new Set([
  'collector/client.ts',
  'collector/index.ts',
  'gateway/index.ts',
  'evaluator/index.ts',
  'optimizer/index.ts',
])
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g

function* sources(dir: string): Generator<string> {
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = join(dir, e.name)
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== 'dist') yield* sources(path)
    } else if (/\.tsx?$/.test(e.name)) yield path
  }
}

/** Repository-relative targets of a file's relative imports. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(IMPORT)) {
    const spec = m[1] ?? m[2] ?? ''
    if (spec.startsWith('.')) out.push(relative(ROOT, resolve(ROOT, dirname(file), spec)))
  }
  return out
}

const componentOf = (path: string): string => path.split('/')[0] ?? ''

describe('faces and the lib leaf', () => {
  it('lib/ imports nothing outside lib/', () => {
    const bad = [...sources('lib')].flatMap((f) =>
      importsOf(f)
        .filter((t) => componentOf(t) !== 'lib')
        .map((t) => `${f} → ${t}`),
    )
    expect(bad).toEqual([])
  })

  for (const component of COMPONENTS) {
    it(`${component} imports other components only through their faces`, () => {
      const dir = component === 'ui' ? 'ui/src' : component
      const bad = [...sources(dir)].flatMap((f) =>
        importsOf(f)
          .filter((t) => COMPONENTS.includes(componentOf(t)) && componentOf(t) !== component && !FACES.has(t))
          .map((t) => `${f} → ${t}`),
      )
      expect(bad).toEqual([])
    })
  }
})
