import { createRequire } from "node:module";
import express from "express";
import { isoform } from "isoform";
import { Store } from "./db.js";
import { useStore } from "./functions.js";
import { views } from "./views.js";

export interface AppOptions {
  /** the SQLite file (":memory:" for tests) */
  dbFile: string;
  secret?: string;
}

const require = createRequire(import.meta.url);
const HTMX = require.resolve("htmx.org/dist/htmx.min.js");

/** The todo demo: the todo list of isoform's README, with a profile form for uploads. */
export function createApp(options: AppOptions): express.Express {
  const store = new Store(options.dbFile);
  useStore(store);
  const app = express();
  app.disable("x-powered-by");
  app.use(isoform({ secret: options.secret }));

  const render = (res: express.Response, view: string, data: Record<string, unknown>) => {
    res.type("html").send(views.render(view, { ...res.locals, ...data }));
  };

  app.get("/", (_req, res) => render(res, "index", { todos: store.list() }));

  app.get("/profile", (req, res) => {
    render(res, "profile", { profile: store.profile(), saved: req.query.saved === "1" });
  });

  app.get("/profile/avatar", (_req, res) => {
    const avatar = store.profile()?.avatar;
    if (!avatar) {
      res.status(404).type("text").send("No avatar yet");
      return;
    }
    res.set("Cache-Control", "no-store").type(avatar.type).send(Buffer.from(avatar.bytes));
  });

  app.get("/vendor/htmx.min.js", (_req, res) => {
    res.sendFile(HTMX, { maxAge: "1d" });
  });

  app.use((_req, res) => {
    res.status(404);
    render(res, "not-found", {});
  });
  return app;
}
