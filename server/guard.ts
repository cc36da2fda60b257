import type { CoreRequest } from "./core-request.js";

/** What a guard may look at: the request, before its body is read. */
export type GuardRequest = Pick<CoreRequest, "method" | "url" | "origin" | "header" | "req" | "request">;

/**
 * A check that runs before a server function decodes its input (after cross-origin
 * protection): `serverFn({ name, guard: [requireUser] }, …)`, or for every function
 * `isoform({ guard })`. It refuses by throwing a `ServerFnError` — give it a `location`
 * (`{ status: 401, location: "/login" }`) and a browser without JavaScript is sent there,
 * htmx gets `HX-Redirect`, a script gets the envelope — and it can return values that
 * the handler then finds on `ctx`, typed (`ctx.user`).
 */
export type Guard<Adds extends object = object> = (request: GuardRequest) => Adds | void | Promise<Adds | void>;

/** What a list of guards adds to `ctx`, as one type. */
export type GuardAdds<G extends readonly Guard[]> = G extends readonly [infer H, ...infer Rest extends readonly Guard[]]
  ? AddsOf<H> & GuardAdds<Rest>
  : unknown;

type AddsOf<G> = G extends (request: GuardRequest) => infer R ? (Exclude<Awaited<R>, void | undefined> extends infer A ? (A extends object ? A : unknown) : unknown) : unknown;

/**
 * Runs guards in order; returns what they add to `ctx` (undefined when none adds anything).
 * Synchronous guards cost no promise: this runs for every request of a guarded function.
 */
export async function runGuards(guards: readonly Guard[], request: GuardRequest): Promise<object | undefined> {
  let adds: object | undefined;
  for (const guard of guards) {
    let result = guard(request);
    if (result && typeof (result as Promise<unknown>).then === "function") result = await result;
    if (result && typeof result === "object") adds = Object.assign(adds ?? {}, result);
  }
  return adds;
}
