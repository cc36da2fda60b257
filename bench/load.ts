import autocannon from "autocannon";

export interface Request {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** responses with a status other than the expected one */
  unexpected: number;
  /** requests completed */
  total: number;
}

/** Loads one server with one request shape for `seconds`, from this process, over 127.0.0.1. */
export async function load(url: string, req: Request, seconds: number, expectStatus: number, connections = 16): Promise<Measured> {
  let unexpected = 0;
  const result = await autocannon({
    url: url + req.path,
    method: req.method,
    headers: req.headers,
    body: req.body,
    connections,
    duration: seconds,
    // Counting statuses per response costs the load generator little and catches a server
    // that answers fast because it answers wrongly.
    setupClient: (client) => {
      client.on("response", ((status: number) => void (status !== expectStatus && unexpected++)) as never);
    },
  });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.timeouts, unexpected, total: result.requests.total };
}

/** Sends `amount` requests as fast as the connections allow (for the memory run). */
export async function blast(url: string, reqs: Request[], amount: number): Promise<void> {
  await autocannon({ url, connections: 16, amount, requests: reqs.map((r) => ({ method: r.method, path: r.path, headers: r.headers, body: r.body })) });
}
