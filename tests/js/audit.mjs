// The Audit log: records of what was done (through the UI and the API,
// each with its face), filters, a record's before and after side by
// side, the NDJSON export with the same filters, the chain's status,
// paging, a bad filter beside its field; a user without audit.read sees
// no Audit log and gets a 404. axe-core and a screenshot per page.
import { launch, newPage, logIn, check, assert, adminPage, api, fieldError } from "./lib.mjs";

const browser = await launch();
try {
  const admin = await adminPage(browser);
  await api(admin, "POST", "/api/v1/projects", { key: "web", display_name: "Web" });
  await api(admin, "PATCH", "/api/v1/projects/web", { display_name: "Web shop" });
  await api(admin, "POST", "/api/v1/users", { email: "plain@example.com", password: "plain's long password" });
  // Enough records for a second page (50 a page).
  for (let i = 0; i < 50; i++) await api(admin, "POST", "/api/v1/groups", { name: `group-${i}`, description: "" });

  await admin.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Audit log" }).click();
  await admin.getByRole("heading", { name: "Audit log" }).waitFor();
  await check(admin, "audit");
  await admin.getByRole("link", { name: "Next page" }).click();
  await admin.getByRole("cell", { name: "group.created" }).first().waitFor();
  await admin.getByRole("link", { name: "First page" }).waitFor();

  // Filter by event and project: the project's update, before and after side by side.
  await admin.goto("/audit");
  await admin.getByLabel("Event").fill("project.updated");
  await admin.getByLabel("Project", { exact: true }).fill("web");
  await admin.getByRole("button", { name: "Filter" }).click();
  await admin.waitForLoadState("load");
  const rows = admin.getByRole("table", { name: /Records/ }).getByRole("row");
  assert.equal(await rows.count(), 2, "the header and one record");
  await admin.getByText(/^Record \d+$/).click();
  const before = await admin.locator(".sidebyside > div").nth(0).innerText();
  const after = await admin.locator(".sidebyside > div").nth(1).innerText();
  assert.match(before, /Before[\s\S]*"display_name": "Web"/);
  assert.match(after, /After[\s\S]*"display_name": "Web shop"/);
  await check(admin, "audit-record");

  // The export with the same filters: NDJSON of exactly that record.
  const href = await admin.getByRole("link", { name: "Export NDJSON" }).getAttribute("href");
  assert.match(href, /^\/api\/v1\/audit\/export\?event=project.updated&project=web$/);
  const exported = await admin.request.get(href);
  assert.equal(exported.headers()["content-type"], "application/x-ndjson");
  const lines = (await exported.text()).trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.event), ["project.updated"]);

  // The chain's status.
  await admin.getByRole("link", { name: "Verify the chain" }).click();
  await admin.getByRole("status").filter({ hasText: /Chain verified: all \d+ records are intact\./ }).waitFor();
  assert.equal(await admin.getByLabel("Event").inputValue(), "project.updated", "the filters stay");

  // The face of each record: `ui` for the UI's own writes.
  await admin.goto("/groups/new");
  await admin.getByLabel("Group name").fill("from the ui");
  await admin.getByRole("button", { name: "Create group" }).click();
  await admin.goto("/audit?event=group.created&target=from%20the%20ui");
  assert.match(await admin.getByRole("table", { name: /Records/ }).getByRole("row").nth(1).innerText(), /admin\s+ui/);

  // A bad day: the error beside its field, the filters kept, nothing listed.
  await admin.goto("/audit");
  await admin.getByLabel("Actor").fill("admin");
  await admin.getByLabel("From (UTC)").fill("yesterday");
  await admin.getByRole("button", { name: "Filter" }).click();
  assert.match(await fieldError(admin, "From (UTC)"), /YYYY-MM-DD/);
  assert.equal(await admin.getByLabel("Actor").inputValue(), "admin");
  assert.equal(await admin.getByLabel("From (UTC)").inputValue(), "yesterday");
  await check(admin, "audit-error");

  // Without audit.read: no Audit log, and its page is a 404.
  const plain = await newPage(browser);
  await logIn(plain, "plain@example.com", "plain's long password");
  assert.equal(await plain.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Audit log" }).count(), 0);
  assert.equal((await plain.goto("/audit")).status(), 404);
  console.log("audit: ok");
} finally {
  await browser.close();
}
