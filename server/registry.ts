import type { AnyServerFn } from "./server-fn.js";

/**
 * Every server function, by endpoint path. A second function at the same path is a
 * registration error that names both, so a typo or a copy-paste never silently shadows
 * an endpoint.
 */
export class Registry {
  readonly byPath = new Map<string, AnyServerFn>();
  readonly byName = new Map<string, AnyServerFn>();
  /** prefixes in use, so an unknown path under one gets a 404 envelope */
  readonly prefixes = new Set<string>();

  add(fn: AnyServerFn): void {
    const sameName = this.byName.get(fn.name);
    if (sameName) {
      throw new Error(
        `isoform: two server functions are named "${fn.name}" (at ${sameName.path} and ${fn.path}); names must be unique`,
      );
    }
    const samePath = this.byPath.get(fn.path);
    if (samePath) {
      throw new Error(
        `isoform: server functions "${samePath.name}" and "${fn.name}" both use the path ${fn.path}; ` +
          `give one of them another \`name\` or \`endpoint\``,
      );
    }
    this.byPath.set(fn.path, fn);
    this.byName.set(fn.name, fn);
    this.prefixes.add(fn.prefix);
  }

  private manifests = new Map<string, { size: number; json: string }>();

  /**
   * `{ name: { path, method, encoding } }` for every function, as JSON, for stubs made by
   * name (docs/client.md). `base` is where isoform is mounted. Rebuilt when functions are added.
   */
  manifest(base = ""): string {
    const cached = this.manifests.get(base);
    if (cached && cached.size === this.byName.size) return cached.json;
    const entries: Record<string, { path: string; method: string; encoding: string }> = {};
    for (const [name, fn] of this.byName) entries[name] = { path: base + fn.path, method: fn.method, encoding: fn.encoding };
    const json = JSON.stringify(entries);
    this.manifests.set(base, { size: this.byName.size, json });
    return json;
  }

  /** Finds a function by its value, its name or its path. */
  get(ref: AnyServerFn | string): AnyServerFn | undefined {
    if (typeof ref !== "string") return ref;
    return this.byName.get(ref) ?? this.byPath.get(ref);
  }

  /** True when `pathname` lies under a prefix of a registered function. */
  underPrefix(pathname: string): boolean {
    for (const p of this.prefixes) if (pathname.startsWith(p + "/")) return true;
    return false;
  }
}

/** The registry `serverFn` adds to unless told otherwise. */
export const defaultRegistry = new Registry();
