// AnyValue → the string stored in an attribute map: scalars as their text, arrays and kvlists
// as JSON text, bytes as base64. Nothing is dropped; nesting beyond the cap becomes a marker.
// Accepts any shape (JSON producers send what they send), including snake_case field names.
import { MAX_ANY_VALUE_DEPTH, TRUNCATED_VALUE, type AnyValue } from '../otlp/model.ts'

export function anyValueToString(v: unknown): string {
  if (v === null || v === undefined) return ''
  if (typeof v !== 'object') return String(v)
  const a = v as AnyValue & Record<string, unknown>
  const s = a.stringValue
  if (typeof s === 'string') return s
  if (s !== undefined) return String(s)
  if (a.intValue !== undefined) return String(a.intValue)
  if (a.boolValue !== undefined) return String(a.boolValue)
  if (a.doubleValue !== undefined) return doubleText(a.doubleValue)
  if (a.arrayValue !== undefined || a.kvlistValue !== undefined) return jsonText(a, 1)
  if (a.bytesValue !== undefined) return bytesText(a.bytesValue)
  const snake = fromSnake(a)
  return snake ? anyValueToString(snake) : ''
}

/** The AnyValue as JSON text (strings quoted); what arrays and kvlists are stored as. */
export function jsonText(v: unknown, depth: number): string {
  if (depth > MAX_ANY_VALUE_DEPTH) return JSON.stringify(TRUNCATED_VALUE)
  if (v === null || v === undefined || typeof v !== 'object')
    return v === undefined ? 'null' : (JSON.stringify(v) ?? 'null')
  const a = v as AnyValue & Record<string, unknown>
  if (a.stringValue !== undefined) return JSON.stringify(String(a.stringValue))
  if (a.intValue !== undefined) return intJson(a.intValue)
  if (a.boolValue !== undefined) return a.boolValue === true || a.boolValue === 'true' ? 'true' : 'false'
  if (a.doubleValue !== undefined) {
    const n = Number(a.doubleValue)
    return Number.isFinite(n) ? String(n) : JSON.stringify(doubleText(a.doubleValue))
  }
  if (a.arrayValue !== undefined) {
    const values = a.arrayValue?.values
    if (!Array.isArray(values)) return '[]'
    const parts: string[] = new Array(values.length)
    for (let i = 0; i < values.length; i++) parts[i] = jsonText(values[i], depth + 1)
    return `[${parts.join(',')}]`
  }
  if (a.kvlistValue !== undefined) {
    const values = a.kvlistValue?.values
    if (!Array.isArray(values)) return '{}'
    const parts: string[] = []
    for (const kv of values) {
      if (kv === null || typeof kv !== 'object') continue
      const { key, value } = kv as { key?: unknown; value?: unknown }
      parts.push(`${JSON.stringify(String(key ?? ''))}:${jsonText(value, depth + 1)}`)
    }
    return `{${parts.join(',')}}`
  }
  if (a.bytesValue !== undefined) return JSON.stringify(bytesText(a.bytesValue))
  const snake = fromSnake(a)
  return snake ? jsonText(snake, depth) : 'null'
}

function intJson(v: unknown): string {
  const s = String(v)
  return /^-?\d+$/.test(s) ? s : JSON.stringify(s)
}

function doubleText(v: unknown): string {
  if (typeof v === 'number') return String(v)
  return String(v) // proto3 JSON: "NaN", "Infinity", "-Infinity" or a numeric string
}

function bytesText(v: unknown): string {
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64')
  return String(v)
}

const SNAKE: Record<string, keyof AnyValue> = {
  string_value: 'stringValue',
  bool_value: 'boolValue',
  int_value: 'intValue',
  double_value: 'doubleValue',
  array_value: 'arrayValue',
  kvlist_value: 'kvlistValue',
  bytes_value: 'bytesValue',
}

function fromSnake(a: Record<string, unknown>): AnyValue | null {
  for (const key in a) {
    const camel = SNAKE[key]
    if (camel) return { [camel]: a[key] } as AnyValue
  }
  return null
}
