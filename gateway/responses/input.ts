import { badRequest } from '../errors.ts'
import type { ResponseStore, StoredResponse } from './store.ts'

type Json = Record<string, unknown>

/** What the gateway made of a Responses request's input before any target sees it. */
export interface ResolvedInput {
  /** The body to serve: `input` holds the previous responses' items and this request's, references replaced. */
  body: Json
  /** This request's own items, kept with its response. */
  own: Json[]
  previous: string | undefined
  /** The body differs from the client's text (the text cannot be forwarded as is). */
  changed: boolean
}

/** The longest chain of previous_response_id followed (a guard; each link is one stored response). */
const MAX_CHAIN = 10_000

function notKept(store: ResponseStore, what: string, id: string, param: string): Error {
  return badRequest(
    `${what} "${id}" is not known to this gateway: responses are kept in its memory for ${Math.round(store.ttlMs / 1000)} s per tenant ` +
      '(never when created with store: false, and not shared between gateway replicas); send the full input instead',
    param,
  )
}

/** Every item of the conversation that `id` ended, oldest first. */
function conversation(store: ResponseStore, tenant: string, id: string): Json[] {
  const chain: StoredResponse[] = []
  let child: string | undefined
  for (let at: string | undefined = id; at !== undefined && chain.length < MAX_CHAIN;) {
    const stored = store.get(tenant, at)
    if (!stored)
      throw notKept(
        store,
        child === undefined ? 'previous_response_id' : `response "${child}" continues response`,
        at,
        'previous_response_id',
      )
    chain.push(stored)
    child = at
    at = stored.previous
  }
  const items: Json[] = []
  for (const s of chain.reverse()) items.push(...s.input, ...((s.response.output as Json[] | undefined) ?? []))
  return items
}

/**
 * Resolves `previous_response_id` and `item_reference` items from the tenant's stored responses,
 * for every target alike (a fallback to another provider sees the same conversation). Unknown ids
 * answer 400.
 */
export function resolveInput(store: ResponseStore, tenant: string, body: Json): ResolvedInput {
  const input = body.input
  let own: Json[] =
    typeof input === 'string' ? [{ type: 'message', role: 'user', content: input }] : ((input ?? []) as Json[])
  let changed = false
  if (own.some((i) => i.type === 'item_reference')) {
    changed = true
    own = own.map((item, n) => {
      if (item.type !== 'item_reference') return item
      const found = store.item(tenant, String(item.id))
      if (!found) throw notKept(store, `input[${n}]: item_reference`, String(item.id), `input[${n}].id`)
      return found
    })
  }
  const previous = typeof body.previous_response_id === 'string' ? body.previous_response_id : undefined
  if (previous === undefined) return { body: changed ? { ...body, input: own } : body, own, previous, changed }
  return { body: { ...body, input: [...conversation(store, tenant, previous), ...own] }, own, previous, changed: true }
}
