import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import express from "express";
import { isoform } from "isoform";
import { listAttachments, listTodos, useAttachmentsDir, useStore } from "./functions.js";
import type { TodoStore } from "./store.js";
import { views } from "./views.js";

export interface AppOptions {
  store: TodoStore;
  secret?: string;
  /**
   * express's `trust proxy`: which peers may say, in `X-Forwarded-Proto` and
   * `X-Forwarded-Host`, what origin the browser used (`"loopback"` behind a proxy on the
   * same machine). isoform reads the request's own origin through it, for cross-origin
   * protection and the outcome cookie's `Secure` flag. Default: no one.
   */
  trustProxy?: boolean | number | string;
  /** names this instance in an `X-Instance` response header (to see which one answered) */
  instance?: string;
  /**
   * folder of the profile's attachments (`attachments/`) and of uploads in progress
   * (`uploads/`, isoform's `uploadDir`); default `data`
   */
  filesDir?: string;
}

const require = createRequire(import.meta.url);
const HTMX = require.resolve("htmx.org/dist/htmx.min.js");
const STYLESHEET = fileURLToPath(new URL("./public/demo.css", import.meta.url));

/** The todo demo: the todo list of isoform's README, with a profile form for uploads. */
export function createApp(options: AppOptions): express.Express {
  const { store } = options;
  useStore(store);
  const filesDir = options.filesDir ?? "data";
  const uploadDir = join(filesDir, "uploads");
  mkdirSync(uploadDir, { recursive: true });
  useAttachmentsDir(join(filesDir, "attachments"));
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", options.trustProxy ?? false);
  if (options.instance !== undefined) {
    const instance = options.instance;
    app.use((_req, res, next) => {
      res.setHeader("X-Instance", instance);
      next();
    });
  }
  app.use(isoform({ secret: options.secret, uploadDir }));

  const render = (res: express.Response, view: string, data: Record<string, unknown>) => {
    res.type("html").send(views.render(view, { ...res.locals, ...data }));
  };

  // `?page=N`: whatever it holds, list_todos answers with a page that exists (see functions.ts).
  app.get("/", async (req, res) => {
    const list = await listTodos({ page: req.query.page });
    render(res, "index", { todos: list.todos, list });
  });

  app.get("/profile", async (req, res) => {
    render(res, "profile", { profile: await store.profile(), attachments: await listAttachments(), saved: req.query.saved === "1" });
  });

  app.get("/profile/avatar", async (_req, res) => {
    const avatar = (await store.profile())?.avatar;
    if (!avatar) {
      res.status(404).type("text").send("No avatar yet");
      return;
    }
    res.set("Cache-Control", "no-store").type(avatar.type).send(Buffer.from(avatar.bytes));
  });

  app.get("/vendor/htmx.min.js", (_req, res) => {
    res.sendFile(HTMX, { maxAge: "1d" });
  });

  // An hour, then revalidated by its ETag: a changed stylesheet reaches browsers the same day.
  app.get("/demo.css", (_req, res) => {
    res.sendFile(STYLESHEET, { maxAge: "1h" });
  });

  app.use((_req, res) => {
    res.status(404);
    render(res, "not-found", {});
  });
  return app;
}
