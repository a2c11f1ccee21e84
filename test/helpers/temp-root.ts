import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * Vitest global setup: every temporary directory a test makes (chDB data, Redis, configs) goes
 * under one root for the run, removed at the end. Test forks inherit TMPDIR.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'loopgate-test-run-'))
  process.env.TMPDIR = root
  return () => rmSync(root, { recursive: true, force: true })
}
