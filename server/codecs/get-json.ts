import { encodeJson, type Codec } from "./codec.js";
import { parseQuery } from "./qs-parse.js";

/** `get-json`: GET, input in the query string (qs syntax), JSON out. Read-only functions only. */
export const getJsonCodec: Codec = {
  encoding: "get-json",
  responseType: "application/json; charset=utf-8",
  async decode({ query, limits }) {
    return parseQuery(query, limits);
  },
  encode: encodeJson,
};
