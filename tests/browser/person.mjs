// One page per person in headless Chromium: an operator logs in, opens Person from the
// navigation, finds Jordan by their number typed in national format, sees the booking with its
// delivery history, the 24 h reminder delivered and personal data masked; replays the person's
// dead letter after confirming; then reveals (recorded in the audit trail). Every step asserts;
// any failure, page error or console error exits non-zero. Screenshots:
// $SCREENSHOT_DIR/admin-person-*.png.
import assert from "node:assert/strict";
import { openPage, requireEnv, step } from "./common.mjs";

const { ADMIN_URL, ADMIN_TOKEN, PERSON_PHONE, BOOKING, DEAD_ID, EMAIL } =
  requireEnv(["ADMIN_URL", "ADMIN_TOKEN", "PERSON_PHONE", "BOOKING", "DEAD_ID", "EMAIL", "SCREENSHOT_DIR"]);
const { browser, page, problems, shot } = await openPage("admin-person");
try {
  step("logs in and opens Person from the navigation");
  await page.goto(`${ADMIN_URL}/login`);
  await page.fill("#token", ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${ADMIN_URL}/`), page.click("#login")]);
  await Promise.all([page.waitForURL(/\/person$/), page.click('header nav a[href="/person"]')]);

  step("finds the person by a national-format number");
  await page.fill("#person-q", PERSON_PHONE);
  await Promise.all([page.waitForURL(/\/person\?q=/), page.click('#person-search button[type="submit"]')]);
  const booking = page.locator(`#booking-${BOOKING}`);
  await booking.waitFor();
  assert.match(await page.textContent("#person-phones"), /^\+1415\*\*\*32$/);
  const reminder = booking.locator('table.sms tr[data-kind="rem-24h"]');
  assert.equal(await reminder.getAttribute("data-state"), "delivered");
  assert.match(await reminder.locator("td.state").textContent(), /delivered/);
  const history = booking.locator("table.history tbody tr");
  assert.ok((await history.count()) >= 1, "the delivery that made the booking");
  assert.match(await history.first().textContent(), /invitee\.created.*active/s);
  const main = await page.textContent("main");
  assert.ok(!main.includes(EMAIL) && !main.includes("555-0132"), "personal data masked");
  await shot(page, "found");

  step("replays the person's dead letter after confirming");
  const dead = page.locator(`#person-dead tr[data-id="${DEAD_ID}"]`);
  await dead.waitFor();
  let asked = "";
  page.once("dialog", (d) => { asked = d.message(); d.accept(); });
  await Promise.all([page.waitForURL(/[?&]done=/), dead.locator('button[data-action="retry"]').click()]);
  assert.match(asked, new RegExp(`^Replay job ${DEAD_ID}\\?`));
  assert.match(await page.textContent("#person-flash"), /Replayed 1 of 1/);
  await page.locator("#person-dead-empty").waitFor();
  await page.locator(`#booking-${BOOKING}`).waitFor();

  step("reveals personal data (audited)");
  await Promise.all([page.waitForURL(/reveal=true/), page.click("#reveal")]);
  assert.match(await page.textContent("#person-emails"), new RegExp(EMAIL.replace(/\./g, "\\.")));
  await page.locator("#mask").waitFor();
  await shot(page, "revealed");

  if (problems.length) throw new Error(problems.join("\n"));
  step("all steps passed");
} catch (e) {
  await shot(page, "failure").catch(() => {});
  console.error(`browser: failed at ${page.url()}; screenshot admin-person-failure.png`);
  if (problems.length) console.error(problems.join("\n"));
  throw e;
} finally {
  await browser.close();
}
