import { MAX_OUTPUT_TOKENS } from '../../lib/limits.ts'
import { badRequest } from '../errors.ts'

type Json = Record<string, unknown>

/** The most input items one request may carry (after that, a conversation belongs in previous_response_id). */
export const MAX_INPUT_ITEMS = 10_000

/** Item types every target can take (translated targets included). */
const PORTABLE_ITEMS = new Set(['message', 'function_call', 'function_call_output', 'reasoning', 'item_reference'])

/** OpenAI's hosted-tool items: only a target that speaks the Responses API itself can take them. */
const PASSTHROUGH_ITEMS = new Set([
  'web_search_call',
  'file_search_call',
  'computer_call',
  'computer_call_output',
  'code_interpreter_call',
  'image_generation_call',
  'local_shell_call',
  'local_shell_call_output',
  'shell_call',
  'shell_call_output',
  'apply_patch_call',
  'apply_patch_call_output',
  'mcp_list_tools',
  'mcp_approval_request',
  'mcp_approval_response',
  'mcp_call',
  'custom_tool_call',
  'custom_tool_call_output',
  'tool_search_call',
  'tool_search_output',
  'compaction',
])

/** Request fields this gateway does not serve, and why. */
const REFUSED: Record<string, string> = {
  background: 'background responses are not supported by this gateway; send the request and wait for it (or stream it)',
  conversation: 'conversations are not supported by this gateway; use previous_response_id or send the full input',
  prompt: 'stored prompt templates are not supported by this gateway; send instructions and input',
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const isString = (v: unknown) => typeof v === 'string'

function need(ok: boolean, message: string, param: string): void {
  if (!ok) throw badRequest(message, param)
}

function checkItem(item: unknown, i: number): void {
  const at = `input[${i}]`
  need(isObject(item), `'${at}' must be an object (an input item)`, at)
  const it = item as Json
  const type = it.type ?? (it.role !== undefined ? 'message' : undefined)
  need(isString(type), `'${at}.type' is required (message, function_call, function_call_output, …)`, `${at}.type`)
  if (!PORTABLE_ITEMS.has(type as string) && !PASSTHROUGH_ITEMS.has(type as string)) {
    throw badRequest(
      `'${at}.type' "${String(type)}" is not a known input item type (message, function_call, function_call_output, reasoning, item_reference, or one of OpenAI's hosted tool items)`,
      `${at}.type`,
    )
  }
  switch (type) {
    case 'message':
      need(
        ['user', 'assistant', 'system', 'developer'].includes(it.role as string),
        `'${at}.role' must be user, assistant, system or developer`,
        `${at}.role`,
      )
      need(
        isString(it.content) || Array.isArray(it.content),
        `'${at}.content' must be a string or an array of content parts`,
        `${at}.content`,
      )
      if (Array.isArray(it.content))
        for (const [j, p] of it.content.entries())
          need(
            isObject(p) && isString(p.type),
            `'${at}.content[${j}]' must be a content part with a string 'type'`,
            `${at}.content`,
          )
      break
    case 'function_call':
      need(
        isString(it.call_id) && isString(it.name) && isString(it.arguments),
        `'${at}' (function_call) needs string call_id, name and arguments`,
        at,
      )
      break
    case 'function_call_output':
      need(isString(it.call_id), `'${at}.call_id' (function_call_output) must be a string`, `${at}.call_id`)
      need(
        isString(it.output) || Array.isArray(it.output),
        `'${at}.output' must be a string or an array of content parts`,
        `${at}.output`,
      )
      break
    case 'item_reference':
      need(isString(it.id), `'${at}.id' (item_reference) must be a string`, `${at}.id`)
      break
  }
}

function checkTools(tools: unknown): void {
  if (tools === undefined || tools === null) return
  need(Array.isArray(tools), "'tools' must be an array", 'tools')
  for (const [i, t] of (tools as unknown[]).entries()) {
    need(isObject(t) && isString(t.type), `'tools[${i}]' must be an object with a string 'type'`, `tools[${i}]`)
    if ((t as Json).type === 'function')
      need(
        isString((t as Json).name) && (t as Json).name !== '',
        `'tools[${i}].name' is required for a function tool`,
        `tools[${i}].name`,
      )
  }
}

function checkMetadata(meta: unknown): void {
  if (meta === undefined || meta === null) return
  need(isObject(meta), "'metadata' must be an object of string values", 'metadata')
  const entries = Object.entries(meta as Json)
  need(entries.length <= 16, `'metadata' has ${entries.length} keys; the limit is 16`, 'metadata')
  for (const [k, v] of entries)
    need(
      k.length <= 64 && isString(v) && (v as string).length <= 512,
      `'metadata.${k}' must be a string of at most 512 characters (keys at most 64)`,
      'metadata',
    )
}

/** Cheap structural checks of a POST /v1/responses body (model and stream already checked). */
export function validateResponsesBody(b: Json): Json {
  for (const [field, why] of Object.entries(REFUSED))
    if (b[field] !== undefined && b[field] !== null && b[field] !== false) throw badRequest(why, field)
  const input = b.input
  const previous = b.previous_response_id
  need(
    previous === undefined || previous === null || isString(previous),
    "'previous_response_id' must be a string",
    'previous_response_id',
  )
  need(isString(input) || Array.isArray(input), "'input' is required: a string or an array of input items", 'input')
  if (Array.isArray(input)) {
    need(
      input.length > 0 || isString(previous),
      "'input' is empty: send at least one item (or continue a response with previous_response_id)",
      'input',
    )
    need(input.length <= MAX_INPUT_ITEMS, `'input' has ${input.length} items; the limit is ${MAX_INPUT_ITEMS}`, 'input')
    input.forEach(checkItem)
  }
  need(
    b.instructions === undefined || b.instructions === null || isString(b.instructions),
    "'instructions' must be a string",
    'instructions',
  )
  checkTools(b.tools)
  checkMetadata(b.metadata)
  for (const f of ['temperature', 'top_p'])
    need(b[f] === undefined || b[f] === null || typeof b[f] === 'number', `'${f}' must be a number`, f)
  for (const f of ['store', 'parallel_tool_calls'])
    need(b[f] === undefined || b[f] === null || typeof b[f] === 'boolean', `'${f}' must be a boolean`, f)
  const max = b.max_output_tokens
  if (max !== undefined && max !== null) {
    need(
      Number.isInteger(max) && (max as number) >= 1,
      "'max_output_tokens' must be a positive integer",
      'max_output_tokens',
    )
    need(
      (max as number) <= MAX_OUTPUT_TOKENS,
      `'max_output_tokens' is ${max as number}; the limit is ${MAX_OUTPUT_TOKENS}`,
      'max_output_tokens',
    )
  }
  const text = b.text
  if (text !== undefined && text !== null) {
    need(isObject(text), "'text' must be an object", 'text')
    const format = (text as Json).format
    if (format !== undefined && format !== null) {
      need(
        isObject(format) && ['text', 'json_object', 'json_schema'].includes((format as Json).type as string),
        "'text.format.type' must be text, json_object or json_schema",
        'text.format',
      )
      if ((format as Json).type === 'json_schema')
        need(
          isObject((format as Json).schema),
          "'text.format.schema' must be a JSON schema object",
          'text.format.schema',
        )
    }
  }
  return b
}
