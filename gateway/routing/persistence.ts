import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { RouteSettings } from '../config.ts'

export interface StoredTable {
  version: number
  updatedAt: string
  routes: RouteSettings[]
  /** Configured routes an admin took out (`dropRoutes`): they stay out until a table lists them again. */
  droppedRoutes?: string[]
}

export interface AuditEntry {
  version: number
  previousVersion: number
  at: string
  author: string
  reason: string
  routes: RouteSettings[]
}

/** The last table and the audit trail on disk, so a restart keeps the last version. */
export class TableFiles {
  private readonly tablePath: string
  private readonly auditPath: string

  constructor(private readonly dir: string) {
    this.tablePath = join(dir, 'routing.json')
    this.auditPath = join(dir, 'routing-audit.jsonl')
  }

  async load(): Promise<StoredTable | undefined> {
    try {
      return JSON.parse(await readFile(this.tablePath, 'utf8')) as StoredTable
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new Error(`cannot read ${this.tablePath}: ${(err as Error).message}; fix or delete the file`, {
        cause: err,
      })
    }
  }

  /** Written to a temporary file and renamed: a crash never leaves half a table. */
  async save(table: StoredTable): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const tmp = `${this.tablePath}.${process.pid}.tmp`
    await writeFile(tmp, JSON.stringify(table))
    await rename(tmp, this.tablePath)
  }

  async appendAudit(entry: AuditEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    await appendFile(this.auditPath, `${JSON.stringify(entry)}\n`)
  }

  async readAudit(limit: number): Promise<AuditEntry[]> {
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
      .map((l) => JSON.parse(l) as AuditEntry)
  }
}
