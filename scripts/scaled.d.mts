// Types of scripts/scaled.mjs, for the TypeScript that imports it (test/scaled.test.ts,
// bench/scaled.ts, playwright.config.ts).

export const NGINX: string;
export const PG_BIN: string;

/** Why the scaled set-up cannot run here, or undefined when it can (`install`: apt-get as root). */
export function scaledUnavailable(options?: { install?: boolean }): string | undefined;

export interface ScaledInstance {
  /** "1", "2", …: also its `X-Instance` response header */
  name: string;
  /** its own address on 127.0.0.1, without the trailing slash */
  url: string;
  pid: number;
}

export interface Scaled {
  /** nginx, without the trailing slash */
  url: string;
  /** nginx over TLS, when HTTPS_PORT was given */
  httpsUrl?: string;
  instances: ScaledInstance[];
  nginxPid: number;
  postgresPid: number;
  /** pid of scripts/start-scaled.mjs itself */
  pid: number;
  databaseUrl: string;
  /** what the script printed so far (the last 64 KB) */
  output(): string;
  /** how the script ended, once it has: "exit code 0", "signal SIGKILL" */
  ended: Promise<string>;
  /** SIGTERM, SIGKILL to its process group if it does not end in time; resolves with how it ended */
  stop(): Promise<string>;
}

export function runScaled(
  env?: Record<string, string>,
  options?: { startTimeoutMs?: number; stopTimeoutMs?: number; echo?: boolean; cpus?: string },
): Promise<Scaled>;
