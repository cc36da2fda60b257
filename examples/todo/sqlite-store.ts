import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { checkPageSize, pageCount, wantedPage, type PageRequest, type Profile, type Todo, type TodoPage, type TodoStore } from "./store.js";

/**
 * The demo's data in one SQLite file, created on first start: the default, for one
 * process. better-sqlite3 is synchronous; the methods are async only to match TodoStore.
 */
export class SqliteStore implements TodoStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ":memory:") mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS todos (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        title TEXT NOT NULL,
        completed INTEGER NOT NULL DEFAULT 0
      );
      CREATE TABLE IF NOT EXISTS profile (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        data TEXT NOT NULL,
        avatar_type TEXT,
        avatar BLOB
      );
    `);
  }

  async list({ page, size }: PageRequest): Promise<TodoPage> {
    checkPageSize(size);
    // One read transaction: the count and the page come from the same state of the file.
    return this.db.transaction(() => {
      const { total } = this.db.prepare("SELECT count(*) AS total FROM todos").get() as { total: number };
      const pages = pageCount(total, size);
      const at = Math.min(wantedPage(page), pages);
      const todos = this.db.prepare("SELECT id, title, completed FROM todos ORDER BY id LIMIT ? OFFSET ?").all(size, (at - 1) * size).map(toTodo);
      return { todos, total, page: at, pages, size };
    })();
  }

  async add(title: string): Promise<Todo> {
    return toTodo(this.db.prepare("INSERT INTO todos (title) VALUES (?) RETURNING id, title, completed").get(title));
  }

  async toggle(id: number): Promise<Todo | undefined> {
    const row = this.db.prepare("UPDATE todos SET completed = 1 - completed WHERE id = ? RETURNING id, title, completed").get(id);
    return row ? toTodo(row) : undefined;
  }

  async delete(id: number): Promise<Todo | undefined> {
    const row = this.db.prepare("DELETE FROM todos WHERE id = ? RETURNING id, title, completed").get(id);
    return row ? toTodo(row) : undefined;
  }

  async profile(): Promise<Profile | undefined> {
    const row = this.db.prepare("SELECT data, avatar_type, avatar FROM profile WHERE id = 1").get() as
      | { data: string; avatar_type: string | null; avatar: Buffer | null }
      | undefined;
    if (!row) return undefined;
    const profile = JSON.parse(row.data) as Profile;
    if (row.avatar && row.avatar_type) profile.avatar = { type: row.avatar_type, bytes: row.avatar };
    return profile;
  }

  async saveProfile(p: Profile): Promise<void> {
    const { avatar, ...data } = p;
    // One statement: a profile saved without an avatar keeps the one already saved.
    this.db
      .prepare(
        `INSERT INTO profile (id, data, avatar_type, avatar) VALUES (1, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET data = excluded.data,
           avatar_type = coalesce(excluded.avatar_type, avatar_type), avatar = coalesce(excluded.avatar, avatar)`,
      )
      .run(JSON.stringify(data), avatar?.type ?? null, avatar ? Buffer.from(avatar.bytes) : null);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function toTodo(row: unknown): Todo {
  const r = row as { id: number; title: string; completed: number };
  return { id: r.id, title: r.title, completed: r.completed === 1 };
}
