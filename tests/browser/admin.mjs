// The meetflow-admin page as an operator uses it, in headless Chromium: log in, see a dead job,
// filter, open it, replay it, see it leave the list, pause a queue. Every step asserts; any failure, page
// error or console error exits non-zero. Screenshots: $SCREENSHOT_DIR/admin-*.png.
import assert from "node:assert/strict";
import { launch, requireEnv, shooter, step, watch } from "./common.mjs";

const { ADMIN_URL, ADMIN_TOKEN, DEAD_JOB_ID, OTHER_JOB_ID, SCREENSHOT_DIR } =
  requireEnv(["ADMIN_URL", "ADMIN_TOKEN", "DEAD_JOB_ID", "OTHER_JOB_ID", "SCREENSHOT_DIR"]);
const shot = shooter(SCREENSHOT_DIR, "admin");

const browser = await launch();
const problems = [];
let page;
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  watch(page, problems);

  step("the page asks for a login");
  await page.goto(`${ADMIN_URL}/`);
  assert.match(new URL(page.url()).pathname, /^\/login$/);
  await page.fill("#token", "not-the-token");
  await page.click("#login");
  await page.locator("p.error", { hasText: "That token is not right." }).waitFor();
  // Chromium logs the intended 401 of that wrong login as a console error; only that one is expected.
  problems.splice(0, problems.length, ...problems.filter((p) => !p.includes("status of 401")));
  await shot(page, "login");
  await page.fill("#token", ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${ADMIN_URL}/`), page.click("#login")]);
  const cookies = await context.cookies();
  const session = cookies.find((c) => c.name === "meetflow_admin");
  assert.ok(session && session.httpOnly && session.sameSite === "Strict", "HttpOnly, SameSite=Strict session cookie");

  step("queues are live and the chart is drawn");
  const smsRow = page.locator('#queues tr[data-queue="sms"]');
  await smsRow.waitFor();
  assert.ok(Number(await smsRow.locator('[data-k="dead"]').textContent()) >= 1, "sms has dead letters");
  await page.waitForFunction(() => (document.getElementById("updated")?.textContent || "").startsWith("updated"));
  assert.ok(await page.locator("#chart svg rect").count() > 0, "the throughput chart has bars");

  step("the dead job is listed");
  const row = page.locator(`#dlq tr[data-id="${DEAD_JOB_ID}"]`);
  await row.waitFor();
  assert.match(await row.textContent(), /provider_rejected/);
  assert.doesNotMatch(await page.content(), /\+14155550132/, "phone numbers are masked in the list");
  await shot(page, "overview");

  step("filters by error class");
  await page.selectOption('select[name="class"]', "bad_payload");
  await Promise.all([page.waitForURL(/class=bad_payload/), page.click('form.filters button[type="submit"]')]);
  await page.locator(`#dlq tr[data-id="${OTHER_JOB_ID}"]`).waitFor();
  assert.equal(await page.locator(`#dlq tr[data-id="${DEAD_JOB_ID}"]`).count(), 0, "other classes are filtered out");
  await page.goto(`${ADMIN_URL}/`);

  step("opens the job: attempt timeline and masked payload");
  await Promise.all([page.waitForURL(/\/jobs\//), page.click(`#dlq tr[data-id="${DEAD_JOB_ID}"] a.job-link`)]);
  assert.equal(await page.textContent("#job-id"), DEAD_JOB_ID);
  const attempts = page.locator("#attempts li");
  assert.equal(await attempts.count(), 3, "every attempt is on the timeline");
  assert.match(await attempts.nth(0).textContent(), /provider_server/);
  assert.match(await attempts.nth(2).textContent(), /provider_rejected/);
  const payload = await page.textContent("#payload");
  assert.ok(payload.includes("+1415***32") && !payload.includes("+14155550132"), "payload masked");
  await shot(page, "job");

  step("replays it after confirming");
  let asked = "";
  page.once("dialog", (d) => { asked = d.message(); d.accept(); });
  await Promise.all([page.waitForURL(/[?&]done=/), page.click("#replay")]);
  assert.match(asked, new RegExp(`Replay job ${DEAD_JOB_ID.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
  assert.match(await page.textContent(".flash"), /Replayed 1 of 1/);
  assert.equal(await page.locator(`#dlq tr[data-id="${DEAD_JOB_ID}"]`).count(), 0, "the job left the list");
  assert.equal(await page.locator(`#dlq tr[data-id="${OTHER_JOB_ID}"]`).count(), 1, "the other one stays");
  await shot(page, "after-replay");

  step("bulk delete of the selected rows, after confirming");
  await page.check(`#dlq tr[data-id="${OTHER_JOB_ID}"] input[name="id"]`);
  page.once("dialog", (d) => { asked = d.message(); d.accept(); });
  await Promise.all([page.waitForURL(/Deleted/), page.click('button[data-action="delete"][data-scope="selected"]')]);
  assert.match(asked, /Delete 1 selected dead letter\?/);
  assert.equal(await page.locator(`#dlq tr[data-id="${OTHER_JOB_ID}"]`).count(), 0, "deleted");

  const PS = process.env.PS_JOB_ID;
  if (PS) {
    step("a possibly sent SMS: the filtered bulk replay leaves it out and says so");
    await page.goto(`${ADMIN_URL}/?queue=sms`);
    await page.locator(`#dlq tr[data-id="${PS}"]`).waitFor();
    assert.match(await page.textContent(`#dlq tr[data-id="${PS}"]`), /possibly sent/);
    const told = new Promise((resolve) => page.once("dialog", (d) => { resolve(d.message()); d.accept(); }));
    await page.click("#replay-all");
    assert.match(await told, /No dead letters to replay match the filter\.\n1 marked possibly sent are left out\./);
    assert.equal(await page.locator(`#dlq tr[data-id="${PS}"]`).count(), 1, "still dead");

    step("Send again, one job, with its own confirmation");
    await Promise.all([page.waitForURL(/\/jobs\//), page.click(`#dlq tr[data-id="${PS}"] a.job-link`)]);
    assert.equal(await page.locator("#replay").count(), 0, "no plain replay for a possibly sent SMS");
    page.once("dialog", (d) => { asked = d.message(); d.accept(); });
    await Promise.all([page.waitForURL(/[?&]done=/), page.click("#resend")]);
    assert.match(asked, /Send job .+ again\?\nIt may already have reached the person/);
    assert.match(await page.textContent(".flash"), /Sent again 1 of 1/);
  }

  step("the kill switch: Pause on the sms row, after confirming");
  await page.goto(`${ADMIN_URL}/`);
  const pauseSms = page.locator('#queues tr[data-queue="sms"] button[data-pause]');
  assert.equal((await pauseSms.textContent()).trim(), "Pause");
  asked = "";
  page.once("dialog", (d) => { asked = d.message(); d.accept(); });
  await Promise.all([page.waitForURL(/[?&]done=/), pauseSms.click()]);
  assert.match(asked, /^Pause queue sms\?\nWorkers stop taking its jobs within a second/);
  assert.match(await page.textContent(".flash"), /Paused queue sms/);
  const pausedRow = page.locator('#queues tr[data-queue="sms"]');
  assert.equal((await pausedRow.locator('[data-k="state"]').textContent()).trim(), "paused");
  assert.equal((await pausedRow.locator("button[data-pause]").textContent()).trim(), "Resume");
  await shot(page, "paused");

  step("reminders page renders");
  await page.goto(`${ADMIN_URL}/reminders`);
  await page.locator("h2", { hasText: "Reminders" }).waitFor();

  if (problems.length) throw new Error(problems.join("\n"));
  step("all steps passed");
} catch (e) {
  if (page) {
    await shot(page, "failure").catch(() => {});
    console.error(`browser: failed at ${page.url()}; screenshot admin-failure.png`);
  }
  if (problems.length) console.error(problems.join("\n"));
  throw e;
} finally {
  await browser.close();
}
