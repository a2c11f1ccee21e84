import { StateFiles } from '../state-files.ts'
import { normalizeKeyState, type KeyAuditEntry, type KeyState } from './key-state.ts'

/** The runtime keys and their audit trail on disk (without Redis, and as each replica's last copy). */
export class KeyStateFiles extends StateFiles<KeyState, KeyAuditEntry> {
  constructor(dir: string) {
    super(dir, {
      stateFile: 'keys.json',
      auditFile: 'keys-audit.jsonl',
      parse: normalizeKeyState,
      fixHint: 'fix the file (deleting it forgets every key created through the admin API)',
      mode: 0o600,
    })
  }
}
