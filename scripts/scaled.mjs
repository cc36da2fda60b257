// What `npm run start:scaled` (scripts/start-scaled.mjs) needs, and a way for tests and
// benchmarks to run it: Debian's nginx and PostgreSQL 15, installed with apt when missing
// (as root), and `runScaled()`, which starts the script in a child process and resolves
// once it printed its URL. Uses only Node built-ins.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export const NGINX = "/usr/sbin/nginx";
export const PG_BIN = "/usr/lib/postgresql/15/bin";
const ROOT = fileURLToPath(new URL("..", import.meta.url));
const PACKAGES = [
  { file: NGINX, name: "nginx" },
  { file: `${PG_BIN}/postgres`, name: "postgresql-15" },
];

/**
 * Why the scaled set-up cannot run here, or undefined when it can. With `install`, missing
 * packages are installed with apt-get when running as root; otherwise the reason says how.
 */
export function scaledUnavailable({ install = false } = {}) {
  // A partial copy of the repository (a mutation-testing sandbox) has no demo to run.
  if (!existsSync(`${ROOT}/examples/todo/main.ts`)) return "the demo (examples/todo) is not in this copy of the repository";
  const missing = () => PACKAGES.filter((p) => !existsSync(p.file)).map((p) => p.name);
  const wanted = missing();
  if (wanted.length === 0) return undefined;
  const how = `apt-get install -y --no-install-recommends ${wanted.join(" ")}`;
  if (!install) return `Debian's ${wanted.join(" and ")} not installed (${how})`;
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) {
    return `Debian's ${wanted.join(" and ")} not installed, and this is not root on Debian: sudo ${how}`;
  }
  try {
    aptInstall(wanted);
  } catch (err) {
    return `installing ${wanted.join(" and ")} with apt-get failed: ${err instanceof Error ? err.message : String(err)}`;
  }
  const still = missing();
  return still.length ? `${still.join(" and ")} still missing after apt-get install` : undefined;
}

/**
 * apt-get install, without letting the packages start their own services: Debian's nginx
 * would otherwise listen on every interface's port 80, and PostgreSQL start a cluster of
 * its own. A policy-rc.d saying "no" (exit 101) is Debian's way; an existing one is kept.
 */
function aptInstall(packages) {
  const POLICY = "/usr/sbin/policy-rc.d";
  const ours = !existsSync(POLICY);
  if (ours) writeFileSync(POLICY, "#!/bin/sh\n# written by isoform's scripts/scaled.mjs during apt-get install\nexit 101\n", { mode: 0o755 });
  console.error(`scaled: installing Debian's ${packages.join(", ")}…`);
  try {
    const opts = { stdio: ["ignore", 2, 2], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } };
    execFileSync("apt-get", ["update", "-qq"], opts);
    execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], opts);
  } finally {
    if (ours) rmSync(POLICY, { force: true });
  }
}

/**
 * Runs scripts/start-scaled.mjs in a child process with `env` added to this one's, and
 * resolves once it serves, with what it printed: the URLs, each instance's URL and pid,
 * nginx's and PostgreSQL's pids, DATABASE_URL. `stop()` sends SIGTERM (SIGKILL to the whole
 * process group after `stopTimeoutMs`) and resolves with how the script ended. `cpus`
 * ("0") pins the script, and so everything it starts, to those cores.
 */
export function runScaled(env = {}, { startTimeoutMs = 120_000, stopTimeoutMs = 30_000, echo = false, cpus = undefined } = {}) {
  const [cmd, args] = cpus ? ["taskset", ["-c", cpus, process.execPath, "scripts/start-scaled.mjs"]] : [process.execPath, ["scripts/start-scaled.mjs"]];
  const child = spawn(cmd, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so that stop() can reach everything it started if it hangs.
    detached: true,
  });
  let output = "";
  const keep = (s) => {
    output = (output + s).slice(-64 * 1024);
    if (echo) process.stderr.write(s);
  };
  child.stderr.setEncoding("utf8").on("data", keep);
  const ended = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ? `signal ${signal}` : `exit code ${code}`)));
  const killGroup = () => {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  process.once("exit", killGroup);

  const info = { url: "", httpsUrl: undefined, instances: [], nginxPid: 0, postgresPid: 0, databaseUrl: "", pid: child.pid };
  let settled = false;
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      if (settled) return;
      settled = true;
      killGroup();
      reject(new Error(`start-scaled: ${why}\n${output}`));
    };
    const timer = setTimeout(() => fail(`not serving after ${startTimeoutMs} ms`), startTimeoutMs);
    void ended.then((how) => fail(`ended (${how}) before serving`));
    createInterface({ input: child.stdout }).on("line", (line) => {
      keep(line + "\n");
      let m;
      if ((m = /^start-scaled: PostgreSQL .*\(pid (\d+)\).* DATABASE_URL=(\S+)/.exec(line))) {
        info.postgresPid = Number(m[1]);
        info.databaseUrl = m[2];
      } else if ((m = /^start-scaled: instance (\S+) (http:\S+) \(pid (\d+)\)/.exec(line))) {
        info.instances.push({ name: m[1], url: m[2].replace(/\/$/, ""), pid: Number(m[3]) });
      } else if ((m = /^start-scaled: nginx \(pid (\d+)\)/.exec(line))) {
        info.nginxPid = Number(m[1]);
      } else if ((m = /^ {2}and (https:\S+)/.exec(line))) {
        info.httpsUrl = m[1].replace(/\/$/, "");
      } else if ((m = /^isoform todo demo, .*: (http:\S+)/.exec(line))) {
        info.url = m[1].replace(/\/$/, "");
        settled = true;
        clearTimeout(timer);
        resolve({
          ...info,
          output: () => output,
          ended,
          stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
            const late = setTimeout(killGroup, stopTimeoutMs);
            const how = await ended;
            clearTimeout(late);
            process.removeListener("exit", killGroup);
            return how;
          },
        });
      }
    });
  });
}
