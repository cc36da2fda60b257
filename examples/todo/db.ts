import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";

export interface Todo {
  id: number;
  title: string;
  completed: boolean;
}

export interface Profile {
  name: string;
  email: string;
  address: { street: string; city: string };
  tags: string[];
  avatar?: { type: string; bytes: Uint8Array };
}

/** The demo's data in one SQLite file, created on first start. */
export class Store {
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

  list(): Todo[] {
    return this.db.prepare("SELECT id, title, completed FROM todos ORDER BY id").all().map(toTodo);
  }

  add(title: string): Todo {
    const row = this.db.prepare("INSERT INTO todos (title) VALUES (?) RETURNING id, title, completed").get(title);
    return toTodo(row);
  }

  toggle(id: number): Todo | undefined {
    const row = this.db.prepare("UPDATE todos SET completed = 1 - completed WHERE id = ? RETURNING id, title, completed").get(id);
    return row ? toTodo(row) : undefined;
  }

  delete(id: number): boolean {
    return this.db.prepare("DELETE FROM todos WHERE id = ?").run(id).changes > 0;
  }

  profile(): Profile | undefined {
    const row = this.db.prepare("SELECT data, avatar_type, avatar FROM profile WHERE id = 1").get() as
      | { data: string; avatar_type: string | null; avatar: Buffer | null }
      | undefined;
    if (!row) return undefined;
    const profile = JSON.parse(row.data) as Profile;
    if (row.avatar && row.avatar_type) profile.avatar = { type: row.avatar_type, bytes: row.avatar };
    return profile;
  }

  saveProfile(p: Profile): void {
    const { avatar, ...data } = p;
    const prev = this.profile()?.avatar;
    const keep = avatar ?? prev;
    this.db
      .prepare("INSERT OR REPLACE INTO profile (id, data, avatar_type, avatar) VALUES (1, ?, ?, ?)")
      .run(JSON.stringify(data), keep?.type ?? null, keep ? Buffer.from(keep.bytes) : null);
  }

  close(): void {
    this.db.close();
  }
}

function toTodo(row: unknown): Todo {
  const r = row as { id: number; title: string; completed: number };
  return { id: r.id, title: r.title, completed: r.completed === 1 };
}
