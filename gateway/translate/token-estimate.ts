import { countTokens, encodeChat } from 'gpt-tokenizer'
import { toOpenAiRequest } from './anthropic-client.ts'

type Json = Record<string, unknown>

/** One OpenAI message's content as text: text parts as they are, other parts (images, tool calls) as their JSON. */
function contentText(m: Json): string {
  const parts: string[] = []
  const c = m.content
  if (typeof c === 'string') parts.push(c)
  else if (Array.isArray(c)) for (const p of c as Json[]) parts.push(p.type === 'text' && typeof p.text === 'string' ? p.text : JSON.stringify(p))
  if (m.tool_calls) parts.push(JSON.stringify(m.tool_calls))
  return parts.join('\n')
}

/**
 * The input tokens of an Anthropic request as it is sent to an OpenAI-protocol target: translated,
 * then counted with gpt-tokenizer's chat encoding (o200k, gpt-4o's framing) plus the tool definitions' JSON. An
 * estimate: the target's own tokenizer and tool framing may differ by a few percent.
 */
export function estimateAnthropicInputTokens(body: Json): number {
  const openai = toOpenAiRequest(body)
  const chat: Parameters<typeof encodeChat>[0] = (openai.messages as Json[]).map((m) => ({ role: String(m.role), content: contentText(m) }))
  const tools = openai.tools ? countTokens(JSON.stringify(openai.tools)) : 0
  return encodeChat(chat, 'gpt-4o').length + tools
}
