import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
// @ts-expect-error a plain ESM module of the launcher, without type declarations
import { build, compiledEntry } from '../../bin/server-build.mjs'

// Inside the repository, so the project's own TypeScript compiler resolves from the temp root.
const parent = join(import.meta.dirname, '../../test-artifacts')
mkdirSync(parent, { recursive: true })
const root = mkdtempSync(join(parent, 'server-build-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

const write = (path: string, text: string) => {
  mkdirSync(join(root, path, '..'), { recursive: true })
  writeFileSync(join(root, path), text)
}
write('package.json', '{ "type": "module" }')
write(
  'tsconfig.json',
  JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      allowImportingTsExtensions: true,
      noEmit: true,
      types: [],
    },
  }),
)
write(
  'tsconfig.build.json',
  JSON.stringify({
    extends: './tsconfig.json',
    compilerOptions: {
      noEmit: false,
      noCheck: true,
      rewriteRelativeImportExtensions: true,
      rootDir: '.',
      outDir: 'dist',
    },
    include: ['cli', 'collector'],
  }),
)
write('cli/main.ts', "import { greeting } from '../collector/greeting.ts'\nexport const message: string = greeting()\n")
write(
  'collector/greeting.ts',
  "import { readFileSync } from 'node:fs'\nexport const greeting = (): string => readFileSync(new URL('./greeting.txt', import.meta.url), 'utf8').trim()\n",
)
write('collector/greeting.txt', 'compiled hello\n')

describe('the compiled server (bin/server-build.mjs)', () => {
  it('is built from the sources, assets included, and runs', async () => {
    expect(compiledEntry(root)).toBeNull()
    expect(build(root)).toBe('built')
    const entry = compiledEntry(root)
    expect(entry).toBe(new URL('dist/cli/main.js', `file://${root}/`).href)
    expect(readFileSync(join(root, 'dist/collector/greeting.txt'), 'utf8')).toBe('compiled hello\n')
    expect((await import(entry)).message).toBe('compiled hello')
    expect(build(root)).toBe('fresh')
  }, 60_000)

  it('is never used once a source is newer than the build, until it is rebuilt', () => {
    const later = new Date(Date.now() + 5_000)
    utimesSync(join(root, 'collector/greeting.ts'), later, later)
    expect(compiledEntry(root)).toBeNull()
    writeFileSync(join(root, 'collector/greeting.txt'), 'rebuilt hello\n')
    writeFileSync(join(root, 'dist/collector/left-over.js'), 'a deleted source, compiled earlier')
    utimesSync(join(root, 'collector/greeting.txt'), later, later)
    expect(build(root)).toBe('built')
    // The stamp is the build's start: a source stamped later than that still counts as changed.
    expect(compiledEntry(root)).toBeNull()
    const earlier = new Date(Date.now() - 60_000)
    for (const f of ['collector/greeting.ts', 'collector/greeting.txt']) utimesSync(join(root, f), earlier, earlier)
    expect(compiledEntry(root)).not.toBeNull()
    expect(readFileSync(join(root, 'dist/collector/greeting.txt'), 'utf8')).toBe('rebuilt hello\n')
    expect(existsSync(join(root, 'dist/collector/left-over.js'))).toBe(false)
  }, 60_000)

  it('is stale when the build configuration changes', () => {
    const later = new Date(Date.now() + 10_000)
    utimesSync(join(root, 'tsconfig.build.json'), later, later)
    expect(compiledEntry(root)).toBeNull()
  })
})
