import { isUtf8 } from "node:buffer";
import type { Limits } from "../limits.js";
import { deserializationError, tooDeep, tooManyItems, tooManyParameters } from "../shape.js";

/**
 * The CBOR that isoform accepts (docs/protocol.md, "CBOR"): the JSON data model plus
 * dates, byte strings and bounded bignums. Checked by walking the bytes before cbor-x
 * builds anything, so no hostile body allocates or computes more than its own size:
 *
 * - major types 0–5: integers, byte strings, UTF-8 text strings, arrays, maps with text
 *   keys (definite or indefinite length);
 * - tags 0 and 1 (dates: a text string, a number), 2 and 3 (bignums: a byte string of at
 *   most MAX_BIGNUM_BYTES), 64 (a byte string; cbor-x on Node tags Uint8Arrays with it)
 *   and 55799 (the self-describe prefix);
 * - false, true, null, undefined and floats.
 *
 * Everything else is refused, above all cbor-x's extensions: shared references (tags
 * 28/29) expand a kilobyte into a graph that a tree walk never finishes, records (tag
 * 57343 and the 0xE000 range) rename `__proto__` keys instead of refusing them, and a
 * bignum converts in time quadratic in its length. The depth, array-length and parameter
 * limits hold here, during decoding, with the same errors `checkShape` gives.
 */
export function scanCbor(bytes: Uint8Array, limits: Limits): void {
  const scan = new Scan(bytes, limits);
  scan.item(0);
  if (scan.pos !== bytes.length) throw invalid("trailing bytes after the first item; send one CBOR item");
}

/** Longest bignum accepted: 64 bytes is a 512-bit integer, far past any id or amount. */
export const MAX_BIGNUM_BYTES = 64;

const ALLOWED_TAGS = new Set([0, 1, 2, 3, 64, 55799]);
const BREAK = 0xff;

function invalid(why: string) {
  return deserializationError(`The body is not CBOR that isoform accepts: ${why}`);
}

class Scan {
  pos = 0;
  keys = 0;
  constructor(
    readonly bytes: Uint8Array,
    readonly limits: Limits,
  ) {}

  /** Reads one item's head: its major type and argument (a length, a count or a value). */
  head(): { major: number; info: number; arg: number } {
    const b = this.byte();
    const major = b >> 5;
    const info = b & 0x1f;
    if (info < 24) return { major, info, arg: info };
    if (info === 31) return { major, info, arg: -1 };
    if (info > 27) throw invalid(`reserved additional information ${info}`);
    const size = 1 << (info - 24); // 1, 2, 4 or 8 bytes
    if (this.pos + size > this.bytes.length) throw invalid("the body ends inside an item");
    let arg = 0;
    for (let i = 0; i < size; i++) arg = arg * 256 + this.bytes[this.pos++]!;
    // Past 2^53 `arg` loses precision, harmlessly: such a length or count is refused
    // below as longer than the body or over a limit, and such a tag is not allowed.
    return { major, info, arg };
  }

  byte(): number {
    if (this.pos >= this.bytes.length) throw invalid("the body ends inside an item");
    return this.bytes[this.pos++]!;
  }

  skip(n: number): void {
    if (n > this.bytes.length - this.pos) throw invalid("a string is longer than the body");
    this.pos += n;
  }

  item(depth: number): void {
    const { major, info, arg } = this.head();
    switch (major) {
      case 0:
      case 1:
        if (info === 31) throw invalid("an integer cannot have indefinite length");
        return;
      case 2:
      case 3:
        return this.string(major, arg);
      case 4:
        return this.array(depth, arg);
      case 5:
        return this.map(depth, arg);
      case 6:
        return this.tag(depth, arg);
      default:
        // major 7: false, true, null, undefined (20–23) and half/single/double floats (25–27)
        if ((info >= 20 && info <= 23) || (info >= 25 && info <= 27)) return;
        throw invalid(info === 31 ? "an unexpected break" : `simple value ${arg} is not supported`);
    }
  }

  string(major: number, length: number): void {
    if (length >= 0) {
      const start = this.pos;
      this.skip(length);
      if (major === 3 && !isUtf8(this.bytes.subarray(start, this.pos))) throw invalid("a text string is not UTF-8");
      return;
    }
    // Indefinite length: definite chunks of the same major type up to a break.
    for (;;) {
      if (this.peekBreak()) return;
      const chunk = this.head();
      if (chunk.major !== major || chunk.arg < 0) throw invalid("a chunk of an indefinite-length string has the wrong type");
      this.string(major, chunk.arg);
    }
  }

  array(depth: number, count: number): void {
    if (depth > this.limits.depth) throw tooDeep(this.limits.depth);
    const max = this.limits.arrayLength;
    if (count > max) throw tooManyItems(max);
    if (count >= 0) {
      for (let i = 0; i < count; i++) this.item(depth + 1);
      return;
    }
    for (let i = 0; !this.peekBreak(); i++) {
      if (i >= max) throw tooManyItems(max);
      this.item(depth + 1);
    }
  }

  map(depth: number, count: number): void {
    if (depth > this.limits.depth) throw tooDeep(this.limits.depth);
    const max = this.limits.parameters;
    if (count > max - this.keys) throw tooManyParameters(max);
    for (let i = 0; count < 0 ? !this.peekBreak() : i < count; i++) {
      if (++this.keys > max) throw tooManyParameters(max);
      const key = this.head();
      if (key.major !== 3) throw deserializationError("CBOR map keys must be text strings");
      this.string(3, key.arg);
      this.item(depth + 1);
    }
  }

  tag(depth: number, tag: number): void {
    if (!ALLOWED_TAGS.has(tag)) throw invalid(`tag ${tag} is not supported (accepted: dates, byte strings, bignums)`);
    if (tag === 55799) return this.item(depth);
    const { major, info, arg } = this.head();
    if (tag === 0 && major === 3 && arg >= 0) return this.string(3, arg);
    if (tag === 1 && (major === 0 || major === 1 || (major === 7 && info >= 25 && info <= 27))) return;
    if (tag === 64 && major === 2 && arg >= 0) return this.skip(arg);
    if ((tag === 2 || tag === 3) && major === 2 && arg >= 0) {
      if (arg > MAX_BIGNUM_BYTES) throw invalid(`a bignum of ${arg} bytes is longer than ${MAX_BIGNUM_BYTES}`);
      return this.skip(arg);
    }
    throw invalid(`tag ${tag} holds an item of the wrong type`);
  }

  peekBreak(): boolean {
    if (this.pos >= this.bytes.length) throw invalid("the body ends inside an item");
    if (this.bytes[this.pos] !== BREAK) return false;
    this.pos++;
    return true;
  }
}
