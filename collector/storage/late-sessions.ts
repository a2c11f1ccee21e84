import type { LateSession } from '../normalize/index.ts'
import { creditLateSession } from '../queries/sessions.ts'
import type { Store } from './store.ts'

/**
 * Credits a session with the spans of its trace that were stored before the session was known
 * (children usually end, and are exported, before the root span that names the session).
 */
export async function creditLateSessions(store: Store, late: LateSession[]): Promise<void> {
  for (const s of late) await creditLateSession(store, s)
}
