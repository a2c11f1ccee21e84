import { tokenizerFor, type ChatMessage } from '../../lib/token-count.ts'
import { toOpenAiRequest } from './anthropic-client.ts'

type Json = Record<string, unknown>

/** One OpenAI message's content as text: text parts as they are, other parts (images, tool calls) as their JSON. */
function contentText(m: Json): string {
  const parts: string[] = []
  const c = m.content
  if (typeof c === 'string') parts.push(c)
  else if (Array.isArray(c))
    for (const p of c as Json[])
      parts.push(p.type === 'text' && typeof p.text === 'string' ? p.text : JSON.stringify(p))
  if (m.tool_calls) parts.push(JSON.stringify(m.tool_calls))
  return parts.join('\n')
}

/**
 * The input tokens of an Anthropic request as it is sent to an OpenAI-protocol target: translated,
 * then counted with the target model's tokenizer and chat framing (lib/token-count.ts; o200k and
 * gpt-4o's framing for models it does not know) plus the tool definitions' JSON. An estimate: the
 * target's own tool framing may differ by a few percent.
 */
export function estimateAnthropicInputTokens(body: Json, model = 'gpt-4o'): number {
  const openai = toOpenAiRequest(body)
  const chat: ChatMessage[] = (openai.messages as Json[]).map((m) => ({
    role: String(m.role),
    content: contentText(m),
  }))
  const tokenizer = tokenizerFor(model)
  const tools = openai.tools ? tokenizer.text(JSON.stringify(openai.tools)) : 0
  return tokenizer.chat(chat) + tools
}

/**
 * Above this request size a streamed translation does not tokenize (≈100 ms a MiB on the event loop,
 * paid before the first byte): `message_start` then says ceil(bytes / 4), the rule a cut stream is billed by.
 */
const STREAM_TOKENIZE_MAX_BYTES = 256 * 1024

/** The input count for a translated stream's `message_start`; undefined when it cannot be counted. */
export function streamInputEstimate(body: Json, rawBytes: number): number | undefined {
  if (rawBytes > STREAM_TOKENIZE_MAX_BYTES) return Math.ceil(rawBytes / 4)
  try {
    return estimateAnthropicInputTokens(body)
  } catch {
    return undefined
  }
}
