/**
 * Reads the few facts a pass-through relay needs from an OpenAI `chat.completion.chunk` without
 * building its object: a strict JSON walk over the text that skips every value it does not need.
 * It answers exactly what `JSON.parse` + `observeOpenAiChunk` would, or gives up (returns false)
 * so the caller takes that slower path: invalid JSON, a duplicate key it reads, an unexpected type.
 * One scanner per stream; it keeps no per-chunk state beyond the next call.
 */
export class OpenAiChunkScanner {
  /** The top-level `model` when it is a non-empty string. */
  model: string | undefined
  /** Start and end of the top-level `usage` value when it is an object (else -1). */
  usageStart = -1
  usageEnd = -1
  /** `choices` is present and an empty array. */
  choicesEmpty = false
  /** Choices whose delta carries content or tool calls. */
  deltas = 0
  /** Finish reasons, in choice order (reused between chunks). */
  readonly finishReasons: string[] = []
  private s = ''
  private i = 0

  /** Scans one frame's data; false: not understood, parse it instead. */
  scan(data: string, wantModel: boolean): boolean {
    this.s = data
    this.i = 0
    this.model = undefined
    this.usageStart = this.usageEnd = -1
    this.choicesEmpty = false
    this.deltas = 0
    this.finishReasons.length = 0
    try {
      this.ws()
      if (!this.object(wantModel)) return false
      this.ws()
      return this.i === data.length
    } catch {
      return false
    } finally {
      this.s = ''
    }
  }

  private object(wantModel: boolean): boolean {
    const s = this.s
    if (s.charCodeAt(this.i) !== 123 /* { */) return false
    this.i++
    this.ws()
    if (s.charCodeAt(this.i) === 125 /* } */) {
      this.i++
      return true
    }
    let seen = 0
    for (;;) {
      const key = this.key()
      if (key === 'model') {
        if (seen & 1) return false
        seen |= 1
        const start = this.i
        this.value()
        if (s.charCodeAt(start) === 34 /* " */) {
          if (wantModel && this.i - start > 2) this.model = this.text(start, this.i)
        } else if (!this.falsy(start)) return false
      } else if (key === 'usage') {
        if (seen & 2) return false
        seen |= 2
        const start = this.i
        this.value()
        if (s.charCodeAt(start) === 123) {
          this.usageStart = start
          this.usageEnd = this.i
        } else if (!this.falsy(start)) return false
      } else if (key === 'choices') {
        if (seen & 4) return false
        seen |= 4
        if (!this.choices()) return false
      } else this.value()
      this.ws()
      const c = s.charCodeAt(this.i++)
      if (c === 125) return true
      if (c !== 44 /* , */) return false
      this.ws()
    }
  }

  private choices(): boolean {
    const s = this.s
    const c = s.charCodeAt(this.i)
    if (c === 110 /* n */) return this.literal('null')
    if (c !== 91 /* [ */) return false
    this.i++
    this.ws()
    if (s.charCodeAt(this.i) === 93 /* ] */) {
      this.i++
      this.choicesEmpty = true
      return true
    }
    for (;;) {
      if (!this.choice()) return false
      this.ws()
      const d = s.charCodeAt(this.i++)
      if (d === 93) return true
      if (d !== 44) return false
      this.ws()
    }
  }

  private choice(): boolean {
    const s = this.s
    if (s.charCodeAt(this.i) !== 123) return false
    this.i++
    this.ws()
    if (s.charCodeAt(this.i) === 125) {
      this.i++
      return true
    }
    let seen = 0
    let finish: string | undefined
    let delta = false
    for (;;) {
      const key = this.key()
      if (key === 'delta') {
        if (seen & 1) return false
        seen |= 1
        const start = this.i
        if (s.charCodeAt(start) === 123) {
          const d = this.delta()
          if (d === undefined) return false
          delta = d
        } else {
          this.value()
          if (!this.falsy(start)) return false
        }
      } else if (key === 'finish_reason') {
        if (seen & 2) return false
        seen |= 2
        const start = this.i
        this.value()
        if (s.charCodeAt(start) === 34) {
          if (this.i - start > 2) finish = this.text(start, this.i)
        } else if (!this.falsy(start)) return false
      } else this.value()
      this.ws()
      const c = s.charCodeAt(this.i++)
      if (c === 125) break
      if (c !== 44) return false
      this.ws()
    }
    if (delta) this.deltas++
    if (finish !== undefined) this.finishReasons.push(finish)
    return true
  }

