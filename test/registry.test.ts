import { describe, expect, it } from "vitest";
import { Registry, serverFn } from "../server/index.js";

describe("registry", () => {
  it("refuses a second function at the same path, naming both", () => {
    const registry = new Registry();
    serverFn({ name: "first", endpoint: "shared", registry }, () => 1);
    expect(() => serverFn({ name: "second", endpoint: "shared", registry }, () => 2)).toThrow(
      /"first" and "second" both use the path \/api\/shared/,
    );
  });

  it("refuses a second function with the same name", () => {
    const registry = new Registry();
    serverFn({ name: "twin", registry }, () => 1);
    expect(() => serverFn({ name: "twin", prefix: "/other", registry }, () => 2)).toThrow(/two server functions are named "twin"/);
  });

  it("allows the same endpoint under different prefixes", () => {
    const registry = new Registry();
    serverFn({ name: "a", endpoint: "x", registry }, () => 1);
    const b = serverFn({ name: "b", endpoint: "x", prefix: "/v2", registry }, () => 2);
    expect(b.path).toBe("/v2/x");
    expect(registry.get("/api/x")?.name).toBe("a");
  });
});
