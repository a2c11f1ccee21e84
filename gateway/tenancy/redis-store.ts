import type { Redis } from 'ioredis'
import {
  budgetRefusal,
  dayOf,
  minuteOf,
  monthOf,
  refusal,
  type Ask,
  type Hold,
  type LimitName,
  type LimitSpec,
  type LimitStore,
  type Refusal,
} from './limits.ts'

/*
 * Money is summed as decimal strings: Lua numbers are doubles, exact only to 2^53 1e-12 USD ($9007).
 * Counters are INCRBY'd (exact int64); a hold can leave a counter below zero only if Redis lost data,
 * so negatives read as 0.
 */
const DECIMALS = `
local function nz(v)
  if not v or string.sub(v, 1, 1) == '-' then return '0' end
  return v
end
local function ge(a, b)
  if #a ~= #b then return #a > #b end
  return a >= b
end
local function add(a, b)
  local out, carry, i, j = {}, 0, #a, #b
  while i > 0 or j > 0 or carry > 0 do
    local s = carry + (i > 0 and string.byte(a, i) - 48 or 0) + (j > 0 and string.byte(b, j) - 48 or 0)
    out[#out + 1] = string.char(48 + s % 10)
    carry = math.floor(s / 10)
    i = i - 1
    j = j - 1
  end
  local r = string.reverse(table.concat(out)):gsub('^0+', '')
  if r == '' then return '0' end
  return r
end
local function fits(used, need, cap)
  if need == '0' then return not ge(used, cap) end
  return ge(cap, add(used, need))
end
`

/*
 * Check every limit and reserve the worst case in one atomic step, shared by every replica.
 * Per spec 6 keys: requests and tokens of the minute, settled spend of the day and month, holds of
 * the day and month; 4 limits ('' = none). ARGV[1] = units to hold, ARGV[2] = tokens to hold.
 * Answers {-1, settled day, settled month, ...per spec} or {spec index, limit index, used}.
 */
const ADMIT = `${DECIMALS}
local need, tokens = ARGV[1], ARGV[2]
local n = #KEYS / 6
for i = 0, n - 1 do
  local k, a = i * 6, 2 + i * 4
  if ARGV[a + 1] ~= '' and ge(nz(redis.call('GET', KEYS[k + 1])), ARGV[a + 1]) then return {i, 1, '0'} end
  if ARGV[a + 2] ~= '' and ge(nz(redis.call('GET', KEYS[k + 2])), ARGV[a + 2]) then return {i, 2, '0'} end
  if ARGV[a + 3] ~= '' then
    local used = add(nz(redis.call('GET', KEYS[k + 3])), nz(redis.call('GET', KEYS[k + 5])))
    if not fits(used, need, ARGV[a + 3]) then return {i, 3, used} end
  end
  if ARGV[a + 4] ~= '' then
    local used = add(nz(redis.call('GET', KEYS[k + 4])), nz(redis.call('GET', KEYS[k + 6])))
    if not fits(used, need, ARGV[a + 4]) then return {i, 4, used} end
  end
end
local out = {-1}
for i = 0, n - 1 do
  local k = i * 6
  redis.call('INCR', KEYS[k + 1])
  redis.call('PEXPIRE', KEYS[k + 1], 120000)
  if tokens ~= '0' then
    redis.call('INCRBY', KEYS[k + 2], tokens)
    redis.call('PEXPIRE', KEYS[k + 2], 120000)
  end
  if need ~= '0' then
    redis.call('INCRBY', KEYS[k + 5], need)
    redis.call('PEXPIRE', KEYS[k + 5], 172800000)
    redis.call('INCRBY', KEYS[k + 6], need)
    redis.call('PEXPIRE', KEYS[k + 6], 2764800000)
  end
  out[#out + 1] = nz(redis.call('GET', KEYS[k + 3]))
  out[#out + 1] = nz(redis.call('GET', KEYS[k + 4]))
end
return out
`

/* Per spec 5 keys: tokens of the minute, settled day and month, holds of the day and month. ARGV: token delta, cost, -hold. */
const SETTLE = `
for i = 0, #KEYS / 5 - 1 do
  local k = i * 5
  if ARGV[1] ~= '0' then
    redis.call('INCRBY', KEYS[k + 1], ARGV[1])
    redis.call('PEXPIRE', KEYS[k + 1], 120000)
  end
  if ARGV[2] ~= '0' then
    redis.call('INCRBY', KEYS[k + 2], ARGV[2])
    redis.call('PEXPIRE', KEYS[k + 2], 172800000)
    redis.call('INCRBY', KEYS[k + 3], ARGV[2])
    redis.call('PEXPIRE', KEYS[k + 3], 2764800000)
  end
  if ARGV[3] ~= '0' then
    redis.call('INCRBY', KEYS[k + 4], ARGV[3])
    redis.call('INCRBY', KEYS[k + 5], ARGV[3])
  end
end
return 0
`

/*
 * After an outage: add what was settled or released meanwhile (KEYS[i] += ARGV[i]), then raise
 * settled counters to at least what this replica knows (a Redis that restarted empty).
 * ARGV[#KEYS + i] = floor ('' = none); ttl per key in ARGV[2 * #KEYS + i].
 */
