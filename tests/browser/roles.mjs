// Token roles and the audit trail on the meetflow-admin page, in headless Chromium: a read token's
// page has no action button and no Reveal link; the Audit page lists who did what (the on-call
// token's replay made through the API, then one made on the page); an operate token acts from
// the page and its action appears on the Audit page with its name. Every step asserts; any
// failure, page error or console error exits non-zero. Screenshots: $SCREENSHOT_DIR/roles-*.png.
import assert from "node:assert/strict";
import { launch, requireEnv, shooter, step, watch } from "./common.mjs";

const { ADMIN_URL, READ_TOKEN, OPERATE_TOKEN, JOB_ID, SCREENSHOT_DIR } =
  requireEnv(["ADMIN_URL", "READ_TOKEN", "OPERATE_TOKEN", "JOB_ID", "SCREENSHOT_DIR"]);
const shot = shooter(SCREENSHOT_DIR, "roles");

const browser = await launch();
const problems = [];
let page;

async function login(context, token) {
  page = await context.newPage();
  watch(page, problems);
  await page.goto(`${ADMIN_URL}/login`);
  await page.fill("#token", token);
  await Promise.all([page.waitForURL(`${ADMIN_URL}/`), page.click("#login")]);
  return page;
}

try {
  step("a read token logs in and sees the queues and dead letters, without action buttons");
  const readCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await login(readCtx, READ_TOKEN);
  assert.match(await page.textContent("#who"), /viewer · read/);
  await page.locator(`#dlq tr[data-id="${JOB_ID}"]`).waitFor();
  assert.equal(await page.locator("button[data-action]").count(), 0, "no replay/delete buttons");
  assert.equal(await page.locator("button[data-pause]").count(), 0, "no pause/resume buttons");
  assert.equal(await page.locator("main button[type=button]:visible").count(), 0, "no visible action button");
  await page.locator("#read-only").waitFor();
  await shot(page, "read");

  step("the read token's job page: no Replay, no Reveal");
  await Promise.all([page.waitForURL(/\/jobs\//), page.click(`#dlq tr[data-id="${JOB_ID}"] a.job-link`)]);
  assert.equal(await page.locator("#replay").count(), 0);
  assert.equal(await page.locator("#reveal").count(), 0);
  assert.match(await page.textContent("#payload"), /\*\*\*/, "payload masked");

  step("the Audit page lists the on-call replay made through the API");
  await Promise.all([page.waitForURL(`${ADMIN_URL}/audit`), page.click('header nav a[href="/audit"]')]);
  const rows = page.locator("#audit tbody tr");
  assert.ok(await rows.count() >= 1, "the trail has entries");
  const first = await rows.nth(0).textContent();
  assert.match(first, /on-call/);
  assert.match(first, /replay/);
  assert.match(first, /api/);
  await shot(page, "audit-read");
  await readCtx.close();

  step("an operate token replays from the page; the Audit page shows it with its name");
  const opCtx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await login(opCtx, OPERATE_TOKEN);
  assert.match(await page.textContent("#who"), /on-call · operate/);
  await Promise.all([page.waitForURL(/\/jobs\//), page.click(`#dlq tr[data-id="${JOB_ID}"] a.job-link`)]);
  await page.locator("#reveal").waitFor();
  page.once("dialog", (d) => d.accept());
  await Promise.all([page.waitForURL(/[?&]done=/), page.click("#replay")]);
  assert.match(await page.textContent(".flash"), /Replayed 1 of 1/);
  await page.goto(`${ADMIN_URL}/audit`);
  const newest = await page.locator("#audit tbody tr").nth(0).textContent();
  assert.match(newest, /on-call/);
  assert.match(newest, /page/);
  assert.match(newest, /replay/);
  assert.match(newest, new RegExp(JOB_ID.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  await shot(page, "audit");
  await opCtx.close();

  if (problems.length) throw new Error(problems.join("\n"));
  step("all steps passed");
} catch (e) {
  if (page) {
    await shot(page, "failure").catch(() => {});
    console.error(`browser: failed at ${page.url()}; screenshot roles-failure.png`);
  }
  if (problems.length) console.error(problems.join("\n"));
  throw e;
} finally {
  await browser.close();
}
