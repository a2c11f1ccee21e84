import { badRequest } from '../errors.ts'

/** A Responses API client served by a chat-completions target (and, through it, by an Anthropic one). */

type Json = Record<string, unknown>
type Part = {
  type?: string
  text?: string
  refusal?: string
  image_url?: string | null
  detail?: string
  file_id?: string | null
}
type Item = Json & {
  type?: string
  role?: string
  content?: unknown
  call_id?: string
  name?: string
  arguments?: string
  output?: unknown
  id?: string
}
type ChatMessage = { role: string; content: unknown; tool_calls?: Json[]; tool_call_id?: string }

const MESSAGE_ROLES = new Set(['user', 'assistant', 'system', 'developer'])

/** Item types a chat-completions or Anthropic target cannot be given (hosted tools' calls and outputs, MCP, …). */
function unsupportedItem(type: string, where: string): Error {
  return badRequest(
    `input item type "${type}" is not supported when this route's target is translated from the Responses API (supported: message, function_call, function_call_output, reasoning, item_reference)`,
    where,
  )
}

function contentParts(content: unknown, where: string): Json[] | string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content))
    throw badRequest(`'${where}.content' must be a string or an array of content parts`, `${where}.content`)
  return (content as Part[]).map((p, i) => {
    switch (p?.type) {
      case 'input_text':
      case 'output_text':
      case 'text':
        return { type: 'text', text: String(p.text ?? '') }
      case 'refusal':
        return { type: 'text', text: String(p.refusal ?? '') }
      case 'input_image':
        if (!p.image_url)
          throw badRequest(
            `'${where}.content[${i}]': only input_image parts with an image_url (https or data URL) are supported by this route's target`,
            `${where}.content`,
          )
        return {
          type: 'image_url',
          image_url: { url: p.image_url, ...(p.detail && p.detail !== 'original' ? { detail: p.detail } : {}) },
        }
      default:
        throw badRequest(
          `'${where}.content[${i}]': content part type "${String(p?.type)}" is not supported by this route's target (supported: input_text, input_image with image_url, output_text, refusal)`,
          `${where}.content`,
        )
    }
  })
}

/** Assistant content as plain text (chat targets take a string best). */
function partsText(parts: Json[] | string): string {
  return typeof parts === 'string' ? parts : parts.map((p) => String(p.text ?? '')).join('')
}

function outputText(output: unknown): string {
  if (typeof output === 'string') return output
  if (Array.isArray(output))
    return (output as Part[]).map((p) => (p?.type === 'input_text' ? String(p.text ?? '') : JSON.stringify(p))).join('')
  return JSON.stringify(output ?? '')
}

/**
 * Responses input (string or items, already resolved) → chat messages. Assistant text and the calls
 * right after it (parallel calls) become one assistant message; their results follow as tool messages.
 */
export function chatMessages(instructions: unknown, input: unknown): ChatMessage[] {
  const messages: ChatMessage[] = []
  if (typeof instructions === 'string' && instructions) messages.push({ role: 'system', content: instructions })
  if (typeof input === 'string') {
    messages.push({ role: 'user', content: input })
    return messages
  }
  /** The assistant message that function calls join, while nothing else came between. */
  let assistant: ChatMessage | undefined
  for (const [i, item] of ((input ?? []) as Item[]).entries()) {
    const where = `input[${i}]`
    const type = item.type ?? (item.role ? 'message' : undefined)
    if (type === 'message') {
      if (!MESSAGE_ROLES.has(String(item.role)))
        throw badRequest(`'${where}.role' must be one of user, assistant, system, developer`, `${where}.role`)
      const parts = contentParts(item.content, where)
      if (item.role === 'assistant') {
        assistant = { role: 'assistant', content: partsText(parts) }
        messages.push(assistant)
        continue
      }
      assistant = undefined
      messages.push({
        role: item.role === 'developer' ? 'system' : String(item.role),
        content: item.role === 'user' ? parts : partsText(parts),
      })
    } else if (type === 'function_call') {
      const call = {
        id: item.call_id,
        type: 'function',
        function: { name: item.name, arguments: item.arguments ?? '' },
      }
      if (assistant) (assistant.tool_calls ??= []).push(call)
      else {
        assistant = { role: 'assistant', content: null, tool_calls: [call] }
        messages.push(assistant)
      }
    } else if (type === 'function_call_output') {
      messages.push({ role: 'tool', tool_call_id: item.call_id, content: outputText(item.output) })
      // A call after a result is the model's next turn: it opens a new assistant message.
      assistant = undefined
    } else if (type === 'reasoning') {
      continue // a translated target cannot use another model's reasoning items
    } else {
      throw unsupportedItem(String(type), where)
    }
  }
  return messages
}

