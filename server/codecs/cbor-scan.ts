import { isUtf8 } from "node:buffer";
import type { Limits } from "../limits.js";
import { deserializationError, FORBIDDEN_KEYS, forbiddenKey, nulByte, tooDeep, tooManyItems, tooManyParameters } from "../shape.js";

/**
 * The CBOR that isoform accepts (docs/protocol.md, "CBOR"): the JSON data model plus
 * dates, byte strings and bounded bignums, read and checked in one pass over the bytes, so
 * no hostile body allocates or computes more than its own size:
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
 * It also makes every check `checkShape` makes on JSON, with the same errors (depth, array
 * length, parameters, NUL characters, prototype keys), each before the value it guards is
 * built: a prototype name never becomes a key, an array is never sized past the bytes left.
 *
 * What it accepts decodes to the values cbor-x's `decode` gives (maps as plain objects,
 * byte strings as views of the body, tag 64 as a Uint8Array, 8-byte integers as bigints),
 * and what cbor-x would fail on after this scan (an indefinite-length string, a bigint or
 * an indefinite integer as a date) fails with cbor-x's message, once the whole body passed
 * the scan: test/cbor-decode.test.ts holds the two to each other. Reading it here rather
 * than scanning first and decoding with cbor-x after halves the passes over the bytes
 * (bench/README.md, "Decode throughput").
 */
export function decodeCbor(bytes: Uint8Array, limits: Limits): unknown {
  const reader = new Reader(bytes, limits);
  const value = reader.item(0);
  if (reader.pos !== bytes.length) throw invalid("trailing bytes after the first item; send one CBOR item");
  if (reader.unsupported !== undefined) throw deserializationError(`The body is not valid CBOR: ${reader.unsupported}`);
  return value;
}

/**
 * The checks of `decodeCbor` alone: refuses what isoform does not accept, and lets through
 * what cbor-x would refuse after it (test/cbor.test.ts describes the scan by this).
 */
export function scanCbor(bytes: Uint8Array, limits: Limits): void {
  const reader = new Reader(bytes, limits);
  reader.item(0);
  if (reader.pos !== bytes.length) throw invalid("trailing bytes after the first item; send one CBOR item");
}

/** Longest bignum accepted: 64 bytes is a 512-bit integer, far past any id or amount. */
export const MAX_BIGNUM_BYTES = 64;

const BREAK = 0xff;
/** the argument of an indefinite-length item */
const INDEFINITE = -1;
const MAJOR_TEXT = 3;
const ENDS_INSIDE = "the body ends inside an item";
const LONGER_THAN_BODY = "a string is longer than the body";
/** cbor-x 1.6 refuses indefinite-length strings, which the protocol allows. */
const INDEFINITE_STRING = "Indefinite length not supported for byte or text strings";
/** Text this long or longer is checked a 4-byte word at a time, in a body this long or longer. */
const LONG_TEXT = 16;
const WORDS_BODY = 256;
const NO_WORDS = new Uint32Array(0);
/** Text this long or longer is sliced from a block; shorter is made from its char codes. */
const SLICED_TEXT = 16;
/** In a body under WORDS_BODY, text shorter than this is made from its char codes too. */
const CODES_TEXT = 32;
/** One array of char codes per length from SLICED_TEXT to CODES_TEXT, filled for each string (one body is read at a time). */
const CODES: number[][] = Array.from({ length: CODES_TEXT }, (_, n) => new Array<number>(n).fill(0));
/**
 * The most of the body one latin1 block holds. A string sliced from it keeps it alive: a
 * handler that keeps a 16-character string keeps at most 1 KB (cbor-x's native string
 * reader sliced from blocks of up to 6 KB).
 */
const BLOCK = 1024;

function invalid(why: string) {
  return deserializationError(`The body is not CBOR that isoform accepts: ${why}`);
}

// ---------------------------------------------------------------- keys

/** The prototype names as bytes (they are ASCII), and which lengths they have. */
const FORBIDDEN = [...FORBIDDEN_KEYS].map((name) => Buffer.from(name, "latin1"));
const FORBIDDEN_LONGEST = Math.max(...FORBIDDEN.map((name) => name.length));
const FORBIDDEN_LENGTH = new Uint8Array(FORBIDDEN_LONGEST + 1);
for (const name of FORBIDDEN) FORBIDDEN_LENGTH[name.length] = 1;

/**
 * Keys already made, by a hash of their bytes: objects of one shape repeat their keys, and
 * a key found here costs neither a string nor V8's interning it as a property name. Only
 * ASCII keys that passed every check go in, so bytes equal to an entry's are a valid key.
 */
