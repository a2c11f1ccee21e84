import type { Logger } from 'pino'
import type { KeyStateFiles } from './key-state-files.ts'
import type { RedisKeyStateSync } from './key-state-redis.ts'
import { emptyKeyState, type KeyAuditEntry, type KeyState } from './key-state.ts'

/** What a change wants: the next state's content and what the audit trail says about it. */
export type Mutation =
  | {
      ok: true
      state: Omit<KeyState, 'version' | 'updatedAt'>
      audit: Omit<KeyAuditEntry, 'version' | 'previousVersion' | 'at'>
    }
  | { ok: false; status: 400 | 404 | 409; errors: string[] }

export type ChangeResult =
  { ok: true; state: KeyState } | { ok: false; status: 400 | 404 | 409 | 503; errors: string[] }

const REDIS_ADMIN_WAIT_MS = 2_000
const CONFLICT_RETRIES = 5

/**
 * Holds the runtime key state of this replica and changes it: on disk alone, or through Redis (one
 * version for every replica, compare-and-swap, announced by pub/sub) with the file as this replica's
 * last copy. `onApplied` is called with each state this replica starts serving.
 */
export class KeyStateStore {
  current: KeyState = emptyKeyState()
  private synced = false
  private closed = false
  /** Changes of this replica run one at a time: each computes from the state the previous one left. */
  private queue: Promise<unknown> = Promise.resolve()
  /** Saves to disk in flight (an announced state is saved outside the queue): close() waits for them. */
  private readonly saving = new Set<Promise<void>>()

  constructor(
    private readonly files: KeyStateFiles,
    private readonly redis: RedisKeyStateSync | undefined,
    private readonly logger: Logger,
    private readonly onApplied: (state: KeyState) => void,
  ) {}

  /** Redis's state when it has one; else the file's, which seeds Redis. Redis away: the file until it answers. */
  async init(): Promise<void> {
    const fromFile = await this.files.load()
    if (fromFile) await this.apply(fromFile, true)
    if (!this.redis) return void (this.synced = true)
    if (this.redis.available) return this.syncWithRedis()
    this.redis.onReady(
      () =>
        void this.syncWithRedis().catch((err) =>
          this.logger.warn(
            { err: (err as Error).message },
            'redis: runtime keys not synced yet; trying again when it reconnects',
          ),
        ),
    )
  }

  private async syncWithRedis(): Promise<void> {
    if (this.synced || this.closed) return
    const redis = this.redis!
    const stored = await redis.load()
    if (stored) await this.apply(stored, true)
    else if (this.current.version > 0) await redis.replace(this.current, 0, undefined) // seeds; a conflict means another replica did
    await redis.subscribe((v) => void this.onAnnounced(v))
    const again = await redis.load()
    if (again) await this.apply(again)
    this.synced = true
  }

  private async onAnnounced(version: number): Promise<void> {
    if (this.closed || version <= this.current.version) return
    try {
      const state = await this.redis!.load()
      if (state && !this.closed) await this.apply(state)
    } catch (err) {
      this.logger.error({ err }, 'cannot apply the announced runtime keys')
    }
  }

  /** Serves `state` from now on; the returned promise settles once it is on disk. */
  private apply(state: KeyState, force = false): Promise<void> {
    if (!force && state.version <= this.current.version) return Promise.resolve()
    this.current = state
    this.onApplied(state)
    const saved = this.files
      .save(state)
      .catch((err) => this.logger.error({ err }, 'cannot save the runtime keys to disk'))
    this.saving.add(saved)
    void saved.finally(() => this.saving.delete(saved))
    return saved
  }

  /** Applies `mutate` to the current state and stores the result as the next version, with its audit entry. */
  change(mutate: (state: KeyState) => Mutation): Promise<ChangeResult> {
    const run = this.queue.then(() => this.changeNow(mutate))
    this.queue = run.catch(() => undefined)
    return run
  }

  private async changeNow(mutate: (state: KeyState) => Mutation): Promise<ChangeResult> {
    for (let attempt = 0; ; attempt++) {
      const base = this.current
      const m = mutate(base)
      if (!m.ok) return m
      const at = new Date().toISOString()
      const next: KeyState = { ...m.state, version: base.version + 1, updatedAt: at }
      const audit: KeyAuditEntry = { version: next.version, previousVersion: base.version, at, ...m.audit }
      if (!this.redis) {
        await this.apply(next)
        await this.files.appendAudit(audit)
        return { ok: true, state: next }
      }
      if (!this.synced || !this.redis.available) return unavailable('Redis is unreachable')
      const r = await withinMs(this.redis.replace(next, base.version, audit), REDIS_ADMIN_WAIT_MS)
      if (r === undefined)
        return unavailable(
          `Redis did not answer within ${REDIS_ADMIN_WAIT_MS} ms (the change may still be stored when it answers: list the keys before retrying)`,
        )
      if ('ok' in r) {
        await this.apply(next)
        return { ok: true, state: next }
      }
      // Another replica changed the state first: compute the change again on top of its state.
      if (attempt >= CONFLICT_RETRIES)
        return { ok: false, status: 409, errors: ['the runtime keys changed on another replica meanwhile; retry'] }
      const stored = await this.redis.load()
      if (stored) await this.apply(stored)
      // Redis lost the state (flushed) but kept a version: this replica's copy seeds it again.
      else await this.redis.replace(this.current, r.conflict, undefined)
    }
  }

  async audit(limit: number): Promise<KeyAuditEntry[]> {
    if (!this.redis || !this.redis.available) return this.files.readAudit(limit)
    return (await withinMs(this.redis.readAudit(limit), REDIS_ADMIN_WAIT_MS)) ?? this.files.readAudit(limit)
  }

  async close(): Promise<void> {
    this.closed = true
    await this.queue
    await this.redis?.close()
    await Promise.all(this.saving)
  }
}

function unavailable(why: string): ChangeResult {
  return {
    ok: false,
    status: 503,
    errors: [`${why}: runtime keys are shared through Redis and cannot change until it answers; retry later`],
  }
}

async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  promise.catch(() => {})
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
