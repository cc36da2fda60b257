import { createWriteStream } from "node:fs";
import { mkdir, readdir, stat } from "node:fs/promises";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { z } from "zod";
import { isUploadedFile, serverFn, ServerFnError, type UploadedFile } from "isoform";
import type { Todo, TodoPage, TodoStore } from "./store.js";
import { views } from "./views.js";

/**
 * The demo's server functions. They live at module level, so a browser stub can be typed
 * with `import type { addTodo } from "./functions.js"`; the store they use is set once by
 * `createApp`.
 */
let current: TodoStore | undefined;

export function useStore(store: TodoStore): void {
  current = store;
}

function store(): TodoStore {
  if (!current) throw new Error("demo: useStore() was not called before a server function ran");
  return current;
}

/** Where the profile's attachments are kept (set by `createApp`; files on disk, not in the database). */
let attachmentsDir = "data/attachments";

export function useAttachmentsDir(dir: string): void {
  attachmentsDir = dir;
}

/** The attachments saved so far, newest first. */
export async function listAttachments(): Promise<{ name: string; size: number }[]> {
  const names = await readdir(attachmentsDir).catch(() => [] as string[]);
  const files = await Promise.all(names.map(async (n) => ({ file: n, size: (await stat(join(attachmentsDir, n))).size })));
  // Saved as "<time>-<name>": the time orders them, the name is shown.
  return files.sort((a, b) => b.file.localeCompare(a.file)).map(({ file, size }) => ({ name: file.replace(/^\d+-/, ""), size }));
}

const id = z.coerce.number({ error: "Pick a todo" }).int().positive("Pick a todo");

export const addTodo = serverFn(
  {
    name: "add_todo",
    input: z.object({
      title: z
        .string({ error: "Title is required" })
        .trim()
        .min(1, "Title is required")
        .max(200, "Title is too long: at most 200 characters"),
    }),
  },
  async ({ title }): Promise<Todo> => store().add(title),
);

export const toggleTodo = serverFn(
  { name: "toggle_todo", input: z.object({ id }) },
  async ({ id }): Promise<Todo> => {
    const todo = await store().toggle(id);
    if (!todo) throw new ServerFnError("That todo no longer exists", { status: 404 });
    return todo;
  },
);

/** Returns the todo as it was, so the page can say which one went (“Buy milk” deleted). */
export const deleteTodo = serverFn(
  { name: "delete_todo", input: z.object({ id }) },
  async ({ id }): Promise<Todo> => {
    const todo = await store().delete(id);
    if (!todo) throw new ServerFnError("That todo no longer exists", { status: 404 });
    return todo;
  },
);

/** Todos a page, on `/` and in the list's refresh alike. */
export const PAGE_SIZE = 50;

/**
 * One page of the list (`?page=N`, 1-based), oldest first. Read-only, so GET; htmx asks
 * for its HTML view to refresh the list after each action, on the page the user is on.
 * `/` renders the same call, so the page and its refresh always agree.
 */
export const listTodos = serverFn(
  {
    name: "list_todos",
    encoding: "get-json",
    // Any value: a stale or hand-typed link (`?page=99`, `?page=x`) gets a page that exists, never a 400.
    input: z.object({ page: z.unknown().transform(Number) }),
    view: (list: TodoPage, page) => views.render("todo-list", { list, isoform: page }),
  },
  async ({ page }): Promise<TodoPage> => store().list({ page, size: PAGE_SIZE }),
);

const AVATAR_MAX = 512 * 1024;
const ATTACHMENTS_MAX = 5;

const avatar = z
  .custom<UploadedFile>(isUploadedFile, "Choose an image file")
  .refine((f) => /^image\/(png|jpeg|gif|webp)$/.test(f.type), "The avatar must be a PNG, JPEG, GIF or WebP image")
  .refine((f) => f.size <= AVATAR_MAX, "The avatar must be at most 512 KB")
  .optional();

export const updateProfile = serverFn(
  {
    name: "update_profile",
    encoding: "multipart",
    // Attachments of up to 100 MB each: streamed to a temporary file as they arrive (never
    // held in memory), with time to send them on a slow connection.
    limits: { fileSize: 100 * 1024 * 1024, files: 1 + ATTACHMENTS_MAX, bodyTimeout: 10 * 60_000 },
    input: z.object({
      name: z.string().trim().min(1, "Name is required").max(100, "Name is too long: at most 100 characters"),
      email: z.string().trim().email("Enter an email address like name@example.com"),
      address: z.object({
        street: z.string().trim().max(200, "Street is too long"),
        city: z.string().trim().min(1, "City is required").max(100, "City is too long"),
      }),
      tags: z.array(z.string().trim().max(30, "Tags are at most 30 characters")).max(10, "At most 10 tags").default([]),
      password: z.string().min(8, "Password must be at least 8 characters"),
      avatar,
      attachments: z.array(z.custom<UploadedFile>(isUploadedFile, "Choose a file")).max(ATTACHMENTS_MAX, `At most ${ATTACHMENTS_MAX} attachments at once`).default([]),
    }),
  },
  async (input, ctx) => {
    const tags = input.tags.filter((t) => t !== "");
    await store().saveProfile({
      name: input.name,
      email: input.email,
      address: input.address,
      tags,
      // Small (512 KB at most), so read whole; the temporary file is removed once this returns.
      ...(input.avatar ? { avatar: { type: input.avatar.type, bytes: await input.avatar.bytes() } } : {}),
    });
    // Streamed from the temporary file, which isoform removes once this handler returns.
    await mkdir(attachmentsDir, { recursive: true });
    for (const file of input.attachments) {
      const safe = basename(file.name).replace(/[^\w.\- ]+/g, "_").slice(0, 100) || "attachment";
      await pipeline(file.stream(), createWriteStream(join(attachmentsDir, `${Date.now()}-${safe}`)));
    }
    // Post/Redirect/Get to a page that says so: a redirect from a handler, for every caller.
    return ctx.redirect("/profile?saved=1");
  },
);
