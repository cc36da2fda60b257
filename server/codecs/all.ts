import type { Encoding } from "../../protocol/wire.js";
import { cborCodec } from "./cbor.js";
import type { Codec } from "./codec.js";
import { getCborCodec } from "./get-cbor.js";
import { getJsonCodec } from "./get-json.js";
import { jsonCodec } from "./json.js";
import { multipartCodec } from "./multipart.js";
import { urlCodec } from "./url.js";

export type { Codec, DecodeInput } from "./codec.js";

/** Every encoding of docs/protocol.md §2, by name. */
export const CODECS: Record<Encoding, Codec> = {
  url: urlCodec,
  "get-json": getJsonCodec,
  json: jsonCodec,
  cbor: cborCodec,
  "get-cbor": getCborCodec,
  multipart: multipartCodec,
};
