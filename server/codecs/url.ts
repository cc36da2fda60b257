import { CONTENT_TYPE } from "../../protocol/wire.js";
import { readBody } from "../body.js";
import { encodeJson, type Codec } from "./codec.js";
import { parseQuery } from "./qs-parse.js";

/** `url` (default): POST, `application/x-www-form-urlencoded` in qs bracket syntax, JSON out. */
export const urlCodec: Codec = {
  encoding: "url",
  accepts: CONTENT_TYPE.url,
  responseType: "application/json; charset=utf-8",
  async decode({ req, limits }) {
    const body = await readBody(req, limits.bodySize, limits.bodyTimeout);
    return parseQuery(body.toString("utf8"), limits);
  },
  encode: encodeJson,
};
