#!/usr/bin/env node
// Runs the compiled server (dist/, `npm run build`) while it matches the sources; otherwise the
// TypeScript sources through tsx. Compiled, a process starts faster and holds no loader thread
// (about 30 MB less RSS); a stale build is never run, so there is no build step to forget.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { compiledEntry } from './server-build.mjs'

const compiled = compiledEntry(join(dirname(fileURLToPath(import.meta.url)), '..'))
if (compiled) {
  await import(compiled)
} else {
  const { register } = await import('tsx/esm/api')
  register()
  await import('../cli/main.ts')
}
