import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { normalizeKeyState, type KeyAuditEntry, type KeyState } from './key-state.ts'

/** The runtime keys and their audit trail on disk (without Redis, and as each replica's last copy). */
export class KeyStateFiles {
  private readonly statePath: string
  private readonly auditPath: string

  constructor(private readonly dir: string) {
    this.statePath = join(dir, 'keys.json')
    this.auditPath = join(dir, 'keys-audit.jsonl')
  }

  async load(): Promise<KeyState | undefined> {
    try {
      return normalizeKeyState(JSON.parse(await readFile(this.statePath, 'utf8')))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new Error(
        `cannot read ${this.statePath}: ${(err as Error).message}; fix the file (deleting it forgets every key created through the admin API)`,
        { cause: err },
      )
    }
  }

  /** Temporary file and rename: a crash never leaves half a state. */
  async save(state: KeyState): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const tmp = `${this.statePath}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(state), { mode: 0o600 })
    await rename(tmp, this.statePath)
  }

  async appendAudit(entry: KeyAuditEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    await appendFile(this.auditPath, `${JSON.stringify(entry)}\n`)
  }

  /** Newest first. */
  async readAudit(limit: number): Promise<KeyAuditEntry[]> {
    let text: string
    try {
      text = await readFile(this.auditPath, 'utf8')
    } catch {
      return []
    }
    return text
      .split('\n')
      .filter(Boolean)
      .slice(-limit)
      .reverse()
      .map((l) => JSON.parse(l) as KeyAuditEntry)
  }
}
