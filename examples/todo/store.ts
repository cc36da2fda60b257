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

/**
 * The demo's data, whichever database holds it: SQLite in a file (sqlite-store.ts, the
 * default) or a PostgreSQL server shared by several instances (pg-store.ts). Every method
 * is async, as a database server's must be; each implementation creates its schema when
 * it opens.
 */
export interface TodoStore {
  list(): Promise<Todo[]>;
  add(title: string): Promise<Todo>;
  /** the todo after the change, or undefined when there is no such todo */
  toggle(id: number): Promise<Todo | undefined>;
  /** false when there was no such todo */
  delete(id: number): Promise<boolean>;
  profile(): Promise<Profile | undefined>;
  /** saves the profile; without an avatar, the saved one is kept */
  saveProfile(profile: Profile): Promise<void>;
  close(): Promise<void>;
}
