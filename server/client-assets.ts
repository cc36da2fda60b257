import { readFileSync } from "node:fs";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_PATH } from "../protocol/wire.js";

/** The built browser script (`npm run build` writes `dist/browser`), held in memory. */
export interface ClientAssets {
  /** URL of the entry script, with its content hash; undefined when not built */
  entryUrl?: string;
  /** URLs of the chunks every page preloads (what shows a settled submission) */
  preloadUrls: string[];
  /** file name → contents */
  files: Map<string, Buffer>;
  /** "name:br" / "name:gzip" → compressed contents, made on first request */
  compressed: Map<string, Buffer>;
}

export type AssetEncoding = "br" | "gzip";

/**
 * A file compressed as the browser asked (the core script is 3 KB gzipped, 6.5 KB as is).
 * Compressed once, on first request, not at start-up: a cold start stays as quick.
 */
export function compressedAsset(assets: ClientAssets, name: string, encoding: AssetEncoding): Buffer | undefined {
  const key = `${name}:${encoding}`;
  let body = assets.compressed.get(key);
  if (!body) {
    const raw = assets.files.get(name);
    if (!raw) return undefined;
    body = encoding === "br" ? brotliCompressSync(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 } }) : gzipSync(raw, { level: 9 });
    assets.compressed.set(key, body);
  }
  return body;
}

/** The encoding to answer `Accept-Encoding` with: brotli, else gzip, else none (q=0 refuses one). */
export function preferredEncoding(accept: string | undefined): AssetEncoding | undefined {
  if (!accept) return undefined;
  let gzip = false;
  for (const part of accept.split(",")) {
    const [token = "", ...params] = part.trim().toLowerCase().split(";");
    if (params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))) continue;
    if (token === "br") return "br";
    if (token === "gzip" || token === "*") gzip = true;
  }
  return gzip ? "gzip" : undefined;
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
  let manifest: { entry: string; files: string[]; preload?: string[] };
  try {
    manifest = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8"));
  } catch {
    if (!warned) {
      warned = true;
      console.warn(`isoform: no browser script in ${dir}; forms work without JavaScript only. Reinstall isoform (its package ships the script), or in its repository run \`npm run build\``);
    }
    return { files: new Map(), compressed: new Map(), preloadUrls: [] };
  }
  const files = new Map<string, Buffer>();
  for (const name of manifest.files) files.set(name, readFileSync(join(dir, name)));
  const preloadUrls = (manifest.preload ?? []).map((name) => `${CLIENT_PATH}/${name}`);
  return { entryUrl: `${CLIENT_PATH}/${manifest.entry}`, files, compressed: new Map(), preloadUrls };
}

/** Hashed names never change content, so browsers may keep them for a year. */
export const IMMUTABLE = "public, max-age=31536000, immutable";
