import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const run = promisify(execFile)
const bin = join(import.meta.dirname, '../../bin/loopgate.mjs')

async function loopgate(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], {
      env: { ...process.env, LOOPGATE_ADMIN_TOKEN: '' },
    })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('loopgate CLI', () => {
  it('prints help listing the commands', async () => {
    const { code, stdout } = await loopgate(['--help'])
    expect(code).toBe(0)
    expect(stdout).toContain('loopgate start')
    expect(stdout).toContain('collector')
  })

  it('refuses an unknown command with usage', async () => {
    const { code, stderr } = await loopgate(['frobnicate'])
    expect(code).toBe(2)
    expect(stderr).toContain('unknown command "frobnicate"')
  })

  it('stops at start on a bad config, naming the field', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'loopgate-cli-'))
    const config = join(dir, 'bad.yaml')
    writeFileSync(config, 'collector:\n  port: "four"\n')
    const { code, stderr } = await loopgate(['collector', '--config', config])
    expect(code).toBe(78)
    expect(stderr).toContain('collector.port')
  })
})
