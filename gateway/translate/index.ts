import { withModel } from './replace-model.ts'
import { badRequest } from '../errors.ts'
import { adapters } from '../providers/index.ts'
import type { Operation, Protocol, RelayOptions, StreamRelay } from '../providers/types.ts'
import type { Target } from '../routing/table.ts'
import { fromOpenAiResponse, toOpenAiRequest } from './anthropic-client.ts'
import { fromAnthropicResponse, toAnthropicRequest } from './openai-client.ts'
import { AnthropicToOpenAiRelay } from './stream-anthropic-to-openai.ts'
import { OpenAiToAnthropicRelay } from './stream-openai-to-anthropic.ts'
import { streamInputEstimate } from './token-estimate.ts'

/** The body for a target: translated when the target speaks the other protocol, then prepared by its adapter. */
export function upstreamBody(client: Protocol, op: Operation, body: Record<string, unknown>, target: Target, stream: boolean): Record<string, unknown> {
  const adapter = target.provider.adapter
  if (op === 'embeddings' && adapter.protocol !== 'openai') throw badRequest(`target "${target.id}" speaks the Anthropic protocol, which has no embeddings`)
  let b = body
  if (client !== adapter.protocol) b = client === 'openai' ? toAnthropicRequest(body) : toOpenAiRequest(body)
  return adapter.prepare(b, target.model, stream)
}

/**
 * The upstream body as text. A same-protocol whole answer only needs the target's model, so the
 * client's text is forwarded with that one value replaced.
 */
export function upstreamText(client: Protocol, op: Operation, body: Record<string, unknown>, raw: string, target: Target, stream: boolean): string {
  if (!stream && raw && client === target.provider.adapter.protocol) {
    const text = withModel(raw, target.model)
    if (text !== undefined) return text
  }
  return JSON.stringify(upstreamBody(client, op, body, target, stream))
}

/** `request`: the client's; an Anthropic client on an OpenAI target gets its input count estimated from it for `message_start`. */
export function streamRelay(client: Protocol, target: Protocol, options: RelayOptions, request?: { body: Record<string, unknown>; bytes: number }): StreamRelay {
  if (client === target) return adapters[target].relay(options)
  if (client === 'openai') return new AnthropicToOpenAiRelay(options)
  return new OpenAiToAnthropicRelay(options, request && streamInputEstimate(request.body, request.bytes))
}

/** A complete answer in the client's protocol (undefined: same protocol, send the upstream bytes). */
export function clientResponse(client: Protocol, target: Protocol, json: unknown): unknown {
  if (client === target) return undefined
  return client === 'openai' ? fromAnthropicResponse(json as never) : fromOpenAiResponse(json as never)
}
