import { expect } from 'vitest'
import { usdToUnits } from '../../lib/money.ts'
import { ADMIN, KEY, jsonHeaders } from '../gateway/harness.ts'

/** USD per million tokens: 0.0001 per input token, 0.001 per output token. */
export const PRICE = { input: '100', output: '1000' }
export const BUDGET = '0.1'
export const admin = { authorization: `Bearer ${ADMIN}` }

/** One tenant with a daily budget on a one-target route priced at PRICE. */
export const budgetGateway =
  (extra: Record<string, unknown> = {}) =>
  () => ({
    routes: [{ name: 'chat', targets: [{ provider: 'sim', model: 'm', price: PRICE }] }],
    tenants: [{ id: 'acme', budgets: { usdPerDay: BUDGET }, keys: [{ key: KEY }] }],
    ...extra,
  })

export interface Answer {
  status: number
  ms: number
  /** Settled cost of a served request (1e-12 USD), from x-loopgate-cost-usd (header or stream trailer). */
  cost: bigint
  /** What the gateway held before the call, from x-loopgate-reserved-usd (0 when the header is absent). */
  reserved: bigint
  code?: string
  message?: string
}

/** One chat request, streamed or not; the cost of a stream is read from its trailer. */
export async function ask(url: string, stream: boolean, maxTokens: number | undefined = 16): Promise<Answer> {
  const t0 = performance.now()
  const body = {
    model: 'chat',
    messages: [{ role: 'user', content: 'hello there' }],
    ...(maxTokens ? { max_tokens: maxTokens } : {}),
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  }
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: jsonHeaders(KEY),
    body: JSON.stringify(body),
  })
  const text = await res.text()
  const ms = performance.now() - t0
  const reserved = usdToUnits(res.headers.get('x-loopgate-reserved-usd') ?? '0')
  if (res.status !== 200) {
    const err = JSON.parse(text).error as { code?: string; message: string }
    return { status: res.status, ms, cost: 0n, reserved, code: err.code, message: err.message }
  }
  // fetch exposes no trailers: a stream's settled cost is the one the gateway reports per request in its usage.
  let cost = res.headers.get('x-loopgate-cost-usd')
  if (!cost) {
    const usage = text
      .split('\n')
      .filter((l) => l.startsWith('data: {'))
      .map((l) => JSON.parse(l.slice(6)) as { usage?: { prompt_tokens: number; completion_tokens: number } })
      .find((c) => c.usage)?.usage
    expect(usage).toBeDefined()
    cost = ((usage!.prompt_tokens * 100 + usage!.completion_tokens * 1000) / 1e6).toFixed(12)
  }
  return { status: 200, ms, cost: usdToUnits(cost), reserved }
}

export async function spentToday(url: string): Promise<bigint> {
  const r = (await (await fetch(`${url}/admin/tenants/acme/spend`, { headers: admin })).json()) as { today: string }
  return usdToUnits(r.today)
}

export const sum = (xs: bigint[]) => xs.reduce((a, b) => a + b, 0n)
export const max = (xs: bigint[]) => xs.reduce((a, b) => (b > a ? b : a), 0n)
