/**
 * Writes ClickHouse's `Native` format: one columnar block (column count, row count, then each
 * column's name, type and values). ClickHouse reads it several times faster than JSONEachRow,
 * which makes it the ingest format. Only the types the `spans` table needs are supported;
 * ClickHouse converts them on insert (String → LowCardinality(String) and the like).
 * Format: https://clickhouse.com/docs/interfaces/formats/Native
 */
export type NativeType =
  | 'String'
  | 'UInt8'
  | 'UInt16'
  | 'UInt64'
  | 'DateTime64(9)'
  | 'Decimal(18, 12)'
  | 'Map(String, String)'
  | 'Array(String)'
  | 'Array(DateTime64(9))'
  | 'Array(Map(String, String))'

/** A value a column could not take; the message names the column and the value. */
export class NativeEncodeError extends Error {}

const UINT64_MAX = 2n ** 64n - 1n
const INT64_MAX = 2n ** 63n - 1n
const DECIMAL18_LIMIT = 10n ** 18n

/**
 * An append-only byte buffer that grows by doubling. Blocks are written into one scratch buffer
 * kept between calls (encoding is synchronous), so a block costs one right-sized copy at the end
 * instead of a fresh buffer and its doublings every time.
 */
let scratch = Buffer.allocUnsafe(64 * 1024)
/** The scratch buffer is kept up to this size; a larger block's buffer is let go after it. */
const MAX_KEPT_SCRATCH = 4 * 1024 * 1024

class ByteWriter {
  buf = scratch
  pos = 0

