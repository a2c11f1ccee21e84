import type { ProviderSettings } from '../../config.ts'
import type { Operation } from '../types.ts'

export function responsesPath(provider: ProviderSettings, op: Operation): string {
  if (op === 'embeddings') throw new Error('embeddings are not served by the Responses API')
  return provider.paths.responses ?? '/responses'
}

/**
 * The client's body with the target's model. `previous_response_id` was resolved by the gateway
 * (its items are in `input`), so the target never sees it. A Responses stream always ends with its
 * usage: nothing needs asking for.
 */
export function prepareResponses(body: Record<string, unknown>, model: string): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body, model }
  delete out.previous_response_id
  return out
}
