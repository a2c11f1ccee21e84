import { utf8 } from './wire-reader.ts'

/**
 * Attribute keys, and many short values (operation, provider, model, route names), repeat in every
 * span: a direct-mapped table of recently seen byte strings hands back the same string, which
 * saves decoding and allocating it again, and makes the normalizer's look-ups by key cheaper. The
 * bytes live in one arena, so a miss costs a copy, not an allocation.
 */
export class Interner {
  private readonly arena: Uint8Array
  private readonly lengths: Int32Array
  private readonly strings: string[]

  constructor(
    private readonly slots: number,
    private readonly maxBytes: number,
  ) {
    this.arena = new Uint8Array(slots * maxBytes)
    this.lengths = new Int32Array(slots).fill(-1)
    this.strings = new Array<string>(slots).fill('')
  }

  get(buf: Buffer, start: number, end: number): string {
    const length = end - start
    if (length > this.maxBytes) return utf8(buf, start, end)
    if (length === 0) return ''
    let hash = 0x811c9dc5
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ buf[i]!, 16777619)
    const slot = (hash >>> 0) % this.slots
    const at = slot * this.maxBytes
    const arena = this.arena
    if (this.lengths[slot] === length) {
      let i = 0
      while (i < length && arena[at + i] === buf[start + i]) i++
      if (i === length) return this.strings[slot]!
    }
    const text = utf8(buf, start, end)
    for (let i = 0; i < length; i++) arena[at + i] = buf[start + i]!
    this.lengths[slot] = length
    this.strings[slot] = text
    return text
  }
}