  private reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, 0, this.pos)
    this.buf = next
  }

  u8(v: number): void {
    this.reserve(1)
    this.buf[this.pos++] = v
  }

  u16(v: number): void {
    this.reserve(2)
    this.pos = this.buf.writeUInt16LE(v, this.pos)
  }

  u64(v: bigint): void {
    this.reserve(8)
    this.pos = this.buf.writeBigUInt64LE(v, this.pos)
  }

  i64(v: bigint): void {
    this.reserve(8)
    this.pos = this.buf.writeBigInt64LE(v, this.pos)
  }

  /** A count that fits in 2^53, as UInt64 little-endian without a BigInt. */
  count64(v: number): void {
    this.reserve(8)
    this.buf.writeUInt32LE(v % 0x1_0000_0000, this.pos)
    this.buf.writeUInt32LE(Math.floor(v / 0x1_0000_0000), this.pos + 4)
    this.pos += 8
  }

  varUInt(v: number): void {
    this.reserve(10)
    while (v >= 0x80) {
      this.buf[this.pos++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.buf[this.pos++] = v
  }

  /** Length-prefixed UTF-8. ASCII up to 127 characters (most ids, names and values) is copied by hand: faster than a native call. */
  string(s: string): void {
    const len = s.length
    if (len < 0x80) {
      this.reserve(1 + len * 3)
      const buf = this.buf
      const start = this.pos + 1
      let i = 0
      while (i < len) {
        const c = s.charCodeAt(i)
        if (c >= 0x80) break
        buf[start + i++] = c
      }
      if (i === len) {
        buf[this.pos] = len
        this.pos = start + len
        return
      }
    }
    const n = Buffer.byteLength(s)
    this.varUInt(n)
    this.reserve(n)
    this.pos += this.buf.write(s, this.pos, n)
  }

  /** A copy of what was written; the scratch buffer (grown, if it had to) is kept for the next block. */
  bytes(): Buffer {
    const out = Buffer.allocUnsafeSlow(this.pos)
    this.buf.copy(out, 0, 0, this.pos)
    if (this.buf.length <= MAX_KEPT_SCRATCH) scratch = this.buf
    return out
  }

  /** DateTime64(9) from unsigned decimal nanoseconds of at most 19 digits, without a BigInt; false when `s` is not such a number. */
  nanos(s: string): boolean {
    const len = s.length
    if (len === 0 || len > 19) return false
    for (let i = 0; i < len; i++) {
      const c = s.charCodeAt(i)
      if (c < 48 || c > 57) return false
    }
    // s = hi × 10⁹ + lo, hi < 2³⁴ split in 16-bit halves so that every product below stays exact in a double.
    const hi = len > 9 ? Number(s.slice(0, len - 9)) : 0
    const lo = len > 9 ? Number(s.slice(len - 9)) : Number(s)
    const hiTop = Math.floor(hi / 0x10000)
    const low = (hi % 0x10000) * 1e9 + lo // < 2⁴⁷
    const top = hiTop * 1e9 // < 2⁴⁸
    const sum = (top % 0x10000) * 0x10000 + low // < 2⁴⁹
    const high32 = Math.floor(top / 0x10000) + Math.floor(sum / 0x1_0000_0000)
    if (high32 >= 0x8000_0000) return false // beyond Int64: the BigInt path reports it
    this.reserve(8)
    this.buf.writeUInt32LE(sum % 0x1_0000_0000, this.pos)
    this.buf.writeUInt32LE(high32, this.pos + 4)
    this.pos += 8
    return true
  }
}

/** 1–15 decimal digits: a whole number that a double holds exactly. */
function isSafeDigits(s: string): boolean {
  const len = s.length
  if (len === 0 || len > 15) return false
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function unsigned(value: unknown, max: bigint, column: string): bigint {
  let v: bigint
  try {
    v = typeof value === 'bigint' ? value : BigInt(value as string | number)
  } catch {
    throw new NativeEncodeError(`column ${column}: ${JSON.stringify(value)} is not an integer`)
  }
  if (v < 0n || v > max) throw new NativeEncodeError(`column ${column}: ${v} is out of range`)
  return v
}

function smallUnsigned(value: unknown, max: number, column: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new NativeEncodeError(`column ${column}: ${JSON.stringify(value)} is not an integer in 0…${max}`)
  }
  return value
}

/** A decimal string with at most 12 fractional digits, as an Int64 count of 10^-12. */
function decimal12(value: unknown, column: string): bigint {
  const m = typeof value === 'string' ? /^(-?)(\d+)(?:\.(\d{1,12}))?$/.exec(value) : null
  if (!m)
    throw new NativeEncodeError(
      `column ${column}: ${JSON.stringify(value)} is not a decimal with ≤ 12 fractional digits`,
    )
  const units = BigInt(m[2]! + (m[3] ?? '').padEnd(12, '0'))
  if (units >= DECIMAL18_LIMIT)
    throw new NativeEncodeError(`column ${column}: ${value} is out of range for Decimal(18, 12)`)
  return m[1] ? -units : units
}

function stringValue(value: unknown, column: string): string {
  if (typeof value !== 'string')
    throw new NativeEncodeError(`column ${column}: ${JSON.stringify(value)} is not a string`)
  return value
}

/**
 * Map(String, String) per row: offsets, then every key, then every value. Rows of one resource share
 * its attribute object: its keys are listed once and reused while the next row has the same object.
 */
function writeMaps<Row>(w: ByteWriter, rows: readonly Row[], get: (row: Row) => unknown, column: string): void {
  const n = rows.length
  const keys: string[][] = new Array(n)
  const maps: Record<string, unknown>[] = new Array(n)
  let offset = 0
  let last: unknown = undefined
  let lastKeys: string[] = []
  for (let i = 0; i < n; i++) {
    const m = get(rows[i]!)
    if (m === null || typeof m !== 'object') throw new NativeEncodeError(`column ${column}: not a map`)
    if (m !== last) {
      last = m
      lastKeys = Object.keys(m)
    }
    maps[i] = m as Record<string, unknown>
    keys[i] = lastKeys
    w.count64((offset += lastKeys.length))
  }
  for (let i = 0; i < n; i++) {
    const ks = keys[i]!
    for (let j = 0; j < ks.length; j++) w.string(ks[j]!)
  }
  for (let i = 0; i < n; i++) {
    const m = maps[i]!
    const ks = keys[i]!
    for (let j = 0; j < ks.length; j++) w.string(stringValue(m[ks[j]!], column))
  }
}

function arrays<Row>(rows: readonly Row[], get: (row: Row) => unknown, column: string): unknown[][] {
  const n = rows.length
  const out: unknown[][] = new Array(n)
  for (let i = 0; i < n; i++) {
    const v = get(rows[i]!)
    if (!Array.isArray(v)) throw new NativeEncodeError(`column ${column}: ${JSON.stringify(v)} is not an array`)
    out[i] = v
  }
  return out
}

/** The elements of every row's array, in order (what an Array column's nested column holds). */
function flatten(lists: unknown[][]): unknown[] {
  let total = 0
  for (let i = 0; i < lists.length; i++) total += lists[i]!.length
  const out: unknown[] = new Array(total)
  let k = 0
  for (let i = 0; i < lists.length; i++) {
    const list = lists[i]!
    for (let j = 0; j < list.length; j++) out[k++] = list[j]
  }
  return out
}

function writeOffsets(w: ByteWriter, lists: unknown[][]): void {
  let offset = 0
  for (let i = 0; i < lists.length; i++) w.count64((offset += lists[i]!.length))
}

const identity = (v: unknown) => v

/** One column's values, read from each row with `get` (no array of the column's values in between). */
function writeColumn<Row>(
  w: ByteWriter,
  type: NativeType,
  rows: readonly Row[],
  get: (row: Row) => unknown,
  column: string,
): void {
  const n = rows.length
  switch (type) {
    case 'String':
      for (let i = 0; i < n; i++) w.string(stringValue(get(rows[i]!), column))
      return
    case 'UInt8':
      for (let i = 0; i < n; i++) w.u8(smallUnsigned(get(rows[i]!), 0xff, column))
      return
    case 'UInt16':
      for (let i = 0; i < n; i++) w.u16(smallUnsigned(get(rows[i]!), 0xffff, column))
      return
    case 'UInt64':
      for (let i = 0; i < n; i++) {
        const v = get(rows[i]!)
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) w.count64(v)
        else if (typeof v === 'string' && isSafeDigits(v)) w.count64(Number(v))
        else w.u64(unsigned(v, UINT64_MAX, column))
      }
      return
    case 'DateTime64(9)':
      for (let i = 0; i < n; i++) {
        const v = get(rows[i]!)
        if (typeof v !== 'string' || !w.nanos(v)) w.i64(unsigned(v, INT64_MAX, column))
      }
      return
    case 'Decimal(18, 12)':
      for (let i = 0; i < n; i++) w.i64(decimal12(get(rows[i]!), column))
      return
    case 'Map(String, String)':
      return writeMaps(w, rows, get, column)
    case 'Array(String)':
    case 'Array(DateTime64(9))':
    case 'Array(Map(String, String))': {
      const lists = arrays(rows, get, column)
      writeOffsets(w, lists)
      const inner = type.slice(6, -1) as NativeType
      // Most spans have no events or links: an empty nested column writes nothing.
      const elements = flatten(lists)
      if (elements.length > 0) writeColumn(w, inner, elements, identity, column)
    }
  }
}

/** A column named like the row's field that holds its value. */
export interface NativeColumn<Row> {
  name: keyof Row & string
  type: NativeType
  /** Reads the column's value from a row (`row[name]` when absent); a function per column keeps each read site monomorphic. */
  get?: (row: Row) => unknown
}

/** Encodes rows as one Native block; throws NativeEncodeError naming the first bad value. */
export function encodeNativeBlock<Row>(columns: readonly NativeColumn<Row>[], rows: readonly Row[]): Buffer {
  const w = new ByteWriter()
  w.varUInt(columns.length)
  w.varUInt(rows.length)
  for (const c of columns) {
    w.string(c.name)
    w.string(c.type)
    writeColumn(w, c.type, rows, c.get ?? ((r: Row) => r[c.name]), c.name)
  }
  return w.bytes()
}
