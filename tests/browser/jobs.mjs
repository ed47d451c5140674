// The meetflow-admin jobs page as an operator uses it, in headless Chromium: log in, open Jobs,
// see the job in flight with the worker holding it (and no action on it), run a scheduled job
// now, cancel another, follow the next-page link, see the worker in the process list. Every step
// asserts; any failure, page error or console error exits non-zero. Screenshots:
// $SCREENSHOT_DIR/admin-jobs-*.png.
import assert from "node:assert/strict";
import { openPage, requireEnv, step } from "./common.mjs";

const { ADMIN_URL, ADMIN_TOKEN, WORKER_ID } = requireEnv(["ADMIN_URL", "ADMIN_TOKEN", "WORKER_ID", "SCREENSHOT_DIR"]);
const { browser, page, problems, shot } = await openPage("admin-jobs");
try {
  step("logs in and opens Jobs from the navigation");
  await page.goto(`${ADMIN_URL}/login`);
  await page.fill("#token", ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${ADMIN_URL}/`), page.click("#login")]);
  await Promise.all([page.waitForURL(/\/jobs$/), page.click('header nav a[href="/jobs"]')]);

  step("the in-flight job shows the worker holding it and offers no action");
  await Promise.all([page.waitForURL(/state=inflight/), page.click('#job-states a[data-state="inflight"]')]);
  const held = page.locator('#jobs tr[data-id="hold"]');
  await held.waitFor();
  assert.equal((await held.locator("td.holder").textContent()).trim(), WORKER_ID);
  assert.equal(await held.locator("button").count(), 0, "no action on a job in flight");
  assert.match(await page.textContent("#jobs thead"), /Lease until/);
  await shot(page, "inflight");

  step("scheduled jobs, paged by cursor");
  await page.goto(`${ADMIN_URL}/jobs?state=scheduled&queue=sms&limit=3`);
  assert.match(await page.textContent('#job-states a[data-state="scheduled"]'), /scheduled\s*5/);
  assert.deepEqual(await page.locator("#jobs tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.id)), ["s0", "s1", "s2"]);
  await Promise.all([page.waitForURL(/cursor=/), page.click("#jobs-next")]);
  assert.deepEqual(await page.locator("#jobs tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.id)), ["s3", "s4"]);

  step("Run now, after confirming");
  await page.goto(`${ADMIN_URL}/jobs?state=scheduled&queue=sms`);
  let asked = "";
  page.once("dialog", (d) => { asked = d.message(); d.accept(); });
  await Promise.all([page.waitForURL(/[?&]done=/), page.click('#jobs tr[data-id="s0"] button[data-job-action="run-now"]')]);
  assert.match(asked, /^Run now: job s0 \(scheduled\)\?/);
  assert.match(await page.textContent("#jobs-flash"), /job s0 \(scheduled\) is ready/);
  assert.equal(await page.locator('#jobs tr[data-id="s0"]').count(), 0, "it left the scheduled list");

  step("Cancel, after confirming");
  page.once("dialog", (d) => { asked = d.message(); d.accept(); });
  await Promise.all([page.waitForURL(/cancelled/), page.click('#jobs tr[data-id="s1"] button[data-job-action="cancel"]')]);
  assert.match(asked, /^Cancel: job s1 \(scheduled\)\?\nIt will never run\./);
  assert.equal(await page.locator('#jobs tr[data-id="s1"]').count(), 0, "cancelled");
  await shot(page, "after-cancel");

  step("the worker is in the process list with its queue");
  const proc = page.locator(`#processes tr[data-identity="${WORKER_ID}"]`);
  await proc.waitFor();
  assert.match(await proc.locator("td.queues").textContent(), /sms\(\d+\)/);

  if (problems.length) throw new Error(problems.join("\n"));
  step("all steps passed");
} catch (e) {
  await shot(page, "failure").catch(() => {});
  console.error(`browser: failed at ${page.url()}; screenshot admin-jobs-failure.png`);
  if (problems.length) console.error(problems.join("\n"));
  throw e;
} finally {
  await browser.close();
}
