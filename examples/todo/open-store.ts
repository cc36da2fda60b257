import { join } from "node:path";
import type { TodoStore } from "./store.js";

/**
 * The store the environment asks for: PostgreSQL when `DATABASE_URL` is set (several
 * instances can share it), otherwise SQLite in `<dataDir>/todos.sqlite`. Each driver is
 * imported only when used, so the SQLite demo never loads `pg`, nor the other way round.
 */
export async function openStore({ databaseUrl, dataDir }: { databaseUrl?: string; dataDir: string }): Promise<{ store: TodoStore; where: string }> {
  if (databaseUrl) {
    const { PgStore } = await import("./pg-store.js");
    return { store: await PgStore.open(databaseUrl), where: `PostgreSQL ${describeUrl(databaseUrl)}` };
  }
  const { SqliteStore } = await import("./sqlite-store.js");
  const file = join(dataDir, "todos.sqlite");
  return { store: new SqliteStore(file), where: file };
}

/** The URL without its password, for the start-up line. */
function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.password = "";
    return u.toString();
  } catch {
    return "(DATABASE_URL)";
  }
}
