import { isUtf8 } from "node:buffer";
import type { Limits } from "../limits.js";
import { deserializationError, FORBIDDEN_KEYS, forbiddenKey, nulByte, tooDeep, tooManyItems, tooManyParameters } from "../shape.js";

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
 * bignum converts in time quadratic in its length.
 *
 * The scan also makes every check `checkShape` makes on JSON, with the same errors (depth,
 * array length, parameters, NUL characters, prototype keys), so what passes it decodes
 * with cbor-x as is, into plain objects, with no second walk.
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
/** `arg` of an indefinite-length item */
const INDEFINITE = -1;
const MAJOR_TEXT = 3;

function invalid(why: string) {
  return deserializationError(`The body is not CBOR that isoform accepts: ${why}`);
}

/**
 * One walk over the bytes, written for speed: it runs over every byte of every CBOR
 * request, so heads are read inline (no object per item) and text is checked one branch
 * per byte (bench/README.md, "Decode throughput").
 */
class Scan {
  pos = 0;
  keys = 0;

  constructor(
    readonly bytes: Uint8Array,
    readonly limits: Limits,
  ) {}

  /** The argument of a head whose additional information is 24–31 (the initial byte read). */
  argument(info: number): number {
    if (info === 31) return INDEFINITE;
    if (info > 27) throw invalid(`reserved additional information ${info}`);
    const bytes = this.bytes;
    const size = 1 << (info - 24); // 1, 2, 4 or 8 bytes
    if (this.pos + size > bytes.length) throw invalid("the body ends inside an item");
    // Past 2^53 the argument loses precision, harmlessly: such a length or count is refused
    // as longer than the body or over a limit, and such a tag is not allowed.
    let arg = 0;
    for (let i = 0; i < size; i++) arg = arg * 256 + bytes[this.pos++]!;
    return arg;
  }

  /** Reads an initial byte; the caller splits it into major type (>> 5) and info (& 31). */
  initial(): number {
    if (this.pos >= this.bytes.length) throw invalid("the body ends inside an item");
    return this.bytes[this.pos++]!;
  }

  item(depth: number): void {
    const b = this.initial();
    const info = b & 0x1f;
    const arg = info < 24 ? info : this.argument(info);
    switch (b >> 5) {
      case 0:
      case 1:
        if (arg === INDEFINITE) throw invalid("an integer cannot have indefinite length");
        return;
      case 2:
        return this.string(2, arg, false);
      case 3:
        return this.string(MAJOR_TEXT, arg, false);
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

  /** A byte or text string; text must be UTF-8 without NUL, and a key no prototype name. */
  string(major: number, length: number, key: boolean): void {
    if (length === INDEFINITE) {
      // Definite chunks of the same major type up to a break. A key is refused whole:
      // cbor-x joins the chunks, and a prototype name could hide split across them.
      if (key) throw invalid("a map key of indefinite length; send keys as definite text strings");
      while (!this.atBreak()) {
        const b = this.initial();
        const info = b & 0x1f;
        const arg = info < 24 ? info : this.argument(info);
        if (b >> 5 !== major || arg === INDEFINITE) throw invalid("a chunk of an indefinite-length string has the wrong type");
        this.string(major, arg, false);
      }
      return;
    }
    const bytes = this.bytes;
    const start = this.pos;
    if (length > bytes.length - start) throw invalid("a string is longer than the body");
    const end = (this.pos = start + length);
    if (major !== MAJOR_TEXT) return;
    for (let i = start; i < end; i++) {
      // One branch per byte: 0 wraps to 0xFFFFFFFF, so this is "NUL or not ASCII".
      if (((bytes[i]! - 1) >>> 0) >= 0x7f) {
        if (bytes.subarray(start, end).includes(0)) throw nulByte();
        if (!isUtf8(bytes.subarray(start, end))) throw invalid("a text string is not UTF-8");
        break;
      }
    }
    // "__proto__" and "prototype" are 9 bytes, "constructor" 11: only those are looked at.
    if (key && (length === 9 || length === 11)) {
      const name = String.fromCharCode(...bytes.subarray(start, end));
      if (FORBIDDEN_KEYS.has(name)) throw forbiddenKey(name);
    }
  }

  array(depth: number, count: number): void {
    if (depth > this.limits.depth) throw tooDeep(this.limits.depth);
    const max = this.limits.arrayLength;
    if (count > max) throw tooManyItems(max);
    if (count !== INDEFINITE) {
      for (let i = 0; i < count; i++) this.item(depth + 1);
      return;
    }
    for (let i = 0; !this.atBreak(); i++) {
      if (i >= max) throw tooManyItems(max);
      this.item(depth + 1);
    }
  }

  map(depth: number, count: number): void {
    if (depth > this.limits.depth) throw tooDeep(this.limits.depth);
    const max = this.limits.parameters;
    if (count > max - this.keys) throw tooManyParameters(max);
    for (let i = 0; count === INDEFINITE ? !this.atBreak() : i < count; i++) {
      if (++this.keys > max) throw tooManyParameters(max);
      const b = this.initial();
      const info = b & 0x1f;
      if (b >> 5 !== MAJOR_TEXT) throw deserializationError("CBOR map keys must be text strings");
      this.string(MAJOR_TEXT, info < 24 ? info : this.argument(info), true);
      this.item(depth + 1);
    }
  }

  tag(depth: number, tag: number): void {
    if (!ALLOWED_TAGS.has(tag)) throw invalid(`tag ${tag} is not supported (accepted: dates, byte strings, bignums)`);
    if (tag === 55799) return this.item(depth);
    const b = this.initial();
    const major = b >> 5;
    const info = b & 0x1f;
    const arg = info < 24 ? info : this.argument(info);
    if (tag === 0 && major === MAJOR_TEXT && arg !== INDEFINITE) return this.string(MAJOR_TEXT, arg, false);
    if (tag === 1 && (major === 0 || major === 1 || (major === 7 && info >= 25 && info <= 27))) return;
    if (tag === 64 && major === 2 && arg !== INDEFINITE) return this.string(2, arg, false);
    if ((tag === 2 || tag === 3) && major === 2 && arg !== INDEFINITE) {
      if (arg > MAX_BIGNUM_BYTES) throw invalid(`a bignum of ${arg} bytes is longer than ${MAX_BIGNUM_BYTES}`);
      return this.string(2, arg, false);
    }
    throw invalid(`tag ${tag} holds an item of the wrong type`);
  }

  /** True (and the break consumed) when the next byte ends an indefinite-length item. */
  atBreak(): boolean {
    if (this.pos >= this.bytes.length) throw invalid("the body ends inside an item");
    if (this.bytes[this.pos] !== BREAK) return false;
    this.pos++;
    return true;
  }
}
