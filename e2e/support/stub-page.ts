// The browser side of e2e/stubs-by-name.spec.ts: stubs made by name only — no path, method
// or encoding written here — call one function of each encoding and show what came back.
import { stub } from "../../client/index.js";

const NAMES = ["stub_url", "stub_json", "stub_cbor", "stub_get_json", "stub_get_cbor", "stub_multipart"];

for (const name of NAMES) {
  const out = document.getElementById(name)!;
  stub(name as never)({ title: `hello ${name}`, tags: ["a", "b"], empty: [] } as never).then(
    (value) => (out.textContent = JSON.stringify(value)),
    (error: Error) => (out.textContent = `error: ${error.message}`),
  );
}