  /** A delta object: whether it carries content or tool calls; undefined when not understood. */
  private delta(): boolean | undefined {
    const s = this.s
    this.i++
    this.ws()
    if (s.charCodeAt(this.i) === 125) {
      this.i++
      return false
    }
    let seen = 0
    let carries = false
    for (;;) {
      const key = this.key()
      const start = this.i
      this.value()
      if (key === 'content') {
        if (seen & 1) return undefined
        seen |= 1
        if (s.charCodeAt(start) === 34) carries ||= this.i - start > 2
        else if (!this.falsy(start)) return undefined
      } else if (key === 'tool_calls') {
        if (seen & 2) return undefined
        seen |= 2
        if (s.charCodeAt(start) === 91) carries ||= !this.emptyArray(start)
        else if (!this.falsy(start)) return undefined
      }
      this.ws()
      const c = s.charCodeAt(this.i++)
      if (c === 125) return carries
      if (c !== 44) return undefined
      this.ws()
    }
  }

  /** `null` or `false` (a value the original code skips as falsy); other kinds make the scan give up. */
  private falsy(start: number): boolean {
    const c = this.s.charCodeAt(start)
    return c === 110 || c === 102
  }

  private emptyArray(start: number): boolean {
    let j = start + 1
    const s = this.s
    while (isWs(s.charCodeAt(j))) j++
    return s.charCodeAt(j) === 93
  }

  /** A JSON string's value: sliced when it has no escapes, else decoded by JSON.parse. */
  private text(start: number, end: number): string {
    const raw = this.s.slice(start + 1, end - 1)
    return raw.includes('\\') ? (JSON.parse(this.s.slice(start, end)) as string) : raw
  }

  private key(): string {
    const start = this.i
    this.string()
    const name = this.text(start, this.i)
    this.ws()
    if (this.s.charCodeAt(this.i++) !== 58 /* : */) throw new SyntaxError('expected :')
    this.ws()
    return name
  }

  private ws(): void {
    while (isWs(this.s.charCodeAt(this.i))) this.i++
  }

  /** Skips one JSON value, validating it as strictly as JSON.parse. */
  private value(): void {
    const s = this.s
    const c = s.charCodeAt(this.i)
    if (c === 34) return this.string()
    if (c === 123 || c === 91) {
      const close = c === 123 ? 125 : 93
      this.i++
      this.ws()
      if (s.charCodeAt(this.i) === close) {
        this.i++
        return
      }
      for (;;) {
        if (close === 125) {
          this.string()
          this.ws()
          if (s.charCodeAt(this.i++) !== 58) throw new SyntaxError('expected :')
          this.ws()
        }
        this.value()
        this.ws()
        const d = s.charCodeAt(this.i++)
        if (d === close) return
        if (d !== 44) throw new SyntaxError('expected ,')
        this.ws()
      }
    }
    if (c === 116) return void this.expect('true')
    if (c === 102) return void this.expect('false')
    if (c === 110) return void this.expect('null')
    this.number()
  }

  private literal(word: string): boolean {
    if (!this.s.startsWith(word, this.i)) return false
    this.i += word.length
    return true
  }

  private expect(word: string): void {
    if (!this.literal(word)) throw new SyntaxError(`expected ${word}`)
  }

  private string(): void {
    const s = this.s
    if (s.charCodeAt(this.i) !== 34) throw new SyntaxError('expected a string')
    let j = this.i + 1
    for (;;) {
      const c = s.charCodeAt(j)
      if (c === 34) break
      if (c !== c || c < 32) throw new SyntaxError('bad string') // NaN: the text ended
      if (c === 92 /* \ */) {
        const e = s.charCodeAt(j + 1)
        if (e === 117 /* u */) {
          for (let k = 2; k < 6; k++) if (!isHex(s.charCodeAt(j + k))) throw new SyntaxError('bad \\u escape')
          j += 6
          continue
        }
        if (!(e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116))
          throw new SyntaxError('bad escape')
        j += 2
        continue
      }
      j++
    }
    this.i = j + 1
  }

  private number(): void {
    const s = this.s
    let j = this.i
    if (s.charCodeAt(j) === 45 /* - */) j++
    const first = s.charCodeAt(j)
    if (first === 48 /* 0 */) j++
    else if (isDigit(first)) while (isDigit(s.charCodeAt(j))) j++
    else throw new SyntaxError('bad number')
    if (s.charCodeAt(j) === 46 /* . */) {
      j++
      if (!isDigit(s.charCodeAt(j))) throw new SyntaxError('bad number')
      while (isDigit(s.charCodeAt(j))) j++
    }
    const e = s.charCodeAt(j)
    if (e === 101 || e === 69) {
      j++
      const sign = s.charCodeAt(j)
      if (sign === 43 || sign === 45) j++
      if (!isDigit(s.charCodeAt(j))) throw new SyntaxError('bad number')
      while (isDigit(s.charCodeAt(j))) j++
    }
    this.i = j
  }
}

const isWs = (c: number) => c === 32 || c === 9 || c === 10 || c === 13
const isDigit = (c: number) => c >= 48 && c <= 57
const isHex = (c: number) => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70)
