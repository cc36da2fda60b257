import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_PATH } from "../client/wire.js";

/** The built client script (`npm run build` writes `dist/client`), held in memory. */
export interface ClientAssets {
  /** URL of the entry script, with its content hash; undefined when not built */
  entryUrl?: string;
  /** file name → contents */
  files: Map<string, Buffer>;
}

export const DEFAULT_CLIENT_DIR = fileURLToPath(new URL("../dist/client/", import.meta.url));

let warned = false;

export function loadClientAssets(dir = DEFAULT_CLIENT_DIR): ClientAssets {
  let manifest: { entry: string; files: string[] };
  try {
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  } catch {
    if (!warned) {
      warned = true;
      console.warn(`isoform: no client build in ${dir}; forms work without JavaScript only. Run \`npm run build\` to enhance them.`);
    }
    return { files: new Map() };
  }
  const files = new Map<string, Buffer>();
  for (const name of manifest.files) files.set(name, readFileSync(join(dir, name)));
  return { entryUrl: `${CLIENT_PATH}/${manifest.entry}`, files };
}

/** Hashed names never change content, so browsers may keep them for a year. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
