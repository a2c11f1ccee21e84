import type { Redis } from 'ioredis'
import { dayOf, minuteOf, monthOf, refusal, type LimitName, type LimitSpec, type LimitStore, type Refusal } from './limits.ts'

/*
 * Check-and-count in one atomic step, shared by every replica. Per spec: 4 keys (requests, tokens,
 * day spend, month spend) and 4 limits ('' = none). Integers are compared as decimal strings, so
 * 1e-12 USD counters stay exact beyond Lua's 2^53 doubles.
 */
const ADMIT = `
local function ge(a, b)
  if #a ~= #b then return #a > #b end
  return a >= b
end
local n = #KEYS / 4
for i = 0, n - 1 do
  for j = 1, 4 do
    local limit = ARGV[i * 4 + j]
    if limit ~= '' then
      local v = redis.call('GET', KEYS[i * 4 + j]) or '0'
      if ge(v, limit) then return {i, j} end
    end
  end
end
for i = 0, n - 1 do
  redis.call('INCR', KEYS[i * 4 + 1])
  redis.call('PEXPIRE', KEYS[i * 4 + 1], 120000)
end
return 0
`

const SETTLE = `
for i = 0, #KEYS / 3 - 1 do
  redis.call('INCRBY', KEYS[i * 3 + 1], ARGV[1])
  redis.call('PEXPIRE', KEYS[i * 3 + 1], 120000)
  redis.call('INCRBY', KEYS[i * 3 + 2], ARGV[2])
  redis.call('PEXPIRE', KEYS[i * 3 + 2], 172800000)
  redis.call('INCRBY', KEYS[i * 3 + 3], ARGV[2])
  redis.call('PEXPIRE', KEYS[i * 3 + 3], 2764800000)
end
return 0
`

const LIMITS: LimitName[] = ['rpm', 'tpm', 'usd_per_day', 'usd_per_month']

type WithScripts = Redis & {
  loopgateAdmit(...args: (string | number)[]): Promise<0 | [number, number]>
  loopgateSettle(...args: (string | number)[]): Promise<number>
}

/** Counters in Redis, shared by every gateway replica. */
export class RedisLimitStore implements LimitStore {
  private readonly redis: WithScripts

  constructor(redis: Redis, private readonly prefix = 'loopgate:limits') {
    redis.defineCommand('loopgateAdmit', { lua: ADMIT })
    redis.defineCommand('loopgateSettle', { lua: SETTLE })
    this.redis = redis as WithScripts
  }

  private keys(scope: string, now: number) {
    const base = `${this.prefix}:{${scope}}`
    const minute = minuteOf(now)
    return { req: `${base}:req:${minute}`, tok: `${base}:tok:${minute}`, day: `${base}:usd:${dayOf(now)}`, month: `${base}:usd:${monthOf(now)}` }
  }

  async admit(specs: LimitSpec[], now: number): Promise<Refusal | undefined> {
    const keys: string[] = []
    const args: string[] = []
    for (const s of specs) {
      const k = this.keys(s.scope, now)
      keys.push(k.req, k.tok, k.day, k.month)
      args.push(s.rpm?.toString() ?? '', s.tpm?.toString() ?? '', s.usdPerDay?.toString() ?? '', s.usdPerMonth?.toString() ?? '')
    }
    const hit = await this.redis.loopgateAdmit(keys.length, ...keys, ...args)
    if (hit === 0) return undefined
    return refusal(LIMITS[hit[1] - 1]!, specs[hit[0]]!, now)
  }

  async settle(specs: LimitSpec[], tokens: number, costUnits: bigint, now: number): Promise<void> {
    const keys = specs.flatMap((s) => {
      const k = this.keys(s.scope, now)
      return [k.tok, k.day, k.month]
    })
    await this.redis.loopgateSettle(keys.length, ...keys, String(tokens), costUnits.toString())
  }

  async spent(scope: string, now: number): Promise<{ day: bigint; month: bigint }> {
    const k = this.keys(scope, now)
    const [day, month] = await this.redis.mget(k.day, k.month)
    return { day: BigInt(day ?? '0'), month: BigInt(month ?? '0') }
  }

  async close(): Promise<void> {}
}
