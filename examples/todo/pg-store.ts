import pg from "pg";
import { checkPageSize, pageCount, wantedPage, type PageRequest, type Profile, type Todo, type TodoPage, type TodoStore } from "./store.js";

/** Ids are PostgreSQL `integer`s: a larger id is no todo, not a query error. */
const MAX_ID = 2 ** 31 - 1;
/** Any constant: instances starting together create the schema one after another. */
const SCHEMA_LOCK = 0x150f0;

/**
 * The demo's data on a PostgreSQL server (`DATABASE_URL`), for several instances sharing
 * it. Each statement is one transaction and answers only once committed, so a todo whose
 * `add` was answered is in the database even if this process dies right after.
 */
export class PgStore implements TodoStore {
  private constructor(private readonly pool: pg.Pool) {}

  /** Connects and creates the schema when missing. */
  static async open(connectionString: string, { max = 10 } = {}): Promise<PgStore> {
    const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 10_000 });
    // An idle connection the server closes (a restart) emits here; unhandled, it would end the process.
    pool.on("error", (err) => console.error(`demo: idle PostgreSQL connection lost: ${err.message}`));
    const client = await pool.connect();
    try {
      // CREATE TABLE IF NOT EXISTS is not safe against itself: two instances starting at
      // once can both try, and one fails on pg_type's unique index. A lock orders them.
      await client.query("BEGIN");
      await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK]);
      await client.query(`
        CREATE TABLE IF NOT EXISTS todos (
          id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
          title text NOT NULL,
          completed boolean NOT NULL DEFAULT false
        );
        CREATE TABLE IF NOT EXISTS profile (
          id integer PRIMARY KEY CHECK (id = 1),
          data jsonb NOT NULL,
          avatar_type text,
          avatar bytea
        );
      `);
      await client.query("COMMIT");
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
      await pool.end();
      throw err;
    }
    client.release();
    return new PgStore(pool);
  }

  async list({ page, size }: PageRequest): Promise<TodoPage> {
    checkPageSize(size);
    // One statement, so one snapshot: the count and the page agree even while other
    // instances write. The page is clamped here as pageCount() does in TypeScript (the
    // shared store tests hold both stores to the same answers).
    const { rows } = await this.pool.query<{ total: number; page: number; id: number | null; title: string | null; completed: boolean | null }>(
      `WITH counted AS (SELECT count(*)::int AS total FROM todos),
            at AS (SELECT total, least($1::bigint, greatest(1, ceil(total::numeric / $2::int)))::int AS page FROM counted)
       SELECT at.total, at.page, t.id, t.title, t.completed
       FROM at LEFT JOIN LATERAL (
         SELECT id, title, completed FROM todos ORDER BY id LIMIT $2::int OFFSET (at.page - 1)::bigint * $2::int
       ) t ON true
       ORDER BY t.id`,
      [wantedPage(page), size],
    );
    const { total, page: at } = rows[0];
    const todos = rows.filter((r) => r.id !== null).map((r) => ({ id: r.id!, title: r.title!, completed: r.completed! }));
    return { todos, total, page: at, pages: pageCount(total, size), size };
  }

  async add(title: string): Promise<Todo> {
    const { rows } = await this.pool.query<Todo>("INSERT INTO todos (title) VALUES ($1) RETURNING id, title, completed", [title]);
    return rows[0];
  }

  async toggle(id: number): Promise<Todo | undefined> {
    if (id > MAX_ID) return undefined;
    const { rows } = await this.pool.query<Todo>("UPDATE todos SET completed = NOT completed WHERE id = $1 RETURNING id, title, completed", [id]);
    return rows[0];
  }

  async delete(id: number): Promise<Todo | undefined> {
    if (id > MAX_ID) return undefined;
    const { rows } = await this.pool.query<Todo>("DELETE FROM todos WHERE id = $1 RETURNING id, title, completed", [id]);
    return rows[0];
  }

  async profile(): Promise<Profile | undefined> {
    const { rows } = await this.pool.query<{ data: Omit<Profile, "avatar">; avatar_type: string | null; avatar: Buffer | null }>(
      "SELECT data, avatar_type, avatar FROM profile WHERE id = 1",
    );
    const row = rows[0];
    if (!row) return undefined;
    const profile: Profile = row.data;
    if (row.avatar && row.avatar_type) profile.avatar = { type: row.avatar_type, bytes: row.avatar };
    return profile;
  }

  async saveProfile(p: Profile): Promise<void> {
    const { avatar, ...data } = p;
    // One statement: a profile saved without an avatar keeps the one already saved, even
    // when another instance saves at the same moment.
    await this.pool.query(
      `INSERT INTO profile (id, data, avatar_type, avatar) VALUES (1, $1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data,
         avatar_type = coalesce(EXCLUDED.avatar_type, profile.avatar_type), avatar = coalesce(EXCLUDED.avatar, profile.avatar)`,
      [JSON.stringify(data), avatar?.type ?? null, avatar ? Buffer.from(avatar.bytes) : null],
    );
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
