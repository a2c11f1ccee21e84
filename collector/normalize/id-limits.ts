// The shared id rule (lib/limits.ts) on ingest: a span whose session, user, tenant, route or target
// would break it is refused (OTLP partial success, with the reason), never stored, so everything
// stored can be queried, scored and shown with the same ids.
import { idProblem } from '../../lib/limits.ts'
import type { SpanRow } from '../storage/span-row.ts'

const ID_COLUMNS = ['session_id', 'user_id', 'tenant_id', 'route', 'target'] as const

/** Why the row's ids cannot be stored, or undefined. */
export function rowIdProblem(row: Pick<SpanRow, (typeof ID_COLUMNS)[number]>): string | undefined {
  for (const column of ID_COLUMNS) {
    const value = row[column]
    const problem = value ? idProblem(column, value) : undefined
    if (problem) return problem
  }
  return undefined
}