const HEAL = `${DECIMALS}
local n = #KEYS
for i = 1, n do
  if ARGV[i] ~= '0' then redis.call('INCRBY', KEYS[i], ARGV[i]) end
  local floor = ARGV[n + i]
  if floor ~= '' and not ge(nz(redis.call('GET', KEYS[i])), floor) then redis.call('SET', KEYS[i], floor) end
  local v = redis.call('GET', KEYS[i])
  if v and string.sub(v, 1, 1) == '-' then redis.call('SET', KEYS[i], '0') end
  if v then redis.call('PEXPIRE', KEYS[i], ARGV[2 * n + i]) end
end
return 0
`

const LIMITS: LimitName[] = ['rpm', 'tpm', 'usd_per_day', 'usd_per_month']
export const DAY_TTL_MS = 172_800_000
export const MONTH_TTL_MS = 2_764_800_000

type WithScripts = Redis & {
  loopgateAdmit(...args: (string | number)[]): Promise<(string | number)[]>
  loopgateSettle(...args: (string | number)[]): Promise<number>
  loopgateHeal(...args: (string | number)[]): Promise<number>
}

/** A granted hold with the settled spend Redis reported for each spec (day, month), in spec order. */
export type RedisGrant = { hold: Hold; settled: [bigint, bigint][] }

/** Counters in Redis, shared by every gateway replica. */
export class RedisLimitStore implements LimitStore {
  private readonly redis: WithScripts

  /** `owned`: the connection is this store's own and is closed with it. */
  constructor(
    redis: Redis,
    private readonly owned = false,
    private readonly prefix = 'loopgate:limits',
  ) {
    redis.defineCommand('loopgateAdmit', { lua: ADMIT })
    redis.defineCommand('loopgateSettle', { lua: SETTLE })
    redis.defineCommand('loopgateHeal', { lua: HEAL })
    this.redis = redis as WithScripts
  }

  keys(scope: string, minute: number, day: string, month: string) {
    const base = `${this.prefix}:{${scope}}`
    return {
      req: `${base}:req:${minute}`,
      tok: `${base}:tok:${minute}`,
      day: `${base}:usd:${day}`,
      month: `${base}:usd:${month}`,
      dayHeld: `${base}:held:${day}`,
      monthHeld: `${base}:held:${month}`,
    }
  }

  async admit(specs: LimitSpec[], ask: Ask, now: number): Promise<Refusal | Hold> {
    const r = await this.grant(specs, ask, now)
    return 'hold' in r ? r.hold : r
  }

  async grant(specs: LimitSpec[], ask: Ask, now: number): Promise<Refusal | RedisGrant> {
    const minute = minuteOf(now)
    const day = dayOf(now)
    const month = monthOf(now)
    const keys: string[] = []
    const args: string[] = [ask.units.toString(), String(ask.tokens)]
    for (const s of specs) {
      const k = this.keys(s.scope, minute, day, month)
      keys.push(k.req, k.tok, k.day, k.month, k.dayHeld, k.monthHeld)
      args.push(
        s.rpm?.toString() ?? '',
        s.tpm?.toString() ?? '',
        s.usdPerDay?.toString() ?? '',
        s.usdPerMonth?.toString() ?? '',
      )
    }
    const reply = await this.redis.loopgateAdmit(keys.length, ...keys, ...args)
    if (reply[0] !== -1) {
      const spec = specs[Number(reply[0])]!
      const limit = LIMITS[Number(reply[1]) - 1]!
      return limit === 'usd_per_day' || limit === 'usd_per_month'
        ? budgetRefusal(limit, spec, BigInt(reply[2]!), ask.units, now)
        : refusal(limit, spec, now)
    }
    const settled: [bigint, bigint][] = specs.map((_, i) => [BigInt(reply[1 + i * 2]!), BigInt(reply[2 + i * 2]!)])
    return { hold: { specs, units: ask.units, tokens: ask.tokens, minute, day, month, local: false }, settled }
  }

  async settle(hold: Hold, tokens: number, costUnits: bigint): Promise<void> {
    const keys = hold.specs.flatMap((s) => {
      const k = this.keys(s.scope, hold.minute, hold.day, hold.month)
      return [k.tok, k.day, k.month, k.dayHeld, k.monthHeld]
    })
    await this.redis.loopgateSettle(
      keys.length,
      ...keys,
      String(tokens - hold.tokens),
      costUnits.toString(),
      (-hold.units).toString(),
    )
  }

  /** Applies deltas and floors per key (see HEAL). */
  async heal(entries: { key: string; delta: bigint; floor: bigint | undefined; ttlMs: number }[]): Promise<void> {
    if (!entries.length) return
    await this.redis.loopgateHeal(
      entries.length,
      ...entries.map((e) => e.key),
      ...entries.map((e) => e.delta.toString()),
      ...entries.map((e) => e.floor?.toString() ?? ''),
      ...entries.map((e) => String(e.ttlMs)),
    )
  }

  async spent(scope: string, now: number): Promise<{ day: bigint; month: bigint }> {
    const k = this.keys(scope, minuteOf(now), dayOf(now), monthOf(now))
    const [day, month] = await this.redis.mget(k.day, k.month)
    const read = (v: string | null | undefined) => (v && !v.startsWith('-') ? BigInt(v) : 0n)
    return { day: read(day), month: read(month) }
  }

  async ping(): Promise<void> {
    await this.redis.ping()
  }

  async close(): Promise<void> {
    if (this.owned) this.redis.disconnect()
  }
}