const KEY_CACHE_SIZE = 4096;
const CACHED_KEY_LONGEST = 32;
const keyCache: (string | undefined)[] = new Array(KEY_CACHE_SIZE).fill(undefined);

// A big-endian view of 8 bytes to turn a float's bits into a number.
const floatView = new DataView(new ArrayBuffer(8));

// ---------------------------------------------------------------- the reader

/** One body being read; `item` reads the item at `pos` at nesting depth `depth`. */
class Reader {
  pos = 0;
  /** keys read so far, in every map */
  keys = 0;
  /** the first thing cbor-x would fail on, reported once the whole body passed the checks */
  unsupported: string | undefined = undefined;
  readonly end: number;
  readonly maxDepth: number;
  readonly maxItems: number;
  readonly maxKeys: number;
  /** The body as 32-bit words from its first 4-aligned byte, `shift`, to check long text (none in a small body). */
  readonly words: Uint32Array;
  readonly shift: number;
  /** the body as a Buffer, to decode text with (made when first needed) */
  private asBuffer: Buffer | undefined = undefined;
  /** latin1 text of bytes [blockStart, blockEnd), ASCII text is sliced from */
  block = "";
  blockStart = 0;
  blockEnd = 0;

  constructor(
    readonly bytes: Uint8Array,
    limits: Limits,
  ) {
    const end = (this.end = bytes.length);
    this.maxDepth = limits.depth;
    this.maxItems = limits.arrayLength;
    this.maxKeys = limits.parameters;
    const shift = (this.shift = (4 - (bytes.byteOffset & 3)) & 3);
    this.words = end >= WORDS_BODY ? new Uint32Array(bytes.buffer, bytes.byteOffset + shift, (end - shift) >>> 2) : NO_WORDS;
  }

