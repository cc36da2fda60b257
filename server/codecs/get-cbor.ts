import { CONTENT_TYPE } from "../../protocol/wire.js";
import type { Codec } from "./codec.js";
import { cborCodec } from "./cbor.js";
import { parseQuery } from "./qs-parse.js";

/** `get-cbor`: GET, input in the query string, CBOR out. Read-only functions only. */
export const getCborCodec: Codec = {
  encoding: "get-cbor",
  responseType: CONTENT_TYPE.cbor,
  async decode({ query, limits }) {
    return parseQuery(query, limits);
  },
  encode: cborCodec.encode,
};
