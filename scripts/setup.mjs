// Makes `npm start` and `npm test` work on a fresh clone: installs the locked npm packages
// when they are missing or older than the lock file, and (with --browser) Debian's Chromium
// for the browser tests. Uses only Node built-ins, since it runs before anything is installed.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

const run = (cmd, args) => execFileSync(cmd, args, { stdio: "inherit" });

const installed = "node_modules/.package-lock.json";
if (!existsSync(installed) || statSync(installed).mtimeMs < statSync("package-lock.json").mtimeMs) {
  console.log("setup: installing npm packages (npm ci)…");
  run("npm", ["ci", "--no-audit", "--no-fund"]);
}

if (process.argv.includes("--browser") && !existsSync("/usr/bin/chromium")) {
  const root = process.getuid?.() === 0;
  if (!root || !existsSync("/usr/bin/apt-get")) {
    console.error("setup: the browser tests need Debian's Chromium at /usr/bin/chromium: sudo apt-get install -y --no-install-recommends chromium");
    process.exit(1);
  }
  console.log("setup: installing Debian's Chromium for the browser tests…");
  run("apt-get", ["update"]);
  run("apt-get", ["install", "-y", "--no-install-recommends", "chromium"]);
}
