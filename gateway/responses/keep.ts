import type { GatewayContext } from '../context.ts'
import type { ResolvedInput } from './input.ts'

/** A served Responses answer, kept for later `previous_response_id` / `item_reference` / GET — unless the client said `store: false` or it failed. */
export function keepResponse(
  ctx: Pick<GatewayContext, 'responses'>,
  tenant: string,
  resolved: ResolvedInput,
  response: Record<string, unknown>,
): void {
  if (resolved.body.store === false || response.status === 'failed') return
  ctx.responses.put(tenant, { response, input: resolved.own, previous: resolved.previous })
}
