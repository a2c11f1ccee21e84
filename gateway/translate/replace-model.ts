/*
 * Forwarding the client's JSON text with only the model replaced costs a fraction of serializing the
 * parsed body again. The text has already been parsed successfully, so it is valid JSON; anything
 * unexpected (a duplicate or escaped "model" key) answers undefined and the caller serializes.
 */

const QUOTE = 34
const BACKSLASH = 92

/** Index just past the string literal that opens at `i`, or -1. */
function skipString(text: string, i: number): number {
  let from = i + 1
  for (;;) {
    const q = text.indexOf('"', from)
    if (q < 0) return -1
    let backslashes = 0
    while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++
    if (backslashes % 2 === 0) return q + 1
    from = q + 1
  }
}

/** Index just past the value that starts at `i` (string, object, array or literal), or -1. */
function skipValue(text: string, i: number): number {
  const c = text.charCodeAt(i)
  if (c === QUOTE) return skipString(text, i)
  if (c !== 123 && c !== 91) {
    while (i < text.length && !',}] \t\r\n'.includes(text[i]!)) i++
    return i
  }
  let depth = 0
  while (i < text.length) {
    const d = text.charCodeAt(i)
    if (d === QUOTE) {
      i = skipString(text, i)
      if (i < 0) return -1
      continue
    }
    if (d === 123 || d === 91) depth++
    else if ((d === 125 || d === 93) && --depth === 0) return i + 1
    i++
  }
  return -1
}

const isSpace = (c: number) => c === 32 || c === 10 || c === 13 || c === 9

function skipSpace(text: string, i: number): number {
  while (isSpace(text.charCodeAt(i))) i++
  return i
}

/** Where the value of the top-level "model" key lies in a JSON object text: [start, end). */
function modelSpan(text: string): [number, number] | undefined {
  let i = skipSpace(text, 0)
  if (text.charCodeAt(i) !== 123) return undefined
  let found: [number, number] | undefined
  i = skipSpace(text, i + 1)
  if (text.charCodeAt(i) === 125) return undefined
  for (;;) {
    if (text.charCodeAt(i) !== QUOTE) return undefined
    const keyEnd = skipString(text, i)
    if (keyEnd < 0) return undefined
    // An escaped key could spell "model" unseen by this scan: leave such bodies to the serializer.
    for (let k = i + 1; k < keyEnd - 1; k++) if (text.charCodeAt(k) === BACKSLASH) return undefined
    const isModel = keyEnd - i === 7 && text.startsWith('"model"', i)
    i = skipSpace(text, keyEnd)
    if (text.charCodeAt(i) !== 58) return undefined
    const start = skipSpace(text, i + 1)
    const end = skipValue(text, start)
    if (end < 0) return undefined
    if (isModel) {
      if (found) return undefined
      found = [start, end]
    }
    i = skipSpace(text, end)
    const c = text.charCodeAt(i)
    if (c === 125) return found
    if (c !== 44) return undefined
    i = skipSpace(text, i + 1)
  }
}

/** The JSON object text with its top-level "model" set to `model`, or undefined when that cannot be done safely. */
export function withModel(text: string, model: string): string | undefined {
  const span = modelSpan(text)
  if (!span) return undefined
  return text.slice(0, span[0]) + JSON.stringify(model) + text.slice(span[1])
}
