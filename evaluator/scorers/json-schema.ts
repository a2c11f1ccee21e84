import { Ajv, type ValidateFunction } from 'ajv'

const ajv = new Ajv({ strict: false, allErrors: false, validateFormats: false })
const compiled = new Map<string, ValidateFunction | Error>()
const MAX_CACHED = 500

/** Checks a value against a JSON schema; `null` when it conforms, else the first problem. Throws when the schema itself is invalid. */
export function schemaProblem(schema: Record<string, unknown>, value: unknown): string | null {
  const key = JSON.stringify(schema)
  let validate = compiled.get(key)
  if (!validate) {
    try {
      validate = ajv.compile(schema)
    } catch (err) {
      validate = new Error(`the requested JSON schema is invalid: ${(err as Error).message}`)
    }
    if (compiled.size >= MAX_CACHED) compiled.clear()
    compiled.set(key, validate)
  }
  if (validate instanceof Error) throw validate
  if (validate(value)) return null
  const e = validate.errors?.[0]
  return e ? `${e.instancePath || '(root)'} ${e.message ?? 'does not conform'}` : 'does not conform'
}
