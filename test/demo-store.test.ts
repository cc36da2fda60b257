import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rmSync } from "node:fs";
import pg from "pg";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { PgStore } from "../examples/todo/pg-store.js";
import { SqliteStore } from "../examples/todo/sqlite-store.js";
import type { TodoStore } from "../examples/todo/store.js";
import { runScaled, scaledUnavailable, type Scaled } from "../scripts/scaled.mjs";

/**
 * The demo's two stores held to one suite, as Hono runs one router suite against each
 * router: the same calls give the same answers on SQLite and on PostgreSQL. SQLite always
 * runs; PostgreSQL runs on the throw-away cluster of `npm run start:scaled` (one instance,
 * through scripts/scaled.mjs, as test/scaled.test.ts does), in a database of its own, and
 * is skipped, with the reason, where Debian's PostgreSQL and nginx are not installed.
 */

interface Harness {
  /** an empty store, ids starting again from 1 */
  fresh(): Promise<TodoStore>;
}

const SIZE = 50;

function storeSuite(harness: () => Harness) {
  let store: TodoStore;
  beforeEach(async () => {
    store = await harness().fresh();
  });

  async function addMany(n: number): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 1; i <= n; i++) ids.push((await store.add(`Todo ${i}`)).id);
    return ids;
  }

  describe("list({ page, size })", () => {
    it("an empty list has one empty page", async () => {
      expect(await store.list({ page: 1, size: SIZE })).toEqual({ todos: [], total: 0, page: 1, pages: 1, size: SIZE });
      expect(await store.list({ page: 7, size: SIZE })).toEqual({ todos: [], total: 0, page: 1, pages: 1, size: SIZE });
    });

    it("gives 120 todos as pages of 50, 50 and 20, oldest first, each with the total", async () => {
      const ids = await addMany(120);
      const pages = await Promise.all([1, 2, 3].map((page) => store.list({ page, size: SIZE })));
      expect(pages.map((p) => p.todos.length)).toEqual([50, 50, 20]);
      expect(pages.map((p) => p.page)).toEqual([1, 2, 3]);
      for (const p of pages) expect(p).toMatchObject({ total: 120, pages: 3, size: SIZE });
      expect(pages.flatMap((p) => p.todos.map((t) => t.id))).toEqual(ids);
      expect(pages[1].todos[0]).toEqual({ id: ids[50], title: "Todo 51", completed: false });
      expect(pages[2].todos.at(-1)).toEqual({ id: ids[119], title: "Todo 120", completed: false });
    });

    it("clamps any page to one that exists: below 1, not a number, a fraction, past the last", async () => {
      await addMany(120);
      const pageOf = async (page: number) => (await store.list({ page, size: SIZE })).page;
      for (const page of [0, -1, -Infinity, Number.NaN, 0.5]) expect(await pageOf(page), String(page)).toBe(1);
      expect(await pageOf(2.7)).toBe(2);
      for (const page of [4, 99, 2 ** 31, 1e300, Infinity]) expect(await pageOf(page), String(page)).toBe(3);
      const last = await store.list({ page: 99, size: SIZE });
      expect(last.todos.map((t) => t.title)).toEqual(Array.from({ length: 20 }, (_, i) => `Todo ${101 + i}`));
    });

    it("a list that fills its pages exactly has no empty page after them", async () => {
      await addMany(100);
      const last = await store.list({ page: 3, size: SIZE });
      expect(last).toMatchObject({ page: 2, pages: 2, total: 100 });
      expect(last.todos).toHaveLength(50);
    });

    it("counts what it lists: a delete moves the next page's first todo up", async () => {
      const ids = await addMany(51);
      expect((await store.list({ page: 2, size: SIZE })).todos.map((t) => t.id)).toEqual([ids[50]]);
      await store.delete(ids[0]);
      const first = await store.list({ page: 1, size: SIZE });
      expect(first).toMatchObject({ total: 50, pages: 1 });
      expect(first.todos.at(-1)?.id).toBe(ids[50]);
      expect((await store.list({ page: 2, size: SIZE })).page).toBe(1);
    });

    it("shows each todo's state", async () => {
      const [a, b] = await addMany(2);
      await store.toggle(b);
      expect((await store.list({ page: 1, size: SIZE })).todos).toEqual([
        { id: a, title: "Todo 1", completed: false },
        { id: b, title: "Todo 2", completed: true },
      ]);
    });

    it("refuses a page size that is not a whole number from 1 on (the app's mistake, not the user's)", async () => {
      for (const size of [0, -5, 2.5, Number.NaN]) {
        await expect(store.list({ page: 1, size }), String(size)).rejects.toThrow(/page size must be a whole number from 1 on/);
      }
    });
  });

  describe("delete(id)", () => {
    it("returns the todo as it was, and undefined once it is gone", async () => {
      const todo = await store.add("Buy milk");
      await store.toggle(todo.id);
      expect(await store.delete(todo.id)).toEqual({ id: todo.id, title: "Buy milk", completed: true });
      expect(await store.delete(todo.id)).toBeUndefined();
      expect((await store.list({ page: 1, size: SIZE })).total).toBe(0);
    });

    it("returns undefined for an id that never was, however large", async () => {
      await store.add("Stays");
      for (const id of [999, 2 ** 31, Number.MAX_SAFE_INTEGER]) expect(await store.delete(id), String(id)).toBeUndefined();
      expect((await store.list({ page: 1, size: SIZE })).total).toBe(1);
    });
  });
}

