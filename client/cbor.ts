// The CBOR codec, bundled into its own chunk: loaded only by pages that call a CBOR function.
export { encode, decode } from "cbor-x";
