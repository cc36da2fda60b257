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

/** Which page of the list to read: `page` is 1-based, `size` todos a page. */
export interface PageRequest {
  page: number;
  size: number;
}

/** One page of the list, oldest first, with what the page's navigation needs. */
export interface TodoPage {
  todos: Todo[];
  /** todos in the whole list */
  total: number;
  /** the page given: the one asked for, clamped to 1…pages */
  page: number;
  /** how many pages the list has (at least 1, even when empty) */
  pages: number;
  size: number;
}

/** Pages past this one are read as the last page (PostgreSQL's OFFSET is a bigint; this keeps it far from overflow). */
const MAX_PAGE = 2 ** 31 - 1;

/**
 * The page asked for as a whole number from 1 on, before the last page is known: anything
 * else a query string can hold (a missing, empty, negative or non-numeric `?page=`) reads as
 * the first page, a fraction as the page it falls in, and a huge number as the last page.
 * Both stores use it; each then clamps it to the last page with the count it reads.
 */
export function wantedPage(page: number): number {
  if (Number.isNaN(page) || page < 1) return 1;
  return Math.min(Math.floor(page), MAX_PAGE);
}

/** How many pages `total` todos make, `size` a page: 1 when empty, so page 1 always exists. */
export function pageCount(total: number, size: number): number {
  return Math.max(1, Math.ceil(total / size));
}

/** A page size is the app's own choice, never the user's: a wrong one is a programming error. */
export function checkPageSize(size: number): void {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`demo: a page size must be a whole number from 1 on, not ${size}`);
}

/**
 * The demo's data, whichever database holds it: SQLite in a file (sqlite-store.ts, the
 * default) or a PostgreSQL server shared by several instances (pg-store.ts). Every method
 * is async, as a database server's must be; each implementation creates its schema when
 * it opens.
 */
export interface TodoStore {
  /**
   * One page of the todos, oldest first (by id). Any `page` is accepted and clamped to a
   * page that exists (`wantedPage`, then the last page); the answer says which page it is.
   * The count and the page are read together, so they agree.
   */
  list(at: PageRequest): Promise<TodoPage>;
  add(title: string): Promise<Todo>;
  /** the todo after the change, or undefined when there is no such todo */
  toggle(id: number): Promise<Todo | undefined>;
  /** the todo deleted, as it was, or undefined when there was no such todo */
  delete(id: number): Promise<Todo | undefined>;
  profile(): Promise<Profile | undefined>;
  /** saves the profile; without an avatar, the saved one is kept */
  saveProfile(profile: Profile): Promise<void>;
  close(): Promise<void>;
}