describe("SqliteStore", () => {
  const dir = join(tmpdir(), `isoform-demo-store-${process.pid}-${Date.now().toString(36)}`);
  const opened: SqliteStore[] = [];
  let n = 0;
  afterAll(async () => {
    for (const s of opened) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // A file, as the demo uses (WAL mode and all), a new one per test.
  storeSuite(() => ({
    fresh: async () => {
      const store = new SqliteStore(join(dir, `todos-${++n}.sqlite`));
      opened.push(store);
      return store;
    },
  }));
});

const unavailable = scaledUnavailable({ install: true });
if (unavailable) console.warn(`test/demo-store.test.ts: the PostgreSQL store's tests are skipped: ${unavailable}`);

describe.skipIf(!!unavailable)(unavailable ? `PgStore (skipped: ${unavailable})` : "PgStore", () => {
  let scaled: Scaled;
  let admin: pg.Client;
  let store: PgStore;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = join(tmpdir(), `isoform-demo-store-pg-${process.pid}-${Date.now().toString(36)}`);
    scaled = await runScaled({
      PORT: String(await freePort()),
      ISOFORM_INSTANCES: "1",
      ISOFORM_DATA_DIR: dataDir,
      ISOFORM_SECRET: "demo-store-test-secret",
      NODE_ENV: "production",
    });
    // A database of its own: the instance's tables are left alone.
    admin = new pg.Client({ connectionString: scaled.databaseUrl });
    await admin.connect();
    await admin.query("CREATE DATABASE store_test");
    store = await PgStore.open(withDatabase(scaled.databaseUrl, "store_test"), { max: 4 });
  }, 180_000);

  afterAll(async () => {
    await store?.close().catch(() => {});
    await admin?.end().catch(() => {});
    if (scaled) await scaled.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  storeSuite(() => ({
    fresh: async () => {
      const reset = new pg.Client({ connectionString: withDatabase(scaled.databaseUrl, "store_test") });
      await reset.connect();
      await reset.query("TRUNCATE todos RESTART IDENTITY");
      await reset.end();
      return store;
    },
  }));
});

/**
 * The same server, another database: `postgresql://isoform@/isoform?host=…` → `…@/<name>?host=…`.
 * (Not through `URL`: a user with an empty host, the Unix-socket form, is no valid URL to it.)
 */
function withDatabase(url: string, name: string): string {
  const m = /^(postgres(?:ql)?:\/\/[^/]*)\/[^?]*(\?.*)?$/.exec(url);
  if (!m) throw new Error(`demo-store.test: DATABASE_URL ${url} has no database to replace`);
  return `${m[1]}/${name}${m[2] ?? ""}`;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
