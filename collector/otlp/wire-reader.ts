// Protobuf wire primitives on protobufjs' Reader, with the bounds checks a hostile body needs: a
// length must stay inside the body and a nested message must end where its length said.
import protobuf from 'protobufjs'
import { OtlpDecodeError } from './errors.ts'

export type Reader = protobuf.Reader
export type Long = { low: number; high: number; toNumber(): number; toString(): string }

export const VARINT = 0
export const FIXED64 = 1
export const LEN = 2
export const FIXED32 = 5

export function subEnd(r: Reader): number {
  const len = r.uint32()
  const end = r.pos + len
  if (end > r.len)
    throw new OtlpDecodeError(
      `invalid protobuf: length ${len} at offset ${r.pos} runs past the end of the body (${r.len} bytes)`,
    )
  return end
}

/** A nested message must end exactly where its length said; otherwise the body is corrupt. */
export function done(r: Reader, end: number): void {
  if (r.pos !== end)
    throw new OtlpDecodeError(
      `invalid protobuf: nested message overruns its length (ends at ${r.pos}, expected ${end})`,
    )
}

export function skip(r: Reader, tag: number): void {
  if (tag === 0) throw new OtlpDecodeError(`invalid protobuf: field number 0 at offset ${r.pos}`)
  r.skipType(tag & 7)
}

export function readString(r: Reader, buf: Buffer): string {
  const end = subEnd(r)
  const s = utf8(buf, r.pos, end)
  r.pos = end
  return s
}

// Buffer's own decoder without toString's argument checks (protobufjs reads strings the same way).
export const utf8 = (buf: Buffer, start: number, end: number): string =>
  (buf as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end)

export function readHex(r: Reader, buf: Buffer): string {
  const end = subEnd(r)
  const s = buf.toString('hex', r.pos, end)
  r.pos = end
  return s
}

/** fixed64 as an exact unsigned decimal string. */
export function readFixed64(r: Reader): string {
  const lo = r.fixed32()
  const hi = r.fixed32()
  if (hi < 0x200000) return String(hi * 4294967296 + lo)
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString()
}

export function longValue(v: Long | number): number | string {
  if (typeof v === 'number') return v
  const n = v.toNumber()
  return Number.isSafeInteger(n) ? n : v.toString()
}
