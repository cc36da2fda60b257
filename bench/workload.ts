/**
 * The work every benchmarked server does, written once so the isoform functions and the
 * hand-written routes are identical apart from the framework: validate a non-empty title,
 * push it to a bounded in-memory list, answer the new item.
 */
export interface Todo {
  id: number;
  title: string;
}

const MAX = 1000;
const todos: Todo[] = [];
let nextId = 1;

export function addTodo(title: unknown): Todo | string {
  if (typeof title !== "string" || title.trim() === "") return "Title is required";
  const todo = { id: nextId++, title: title.trim() };
  todos.push(todo);
  if (todos.length > MAX) todos.shift();
  return todo;
}

export function listTodos(limit: unknown): Todo[] {
  const n = Math.min(Math.max(Number(limit) || 10, 1), 100);
  return todos.slice(-n);
}

/** The flash value a hand-written no-JS route sets before its 303, signed as isoform signs its outcome. */
export const SECRET = "bench-secret";
