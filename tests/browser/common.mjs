// What every page script shares: the required environment, headless Chromium with a fresh
// context, page and console errors collected as problems, screenshots and step logging.
import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

// Checks that `names` are set; returns their values.
export function requireEnv(names) {
  const env = {};
  for (const k of names) {
    if (!process.env[k]) throw new Error(`${k} is not set`);
    env[k] = process.env[k];
  }
  return env;
}

// Launches Chromium and opens one page; screenshots go to $SCREENSHOT_DIR/<prefix>-<name>.png.
export async function openPage(prefix) {
  const dir = process.env.SCREENSHOT_DIR;
  mkdirSync(dir, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  const problems = [];
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => { if (m.type() === "error") problems.push(`console error: ${m.text()}`); });
  const shot = (p, name) => p.screenshot({ path: join(dir, `${prefix}-${name}.png`), fullPage: true });
  return { browser, context, page, problems, shot };
}

export const step = (s) => console.log(`browser: ${s}`);
