import type { RouteSettings } from '../config.ts'
import { StateFiles } from '../state-files.ts'

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
export class TableFiles extends StateFiles<StoredTable, AuditEntry> {
  constructor(dir: string) {
    super(dir, {
      stateFile: 'routing.json',
      auditFile: 'routing-audit.jsonl',
      parse: (json) => json as StoredTable,
      fixHint: 'fix or delete the file',
    })
  }
}
