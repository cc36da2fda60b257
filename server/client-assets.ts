import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_PATH } from "../protocol/wire.js";

/** The built browser script (`npm run build` writes `dist/browser`), held in memory. */
export interface ClientAssets {
  /** URL of the entry script, with its content hash; undefined when not built */
  entryUrl?: string;
  /** file name → contents */
  files: Map<string, Buffer>;
}

/**
 * The package's browser build: `dist/browser/` beside this module once compiled
 * (`dist/server/client-assets.js`), or from the sources in the repository (`server/`).
 */
export const DEFAULT_CLIENT_DIR = fileURLToPath(
  new URL(import.meta.url.includes("/dist/server/") ? "../browser/" : "../dist/browser/", import.meta.url),
);

let warned = false;

export function loadClientAssets(dir = DEFAULT_CLIENT_DIR): ClientAssets {
  let manifest: { entry: string; files: string[] };
  try {
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  } catch {
    if (!warned) {
      warned = true;
      console.warn(`isoform: no browser script in ${dir}; forms work without JavaScript only. Reinstall isoform (its package ships the script), or in its repository run \`npm run build\``);
    }
    return { files: new Map() };
  }
  const files = new Map<string, Buffer>();
  for (const name of manifest.files) files.set(name, readFileSync(join(dir, name)));
  return { entryUrl: `${CLIENT_PATH}/${manifest.entry}`, files };
}

/** Hashed names never change content, so browsers may keep them for a year. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
