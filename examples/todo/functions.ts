import { z } from "zod";
import { serverFn, ServerFnError, type UploadedFile } from "isoform";
import type { Todo, TodoStore } from "./store.js";
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

export const deleteTodo = serverFn(
  { name: "delete_todo", input: z.object({ id }) },
  async ({ id }): Promise<null> => {
    if (!(await store().delete(id))) throw new ServerFnError("That todo no longer exists", { status: 404 });
    return null;
  },
);

/** Read-only, so GET; htmx asks for its HTML view to refresh the list after each action. */
export const listTodos = serverFn(
  {
    name: "list_todos",
    encoding: "get-json",
    view: (todos: Todo[], page) => views.render("todo-list", { todos, isoform: page }),
  },
  async (): Promise<Todo[]> => store().list(),
);

const AVATAR_MAX = 512 * 1024;

const avatar = z
  .custom<UploadedFile>((v) => typeof v === "object" && v !== null && "bytes" in v, "Choose an image file")
  .refine((f) => /^image\/(png|jpeg|gif|webp)$/.test(f.type), "The avatar must be a PNG, JPEG, GIF or WebP image")
  .refine((f) => f.size <= AVATAR_MAX, "The avatar must be at most 512 KB")
  .optional();

export const updateProfile = serverFn(
  {
    name: "update_profile",
    encoding: "multipart",
    limits: { fileSize: 2 * 1024 * 1024, files: 1 },
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
    }),
  },
  async (input, ctx) => {
    const tags = input.tags.filter((t) => t !== "");
    await store().saveProfile({
      name: input.name,
      email: input.email,
      address: input.address,
      tags,
      ...(input.avatar ? { avatar: { type: input.avatar.type, bytes: input.avatar.bytes } } : {}),
    });
    // Post/Redirect/Get to a page that says so: a redirect from a handler, for every caller.
    return ctx.redirect("/profile?saved=1");
  },
);
