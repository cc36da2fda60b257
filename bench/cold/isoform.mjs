// Cold start of the installed package: plain node, the compiled `isoform` (no tsx), one
// url function on the node:http handler. Prints LISTENING once it accepts connections.
import { createServer } from "node:http";
import { createRequestHandler, serverFn } from "isoform";

serverFn({ name: "ping" }, async (input) => ({ pong: input.x ?? null }));
const handler = createRequestHandler({ secret: "bench" });
const server = createServer(handler).listen(0, "127.0.0.1", () => console.log(`LISTENING ${server.address().port}`));
