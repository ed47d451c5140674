// The meetflow-admin deliveries page as an operator uses it, in headless Chromium: log in, open
// Deliveries, page the log by cursor, search by person (a phone typed in another format) and by
// provider, open a delivery (body masked), reveal it, replay one delivery and then everything a
// time window matches, each after confirming. Every step asserts; any failure, page error or
// console error exits non-zero. Screenshots: $SCREENSHOT_DIR/admin-deliveries-*.png.
import assert from "node:assert/strict";
import { openPage, requireEnv, step } from "./common.mjs";

const { ADMIN_URL, ADMIN_TOKEN, ZOOM_ID, NEWEST_ID, SINCE } =
  requireEnv(["ADMIN_URL", "ADMIN_TOKEN", "ZOOM_ID", "NEWEST_ID", "SINCE", "SCREENSHOT_DIR"]);
const { browser, page, problems, shot } = await openPage("admin-deliveries");
const ids = () => page.locator("#deliveries tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.id));
try {
  step("logs in and opens Deliveries from the navigation");
  await page.goto(`${ADMIN_URL}/login`);
  await page.fill("#token", ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${ADMIN_URL}/`), page.click("#login")]);
  await Promise.all([page.waitForURL(/\/deliveries$/), page.click('header nav a[href="/deliveries"]')]);

  step("the log, newest first, paged by cursor");
  assert.match(await page.textContent("#deliveries-total"), /^27 kept/);
  let shown = await ids();
  assert.equal(shown.length, 25);
  assert.equal(shown[0], NEWEST_ID);
  await shot(page, "list");
  await Promise.all([page.waitForURL(/cursor=/), page.click("#deliveries-next")]);
  shown = await ids();
  assert.equal(shown.length, 2);
  assert.equal(shown[1], ZOOM_ID, "the oldest is last");

  step("search by person: a phone number in another format");
  await page.goto(`${ADMIN_URL}/deliveries`);
  await page.fill("#f-person", "+1 415 555 0132");
  await Promise.all([page.waitForURL(/person=/), page.click('#deliveries-filter button[type="submit"]')]);
  assert.equal((await ids()).length, 25);
  assert.ok(!(await ids()).includes(ZOOM_ID), "the Zoom delivery names someone else");
  await page.locator("#deliveries-next").waitFor();

  step("search by provider");
  await page.fill("#f-person", "");
  await page.selectOption("#f-provider", "zoom");
  await Promise.all([page.waitForURL(/provider=zoom/), page.click('#deliveries-filter button[type="submit"]')]);
  assert.deepEqual(await ids(), [ZOOM_ID]);

  step("one delivery: the body masked, then revealed");
  await Promise.all([page.waitForURL(new RegExp(`/deliveries/${ZOOM_ID}$`)), page.click(`#deliveries tr[data-id="${ZOOM_ID}"] a.delivery-link`)]);
  let body = await page.textContent("#body");
  assert.match(body, /a\*\*\*@example\.com/);
  assert.ok(!body.includes("alice@example.com"), body);
  await Promise.all([page.waitForURL(/reveal=true/), page.click("#reveal")]);
  body = await page.textContent("#body");
  assert.match(body, /alice@example\.com/);
  await shot(page, "revealed");

  step("replay one delivery, after confirming");
  await page.goto(`${ADMIN_URL}/deliveries?provider=zoom`);
  let asked = "";
  page.once("dialog", (d) => { asked = d.message(); d.accept(); });
  await Promise.all([page.waitForURL(/[?&]done=/), page.click(`#deliveries tr[data-id="${ZOOM_ID}"] button[data-delivery-replay="one"]`)]);
  assert.match(asked, new RegExp(`^Replay delivery ${ZOOM_ID}\\?\\n.*not sent again`));
  assert.match(await page.textContent("#deliveries-flash"), /Replayed 1 delivery/);
  assert.equal((await page.textContent(`#deliveries tr[data-id="${ZOOM_ID}"] td.replays`)).trim(), "1");

  step("replay everything a window matches, after confirming");
  await page.goto(`${ADMIN_URL}/deliveries?provider=calendly&since=${SINCE}`);
  page.once("dialog", (d) => { asked = d.message(); d.accept(); });
  await Promise.all([page.waitForURL(/[?&]done=/), page.click("#replay-matching")]);
  assert.match(asked, /^Replay every delivery matching the filter\?/);
  assert.match(await page.textContent("#deliveries-flash"), /Replayed 26 deliveries/);
  assert.equal((await page.textContent(`#deliveries tr[data-id="${NEWEST_ID}"] td.replays`)).trim(), "1");
  await shot(page, "replayed");

  if (problems.length) throw new Error(problems.join("\n"));
  step("all steps passed");
} catch (e) {
  await shot(page, "failure").catch(() => {});
  console.error(`browser: failed at ${page.url()}; screenshot admin-deliveries-failure.png`);
  if (problems.length) console.error(problems.join("\n"));
  throw e;
} finally {
  await browser.close();
}
