import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { StateFiles } from '../../gateway/state-files.ts'

const dir = mkdtempSync(join(tmpdir(), 'loopgate-state-files-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('StateFiles', () => {
  it('saves made at once all succeed, and the last one called is the one on disk', async () => {
    const files = new StateFiles<{ version: number }, never>(dir, {
      stateFile: 'state.json',
      auditFile: 'audit.jsonl',
      parse: (json) => json as { version: number },
      fixHint: 'remove it',
    })
    // As an admin push and a Redis fan-out of the same table can: without waiting for each other.
    const saves = Array.from({ length: 50 }, (_, i) => files.save({ version: i + 1 }))
    await expect(Promise.all(saves)).resolves.toHaveLength(50)
    expect(await files.load()).toEqual({ version: 50 })
  })
})
