#!/usr/bin/env node
// The compiled server in dist/ (`npm run build`), and whether it still matches the TypeScript sources.
// `node bin/server-build.mjs` compiles it when any source is newer than the last build; the launcher
// runs it only while that holds, so a stale build never runs and the sources stay the truth.
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const SOURCE_DIRS = ['lib', 'cli', 'collector', 'gateway', 'evaluator', 'optimizer']
const STAMP = '.sources-stamp'

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) yield* files(path)
    else yield path
  }
}

function* sources(root) {
  for (const dir of SOURCE_DIRS) if (existsSync(join(root, dir))) yield* files(join(root, dir))
  yield join(root, 'tsconfig.json')
  yield join(root, 'tsconfig.build.json')
}

/** The compiled entry point's URL when `root/dist` was built after every source last changed; else null. */
export function compiledEntry(root) {
  const entry = join(root, 'dist', 'cli', 'main.js')
  let built
  try {
    built = statSync(join(root, 'dist', STAMP)).mtimeMs
    statSync(entry)
  } catch {
    return null
  }
  for (const path of sources(root)) {
    if (existsSync(path) && statSync(path).mtimeMs > built) return null
  }
  return pathToFileURL(entry).href
}

/** Compiles `root`'s server into `root/dist` (TypeScript's own emit, no type check: `npm test` checks). */
export function build(root) {
  if (compiledEntry(root)) return 'fresh'
  let tsc
  try {
    tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
  } catch {
    return 'no-typescript' // an install without dev dependencies runs the sources through tsx
  }
  const startedAt = new Date()
  rmSync(join(root, 'dist'), { recursive: true, force: true }) // nothing left of a deleted source
  const run = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
  if (run.status !== 0) throw new Error(`compiling the server failed (tsc exited with ${run.status})`)
  for (const dir of SOURCE_DIRS) {
    if (!existsSync(join(root, dir))) continue
    for (const path of files(join(root, dir))) {
      if (path.endsWith('.ts')) continue
      const to = join(root, 'dist', path.slice(root.length + 1))
      mkdirSync(dirname(to), { recursive: true })
      copyFileSync(path, to) // assets read at run time, e.g. collector/otlp/trace.proto
    }
  }
  // Stamped with the time the build started, so a source saved during it makes the build stale.
  const stamp = join(root, 'dist', STAMP)
  writeFileSync(stamp, `${startedAt.toISOString()}\n`)
  utimesSync(stamp, startedAt, startedAt)
  return 'built'
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  build(join(dirname(fileURLToPath(import.meta.url)), '..'))
}