type Tool = { type?: string; name?: string; description?: string | null; parameters?: unknown; strict?: boolean | null }

function chatTools(tools: Tool[]): Json[] {
  return tools.map((t, i) => {
    if (t.type !== 'function')
      throw badRequest(
        `tools[${i}]: built-in tool "${String(t.type)}" is not supported by this gateway for routes whose target is translated from the Responses API; only function tools are`,
        `tools[${i}].type`,
      )
    const fn: Json = { name: t.name, parameters: t.parameters ?? { type: 'object', properties: {} } }
    if (t.description) fn.description = t.description
    if (typeof t.strict === 'boolean') fn.strict = t.strict
    return { type: 'function', function: fn }
  })
}

function chatToolChoice(tc: unknown): unknown {
  if (tc === undefined || tc === null) return undefined
  if (tc === 'auto' || tc === 'none' || tc === 'required') return tc
  const c = tc as { type?: string; name?: string }
  if (c.type === 'function' && typeof c.name === 'string') return { type: 'function', function: { name: c.name } }
  throw badRequest(
    `tool_choice of type "${String(c.type)}" is not supported for routes whose target is translated from the Responses API (use auto, none, required or a function)`,
    'tool_choice',
  )
}

function responseFormat(text: unknown): Json | undefined {
  const format = (
    text as
      | { format?: { type?: string; name?: string; schema?: unknown; strict?: boolean | null; description?: string } }
      | undefined
  )?.format
  if (!format || format.type === 'text') return undefined
  if (format.type === 'json_object') return { type: 'json_object' }
  if (format.type === 'json_schema') {
    const schema: Json = { name: format.name ?? 'response', schema: format.schema ?? {} }
    if (typeof format.strict === 'boolean') schema.strict = format.strict
    if (format.description) schema.description = format.description
    return { type: 'json_schema', json_schema: schema }
  }
  throw badRequest(
    `text.format type "${String(format.type)}" is not supported (use text, json_object or json_schema)`,
    'text.format',
  )
}

/**
 * A Responses request (input already resolved by the gateway: no previous_response_id, no
 * item_reference) → a chat-completions request. Fields without a chat counterpart that change
 * nothing about the answer (store, include, metadata, truncation, service_tier…) stay behind.
 */
export function toChatRequest(body: Json): Json {
  const out: Json = { model: body.model, messages: chatMessages(body.instructions, body.input) }
  if (typeof body.max_output_tokens === 'number') out.max_tokens = body.max_output_tokens
  if (typeof body.temperature === 'number') out.temperature = body.temperature
  if (typeof body.top_p === 'number') out.top_p = body.top_p
  const user = typeof body.safety_identifier === 'string' ? body.safety_identifier : body.user
  if (typeof user === 'string') out.user = user
  if (Array.isArray(body.tools) && body.tools.length) {
    out.tools = chatTools(body.tools as Tool[])
    const choice = chatToolChoice(body.tool_choice)
    if (choice !== undefined) out.tool_choice = choice
    if (typeof body.parallel_tool_calls === 'boolean') out.parallel_tool_calls = body.parallel_tool_calls
  }
  const effort = (body.reasoning as { effort?: unknown } | null | undefined)?.effort
  if (typeof effort === 'string') out.reasoning_effort = effort // chat's name for it (reasoning models only; Anthropic targets drop it)
  const rf = responseFormat(body.text)
  if (rf) out.response_format = rf
  if (body.stream === true) out.stream = true
  return out
}