  get buffer(): Buffer {
    const bytes = this.bytes;
    return (this.asBuffer ??= Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  }

  /** The argument of a head whose additional information `info` is 24–27: 1, 2, 4 or 8 bytes. */
  argument(info: number): number {
    const bytes = this.bytes;
    const at = this.pos;
    const size = 1 << (info - 24);
    if (size > this.end - at) throw invalid(ENDS_INSIDE);
    this.pos = at + size;
    if (size === 1) return bytes[at]!;
    if (size === 2) return (bytes[at]! << 8) | bytes[at + 1]!;
    const high = bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
    if (size === 4) return high;
    // Past 2^53 the argument loses precision, harmlessly: such a length or count is refused
    // as longer than the body or over a limit, and such a tag is not allowed.
    return high * 0x100000000 + (bytes[at + 4]! * 0x1000000 + ((bytes[at + 5]! << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!));
  }

  item(depth: number): unknown {
    const bytes = this.bytes;
    for (;;) {
      if (this.pos >= this.end) throw invalid(ENDS_INSIDE);
      const b = bytes[this.pos++]!;
      const info = b & 0x1f;
      switch (b >> 5) {
        case 0:
          if (info < 24) return info;
          if (info === 27) return this.bigUint();
          if (info === 31) throw invalid("an integer cannot have indefinite length");
          return this.argumentOf(info);
        case 1:
          if (info < 24) return -1 - info;
          if (info === 27) return -1n - this.bigUint();
          if (info === 31) throw invalid("an integer cannot have indefinite length");
          return -1 - this.argumentOf(info);
        case 2:
          if (info === 31) return this.indefiniteString(2);
          return this.bytesOf(this.argumentOf(info));
        case MAJOR_TEXT:
          if (info === 31) return this.indefiniteString(MAJOR_TEXT);
          return this.text(this.argumentOf(info));
        case 4:
          return this.array(depth, info);
        case 5:
          return this.map(depth, info);
        case 6: {
          const tag = info < 24 ? info : info === 31 ? INDEFINITE : this.argumentOf(info);
          // The self-describe prefix tags the item after it, which is read in its place.
          if (tag === 55799) continue;
          return this.tagged(tag);
        }
        default:
          // major 7: false, true, null, undefined (20–23) and half/single/double floats (25–27)
          switch (info) {
            case 20:
              return false;
            case 21:
              return true;
            case 22:
              return null;
            case 23:
              return undefined;
            case 25:
            case 26:
            case 27:
              return this.float(info);
          }
          if (info === 31) throw invalid("an unexpected break");
          throw invalid(`simple value ${this.argumentOf(info)} is not supported`);
      }
    }
  }

  /** The argument of a head whose additional information `info` is not 31 (indefinite). */
  argumentOf(info: number): number {
    if (info < 24) return info;
    if (info > 27) throw invalid(`reserved additional information ${info}`);
    return this.argument(info);
  }

  /** An 8-byte unsigned integer, as cbor-x gives it: a bigint, whatever its value. */
  bigUint(): bigint {
    const bytes = this.bytes;
    const at = this.pos;
    if (8 > this.end - at) throw invalid(ENDS_INSIDE);
    this.pos = at + 8;
    const high = bytes[at]! * 0x1000000 + ((bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!);
    const low = bytes[at + 4]! * 0x1000000 + ((bytes[at + 5]! << 16) | (bytes[at + 6]! << 8) | bytes[at + 7]!);
    return (BigInt(high) << 32n) | BigInt(low);
  }

  /** A half, single or double float (additional information 25, 26, 27), as cbor-x reads it. */
  float(info: number): number {
    const bytes = this.bytes;
    const at = this.pos;
    const size = 1 << (info - 24);
    if (size > this.end - at) throw invalid(ENDS_INSIDE);
    this.pos = at + size;
    if (size === 2) {
      const high = bytes[at]!;
      const low = bytes[at + 1]!;
      const exponent = (high & 0x7f) >> 2;
      const sign = high & 0x80 ? -1 : 1;
      if (exponent === 0x1f) return low || high & 3 ? NaN : sign * Infinity;
      // Subnormal (exponent 0) or normal: exact in a double either way.
      const mantissa = ((high & 3) << 8) | low;
      return exponent === 0 ? sign * (mantissa / (1 << 24)) : sign * (1024 + mantissa) * 2 ** (exponent - 25);
    }
    for (let i = 0; i < size; i++) floatView.setUint8(i, bytes[at + i]!);
    return size === 4 ? floatView.getFloat32(0) : floatView.getFloat64(0);
  }

  /** A definite byte string's bytes: a view of the body, as cbor-x gives it. */
  bytesOf(length: number): Uint8Array {
    const start = this.pos;
    if (length > this.end - start) throw invalid(LONGER_THAN_BODY);
    this.pos = start + length;
    return this.bytes.subarray(start, start + length);
  }

  /** A definite text string of `length` bytes at `pos`: UTF-8 without NUL. */
  text(length: number): string {
    const start = this.pos;
    if (length > this.end - start) throw invalid(LONGER_THAN_BODY);
    const stop = (this.pos = start + length);
    if (!this.ascii(start, stop)) return this.nonAscii(start, stop);
    if (length < SLICED_TEXT) return this.short(start, length);
    // In a small body a block would hold one or two strings: not worth its native call.
    if (length < CODES_TEXT && this.end < WORDS_BODY) return this.fromCodes(start, length);
    if (start < this.blockStart || stop > this.blockEnd) {
      // A new block from here: one native call for the strings of the next kilobyte.
      this.blockStart = start;
      this.blockEnd = Math.min(this.end, start + Math.max(BLOCK, length));
      this.block = this.buffer.toString("latin1", start, this.blockEnd);
    }
    return this.block.slice(start - this.blockStart, stop - this.blockStart);
  }

  /**
   * True when `bytes[start, stop)` is ASCII from 1 to 0x7F, as most text is: one branch per
   * byte, or per word of four. Anything else is looked at by `nonAscii`.
   */
  ascii(start: number, stop: number): boolean {
    const bytes = this.bytes;
    let i = start;
    if (stop - start >= LONG_TEXT && this.words.length > 0) {
      const words = this.words;
      const shift = this.shift;
      // Bytes up to the first whole word, the words, then the bytes after the last one.
      for (const aligned = i + ((shift - i) & 3); i < aligned; i++) {
        if (((bytes[i]! - 1) >>> 0) >= 0x7f) return false;
      }
      const last = (stop - shift) >> 2;
      let w = (i - shift) >> 2;
      for (; w < last; w++) {
        // A byte over 0x7F sets its top bit in x; a zero byte (all bytes ASCII) sets it in
        // x - 0x01010101 by borrowing, and no byte from 1 to 0x7F does.
        const x = words[w]!;
        if (((x - 0x01010101) | x) & 0x80808080) return false;
      }
      i = shift + (w << 2);
    }
    for (; i < stop; i++) {
      // 0 wraps to 0xFFFFFFFF, so this is "NUL or not ASCII".
      if (((bytes[i]! - 1) >>> 0) >= 0x7f) return false;
    }
    return true;
  }

  /** Text with a byte that is not ASCII, or a NUL: refused unless it is UTF-8 without NUL. */
  nonAscii(start: number, stop: number): string {
    const text = this.bytes.subarray(start, stop);
    if (text.includes(0)) throw nulByte();
    if (!isUtf8(text)) throw invalid("a text string is not UTF-8");
    return this.buffer.toString("utf8", start, stop);
  }

  /** Short ASCII text from its char codes: cheaper than a native call. */
  short(start: number, length: number): string {
    const b = this.bytes;
    const s = start;
    switch (length) {
      case 0:
        return "";
      case 1:
        return String.fromCharCode(b[s]!);
      case 2:
        return String.fromCharCode(b[s]!, b[s + 1]!);
      case 3:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!);
      case 4:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!);
      case 5:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!);
      case 6:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!);
      case 7:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!);
      case 8:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!);
      case 9:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!);
      case 10:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!);
      case 11:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!);
      case 12:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!);
      case 13:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!);
      case 14:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!);
      case 15:
        return String.fromCharCode(b[s]!, b[s + 1]!, b[s + 2]!, b[s + 3]!, b[s + 4]!, b[s + 5]!, b[s + 6]!, b[s + 7]!, b[s + 8]!, b[s + 9]!, b[s + 10]!, b[s + 11]!, b[s + 12]!, b[s + 13]!, b[s + 14]!);
      default:
        return this.buffer.toString("latin1", start, start + length);
    }
  }

  /** ASCII text of 16 to 31 bytes from its char codes, through an array kept for its length. */
  fromCodes(start: number, length: number): string {
    const bytes = this.bytes;
    const codes = CODES[length]!;
    for (let i = 0; i < length; i++) codes[i] = bytes[start + i]!;
    return String.fromCharCode.apply(null, codes);
  }

  /** Definite chunks of major type `major` up to a break, checked; cbor-x refuses the string after. */
  indefiniteString(major: number): undefined {
    const bytes = this.bytes;
    for (;;) {
      if (this.pos >= this.end) throw invalid(ENDS_INSIDE);
      const c = bytes[this.pos++]!;
      if (c === BREAK) break;
      const info = c & 0x1f;
      const length = info === 31 ? INDEFINITE : this.argumentOf(info);
      if (c >> 5 !== major || length === INDEFINITE) throw invalid("a chunk of an indefinite-length string has the wrong type");
      if (major === MAJOR_TEXT) this.text(length);
      else this.bytesOf(length);
    }
    this.unsupported ??= INDEFINITE_STRING;
    return undefined;
  }

  array(depth: number, info: number): unknown[] {
    const count = info === 31 ? INDEFINITE : this.argumentOf(info);
    if (depth > this.maxDepth) throw tooDeep(this.maxDepth);
    const max = this.maxItems;
    if (count > max) throw tooManyItems(max);
    if (count !== INDEFINITE) {
      // Sized up front only when the body has a byte left for each item.
      const items: unknown[] = count <= this.end - this.pos ? new Array(count) : [];
      for (let i = 0; i < count; i++) items[i] = this.item(depth + 1);
      return items;
    }
    const items: unknown[] = [];
    for (let i = 0; !this.atBreak(); i++) {
      if (i >= max) throw tooManyItems(max);
      items[i] = this.item(depth + 1);
    }
    return items;
  }

  map(depth: number, info: number): Record<string, unknown> {
    const count = info === 31 ? INDEFINITE : this.argumentOf(info);
    if (depth > this.maxDepth) throw tooDeep(this.maxDepth);
    const max = this.maxKeys;
    if (count > max - this.keys) throw tooManyParameters(max);
    const object: Record<string, unknown> = {};
    for (let i = 0; count === INDEFINITE ? !this.atBreak() : i < count; i++) {
      if (++this.keys > max) throw tooManyParameters(max);
      const key = this.key();
      object[key] = this.item(depth + 1);
    }
    return object;
  }

  /** A map key: a definite-length text string that names no prototype property. */
  key(): string {
    const bytes = this.bytes;
    if (this.pos >= this.end) throw invalid(ENDS_INSIDE);
    const b = bytes[this.pos++]!;
    if (b >> 5 !== MAJOR_TEXT) throw deserializationError("CBOR map keys must be text strings");
    const info = b & 0x1f;
    // cbor-x would join the chunks of an indefinite-length key, and a prototype name could
    // hide split across them: refused whole.
    if (info === 31) throw invalid("a map key of indefinite length; send keys as definite text strings");
    const length = this.argumentOf(info);
    const start = this.pos;
    if (length > this.end - start) throw invalid(LONGER_THAN_BODY);
    const stop = start + length;
    let slot = -1;
    if (length <= CACHED_KEY_LONGEST && length > 0) {
      // The length and four bytes where keys of a kind differ (field_1, field_12, item_2_name);
      // keys that share them share a slot, and take it from each other.
      const last = bytes[stop - 1]!;
      const beforeLast = length > 1 ? bytes[stop - 2]! : 0;
      const hash = (length << 7) ^ (bytes[start]! << 5) ^ (bytes[start + (length >> 1)]! << 3) ^ (beforeLast << 1) ^ last ^ (last << 9);
      slot = hash & (KEY_CACHE_SIZE - 1);
      const cached = keyCache[slot];
      if (cached !== undefined && cached.length === length) {
        let i = 0;
        while (i < length && cached.charCodeAt(i) === bytes[start + i]) i++;
        if (i === length) {
          this.pos = stop;
          return cached;
        }
      }
    }
    // Any length encoding of a prototype name spells it with the same bytes (UTF-8 has one
    // form per character, and isUtf8 refuses overlong ones): the bytes are compared.
    const key = this.text(length);
    if (length <= FORBIDDEN_LONGEST && FORBIDDEN_LENGTH[length] === 1) refuseForbidden(bytes, start, length);
    // Only a flat ASCII string goes in: a sliced one would keep its block alive.
    if (slot >= 0 && key.length === length) keyCache[slot] = length < SLICED_TEXT ? key : this.buffer.toString("latin1", start, stop);
    return key;
  }

  /** The item of tag `tag` (its head read), built as cbor-x builds it. */
  tagged(tag: number): unknown {
    if (tag !== 0 && tag !== 1 && tag !== 2 && tag !== 3 && tag !== 64) throw invalid(`tag ${tag} is not supported (accepted: dates, byte strings, bignums)`);
    if (this.pos >= this.end) throw invalid(ENDS_INSIDE);
    const t = this.bytes[this.pos++]!;
    const major = t >> 5;
    const info = t & 0x1f;
    if (tag === 1) {
      // a number of seconds: an integer, or a float
      if (major === 7 && info >= 25 && info <= 27) return new Date(Math.round(this.float(info) * 1000));
      if (major === 0 || major === 1) {
        if (info === 31) {
          this.unsupported ??= `Invalid major type for indefinite length ${major}`;
          return undefined;
        }
        if (info === 27) {
          this.bigUint();
          // cbor-x multiplies the bigint by 1000, and fails.
          this.unsupported ??= "Cannot mix BigInt and other types, use explicit conversions";
          return undefined;
        }
        const n = this.argumentOf(info);
        return new Date(Math.round((major === 0 ? n : -1 - n) * 1000));
      }
    }
    const arg = info === 31 ? INDEFINITE : this.argumentOf(info);
    if (arg !== INDEFINITE) {
      if (tag === 0 && major === MAJOR_TEXT) return new Date(this.text(arg));
      if (tag === 64 && major === 2) {
        const view = this.bytesOf(arg);
        return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      }
      if ((tag === 2 || tag === 3) && major === 2) {
        if (arg > MAX_BIGNUM_BYTES) throw invalid(`a bignum of ${arg} bytes is longer than ${MAX_BIGNUM_BYTES}`);
        const digits = this.bytesOf(arg);
        let value = 0n;
        for (let i = 0; i < digits.length; i++) value = BigInt(digits[i]!) + (value << 8n);
        return tag === 2 ? value : -1n - value;
      }
    }
    throw invalid(`tag ${tag} holds an item of the wrong type`);
  }

  /** True (and the break consumed) when the next byte ends an indefinite-length item. */
  atBreak(): boolean {
    if (this.pos >= this.end) throw invalid(ENDS_INSIDE);
    if (this.bytes[this.pos] !== BREAK) return false;
    this.pos++;
    return true;
  }
}

/** Refuses the key `bytes[start, start + length)` if it spells a prototype name. */
function refuseForbidden(bytes: Uint8Array, start: number, length: number): void {
  names: for (const name of FORBIDDEN) {
    if (name.length !== length) continue;
    for (let i = 0; i < length; i++) if (bytes[start + i] !== name[i]) continue names;
    throw forbiddenKey(name.toString("latin1"));
  }
}
