// What every page script shares: its environment, the system Chromium launched headless,
// screenshots, step logging, and collecting page and console errors.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

/** The named environment variables; throws naming the first one unset. SCREENSHOT_DIR is created. */
export function requireEnv(names) {
  const env = {};
  for (const k of names) {
    if (!process.env[k]) throw new Error(`${k} is not set`);
    env[k] = process.env[k];
  }
  if (env.SCREENSHOT_DIR) mkdirSync(env.SCREENSHOT_DIR, { recursive: true });
  return env;
}

/** `shot(page, name)` writes `$dir/<prefix>-<name>.png` (full page). */
export const shooter = (dir, prefix) => (page, name) =>
  page.screenshot({ path: join(dir, `${prefix}-${name}.png`), fullPage: true });

export const step = (s) => console.log(`browser: ${s}`);

/** Debian's Chromium (or $CHROMIUM), headless. */
export const launch = () => chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
});

/** Records the page's errors and console errors into `problems`. */
export function watch(page, problems) {
  page.setDefaultTimeout(15000);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
}
