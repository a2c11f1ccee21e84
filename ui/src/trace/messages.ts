// Parses the captured input/output text into messages. Sources differ: GenAI semconv
// ({role, parts:[{type, content|name|arguments|response}]}), OpenAI-style ({role, content, tool_calls})
// and OpenInference/OpenLLMetry indexed attributes (assembled by the collector into [{role, content}]).

export interface MessagePart {
  kind: 'text' | 'tool_call' | 'tool_result' | 'other'
  text: string
  name?: string
}

export interface Message {
  role: string
  parts: MessagePart[]
}

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v, null, 2)

function partFrom(p: Record<string, unknown>): MessagePart {
  const type = String(p.type ?? 'text')
  if (type === 'text') return { kind: 'text', text: str(p.content ?? p.text) }
  if (type === 'tool_call' || type === 'tool_use' || type === 'function_call')
    return { kind: 'tool_call', name: str(p.name), text: str(p.arguments ?? p.input) }
  if (type === 'tool_call_response' || type === 'tool_result')
    return { kind: 'tool_result', text: str(p.response ?? p.content), name: str(p.id) }
  return { kind: 'other', text: str(p) }
}

function messageFrom(m: Record<string, unknown>): Message {
  const parts: MessagePart[] = []
  if (Array.isArray(m.parts)) parts.push(...m.parts.map((p) => partFrom(p as Record<string, unknown>)))
  else if (Array.isArray(m.content)) parts.push(...m.content.map((p) => partFrom(p as Record<string, unknown>)))
  else if (m.content !== undefined && m.content !== '') parts.push({ kind: 'text', text: str(m.content) })
  for (const call of (Array.isArray(m.tool_calls) ? m.tool_calls : []) as Record<string, unknown>[]) {
    const fn = (call.function ?? call) as Record<string, unknown>
    parts.push({ kind: 'tool_call', name: str(fn.name), text: str(fn.arguments) })
  }
  return { role: str(m.role) || 'message', parts }
}

/** Messages when the text is a JSON message list (or one message); null when it is plain text. */
export function parseMessages(text: string): Message[] | null {
  const trimmed = text.trim()
  if (!trimmed.startsWith('[') && !trimmed.startsWith('{')) return null
  try {
    const parsed: unknown = JSON.parse(trimmed)
    const list = Array.isArray(parsed) ? parsed : [parsed]
    if (!list.every((m) => m && typeof m === 'object' && ('role' in m || 'parts' in m || 'content' in m))) return null
    return list.map((m) => messageFrom(m as Record<string, unknown>))
  } catch {
    return null
  }
}
