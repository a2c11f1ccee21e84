/**
 * A protobuf writer tuned for OTLP spans: one growing Buffer, positions kept in locals inside the
 * loops, ids written as hex by Buffer itself. A nested message reserves one length byte and moves
 * its body only when it turns out longer than 127 bytes.
 */
export class ProtobufWriter {
  buf: Buffer
  pos = 0

  constructor(capacity: number) {
    this.buf = Buffer.allocUnsafe(capacity)
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + bytes) size *= 2
    const grown = Buffer.allocUnsafe(size)
    this.buf.copy(grown, 0, 0, this.pos)
    this.buf = grown
  }

  tag(field: number, wireType: number): void {
    const tag = (field << 3) | wireType
    if (tag > 0x7f) return this.varint(tag)
    if (this.pos >= this.buf.length) this.ensure(1)
    this.buf[this.pos++] = tag
  }

  /** Non-negative integers up to 2^64, negative ones as 64-bit two's complement (protobuf int64). */
  varint(value: number): void {
    this.ensure(10)
    const buf = this.buf
    let pos = this.pos
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0
      while (v > 0x7f) {
        buf[pos++] = (v & 0x7f) | 0x80
        v >>>= 7
      }
      buf[pos++] = v
    } else {
      let [low, high] = splitInt64(value)
      while (high > 0 || low > 0x7f) {
        buf[pos++] = (low & 0x7f) | 0x80
        low = ((low >>> 7) | (high << 25)) >>> 0
        high >>>= 7
      }
      buf[pos++] = low
    }
    this.pos = pos
  }

  fixed32(value: number): void {
    this.ensure(4)
    this.pos = this.buf.writeUInt32LE(value >>> 0, this.pos)
  }

  fixed64(low: number, high: number): void {
    this.ensure(8)
    this.buf.writeUInt32LE(low >>> 0, this.pos)
    this.pos = this.buf.writeUInt32LE(high >>> 0, this.pos + 4)
  }

  double(value: number): void {
    this.ensure(8)
    this.pos = this.buf.writeDoubleLE(value, this.pos)
  }

  string(value: string): void {
    const length = value.length
    this.ensure(length * 3 + 5)
    const buf = this.buf
    if (length < 128) {
      let pos = this.pos + 1
      for (let i = 0; i < length; i++) {
        const c = value.charCodeAt(i)
        if (c > 0x7f) return this.utf8(value)
        buf[pos++] = c
      }
      buf[this.pos] = length
      this.pos = pos
      return
    }
    this.utf8(value)
  }

  private utf8(value: string): void {
    const bytes = Buffer.byteLength(value)
    this.varint(bytes)
    this.pos += this.buf.write(value, this.pos, 'utf8')
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length)
    this.raw(value)
  }

  /** Bytes another writer wrote, as they are. */
  raw(value: Uint8Array): void {
    this.ensure(value.length)
    this.buf.set(value, this.pos)
    this.pos += value.length
  }

  /** Hex ids (trace and span ids) as bytes. */
  hex(value: string): void {
    this.ensure(value.length / 2 + 1)
    const written = this.buf.write(value, this.pos + 1, 'hex')
    this.buf[this.pos] = written
    this.pos += written + 1
  }

  /** Starts a length-delimited field: returns where its length goes. */
  begin(): number {
    this.ensure(1)
    return this.pos++
  }

  end(start: number): void {
    const length = this.pos - start - 1
    if (length < 0x80) {
      this.buf[start] = length
      return
    }
    const extra = varintSize(length) - 1
    this.ensure(extra)
    this.buf.copy(this.buf, start + 1 + extra, start + 1, this.pos)
    const end = this.pos + extra
    this.pos = start
    this.varint(length)
    this.pos = end
  }

  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos)
  }
}

function varintSize(value: number): number {
  let size = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    size++
  }
  return size
}

function splitInt64(value: number): [number, number] {
  const abs = Math.abs(value)
  let low = abs >>> 0
  let high = Math.floor(abs / 0x100000000) >>> 0
  if (value < 0) {
    low = (~low + 1) >>> 0
    high = (~high + (low === 0 ? 1 : 0)) >>> 0
  }
  return [low, high]
}
