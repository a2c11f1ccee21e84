import { withModel } from './replace-model.ts'
import { badRequest } from '../errors.ts'
import { adapters } from '../providers/index.ts'
import { adapterFor } from '../providers/registry.ts'
import type { Operation, Protocol, RelayOptions, StreamRelay } from '../providers/types.ts'
import type { Target } from '../routing/table.ts'
import { fromOpenAiResponse, toOpenAiRequest } from './anthropic-client.ts'
import { ChainedRelay } from './chained-relay.ts'
import { fromAnthropicResponse, toAnthropicRequest } from './openai-client.ts'
import { toChatRequest } from './responses-request.ts'
import { fromChatCompletion } from './responses-response.ts'
import { AnthropicToOpenAiRelay } from './stream-anthropic-to-openai.ts'
import { ChatToResponsesRelay } from './stream-chat-to-responses.ts'
import { OpenAiToAnthropicRelay } from './stream-openai-to-anthropic.ts'
import { streamInputEstimate } from './token-estimate.ts'

type Json = Record<string, unknown>

/** A client body in the target's protocol. Responses clients reach Anthropic targets through chat completions. */
function translateRequest(client: Protocol, target: Protocol, body: Json): Json {
  if (client === 'responses') {
    const chat = toChatRequest(body)
    return target === 'anthropic' ? toAnthropicRequest(chat) : chat
  }
  return client === 'openai' ? toAnthropicRequest(body) : toOpenAiRequest(body)
}

/** The body for a target: translated when the target speaks another protocol, then prepared by its adapter. */
export function upstreamBody(client: Protocol, op: Operation, body: Json, target: Target, stream: boolean): Json {
  const adapter = adapterFor(target.provider, client)
  if (op === 'embeddings' && adapter.protocol !== 'openai')
    throw badRequest(`target "${target.id}" speaks the Anthropic protocol, which has no embeddings`)
  const b = client === adapter.protocol ? body : translateRequest(client, adapter.protocol, body)
  return adapter.prepare(b, target.model, stream)
}

/**
 * The upstream body as text. A same-protocol whole answer only needs the target's model, so the
 * client's text is forwarded with that one value replaced (`raw` is '' when the gateway changed the body).
 */
export function upstreamText(
  client: Protocol,
  op: Operation,
  body: Json,
  raw: string,
  target: Target,
  stream: boolean,
): string {
  if (raw && client === adapterFor(target.provider, client).protocol && (!stream || asksForUsage(client, body))) {
    const text = withModel(raw, target.model)
    if (text !== undefined) return text
  }
  return JSON.stringify(upstreamBody(client, op, body, target, stream))
}

/**
 * An OpenAI stream whose client already asked for usage: preparing it (`prepareOpenAi`) changes only
 * the model, so the client's text with the model replaced is the same request.
 */
function asksForUsage(client: Protocol, body: Json): boolean {
  const options = body.stream_options
  return (
    client === 'openai' && typeof options === 'object' && options !== null && (options as Json).include_usage === true
  )
}

/** `request`: the client's; translations to Anthropic estimate `message_start`'s input from it, to Responses echo its settings. */
export function streamRelay(
  client: Protocol,
  target: Protocol,
  options: RelayOptions,
  request: { body: Json; bytes: number },
): StreamRelay {
  if (client === target) return adapters[target].relay(options)
  if (client === 'responses') {
    if (target === 'openai') return new ChatToResponsesRelay(options, request.body)
    const toChat = new AnthropicToOpenAiRelay({ clientWantsUsage: true, capture: options.capture })
    return new ChainedRelay(toChat, new ChatToResponsesRelay({ clientWantsUsage: false, capture: false }, request.body))
  }
  if (client === 'openai') return new AnthropicToOpenAiRelay(options)
  return new OpenAiToAnthropicRelay(options, streamInputEstimate(request.body, request.bytes))
}

/** A complete answer in the client's protocol (undefined: same protocol, send the upstream bytes). */
export function clientResponse(client: Protocol, target: Protocol, json: unknown, request: Json): unknown {
  if (client === target) return undefined
  if (client === 'responses')
    return fromChatCompletion(target === 'anthropic' ? fromAnthropicResponse(json as never) : (json as never), request)
  return client === 'openai' ? fromAnthropicResponse(json as never) : fromOpenAiResponse(json as never)
}
