// The Check playground: the seed's decision (delete allowed in DEV, denied
// in PROD with the reason in words), the grants behind an allow, who can
// (following groups), errors beside their fields with the typed values
// kept, and a user who may not ask about others: refused beside the field,
// no who-can offered. axe-core and a screenshot per page.
import { launch, newPage, logIn, check, assert, adminPage, api, fieldError } from "./lib.mjs";

async function ask(page, { user = "", project = "", action, environment = "" }) {
  await page.goto("/check");
  await page.getByLabel("User", { exact: true }).fill(user);
  await page.getByLabel("Project key").fill(project);
  await page.getByLabel("Action").selectOption(action);
  await page.getByLabel("Environment", { exact: true }).fill(environment);
  await page.getByRole("button", { name: "Check" }).click();
  await page.waitForLoadState("load");
}

const browser = await launch();
try {
  const admin = await adminPage(browser);
  // The seed (SPEC §2.1): a global Developer (read, write in DEV and PROD),
  // a project role Lead Developer (read, write, delete in DEV).
  await api(admin, "POST", "/api/v1/projects", { key: "web", display_name: "Web" });
  await api(admin, "POST", "/api/v1/roles", { name: "Seed Developer", categories: ["artifacts.read", "artifacts.write"], environments: ["DEV", "PROD"] });
  await api(admin, "POST", "/api/v1/projects/web/roles", { name: "Lead Developer", categories: ["artifacts.read", "artifacts.write", "artifacts.delete"], environments: ["DEV"] });
  await api(admin, "POST", "/api/v1/users", { email: "dev@example.com", password: "dev's long password" });
  await api(admin, "POST", "/api/v1/users", { email: "qa@example.com", password: "qa's long password" });
  await api(admin, "PUT", "/api/v1/projects/web/members/users/dev@example.com", { roles: ["Seed Developer", "Lead Developer"] });
  await api(admin, "POST", "/api/v1/groups", { name: "testers", description: "QA", members: ["qa@example.com"] });
  await api(admin, "PUT", "/api/v1/projects/web/members/groups/testers", { roles: ["Lead Developer"] });

  await admin.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Check" }).click();
  await admin.getByRole("heading", { name: "Check", level: 1 }).waitFor();
  await check(admin, "check");

  // Delete in DEV: allowed, with the grant behind it.
  await ask(admin, { user: "dev@example.com", project: "web", action: "repository.delete", environment: "DEV" });
  await admin.getByRole("heading", { name: "Allowed" }).waitFor();
  const grants = await admin.getByRole("region", { name: "Allowed" }).getByRole("listitem").allInnerTexts();
  assert.deepEqual(grants, ["role Lead Developer directly in DEV"]);
  // Who can, following the group.
  const whoCan = admin.getByRole("table", { name: /Users allowed repository.delete in web/ });
  assert.match(await whoCan.getByRole("row", { name: /dev@example.com/ }).innerText(), /Lead Developer directly/);
  assert.match(await whoCan.getByRole("row", { name: /qa@example.com/ }).innerText(), /Lead Developer through group testers/);
  await check(admin, "check-allowed");

  // Read in PROD: allowed through the global Developer.
  await ask(admin, { user: "dev@example.com", project: "web", action: "repository.read", environment: "PROD" });
  assert.deepEqual(await admin.getByRole("region", { name: "Allowed" }).getByRole("listitem").allInnerTexts(), ["role Seed Developer directly in DEV, PROD"]);

  // Delete in PROD: denied, the reason in words and its code.
  await ask(admin, { user: "dev@example.com", project: "web", action: "repository.delete", environment: "PROD" });
  await admin.getByRole("heading", { name: "Denied" }).waitFor();
  const denied = await admin.getByRole("region", { name: "Denied" }).innerText();
  assert.match(denied, /A role grants this action, but not in this environment\./);
  assert.match(denied, /environment_not_granted/);
  assert.equal(await admin.getByRole("table", { name: /Users allowed/ }).getByRole("row", { name: /qa@example.com/ }).count(), 0, "nobody may delete in PROD");
  await check(admin, "check-denied");

  // Not a member of an unknown project.
  await ask(admin, { user: "dev@example.com", project: "nowhere", action: "repository.read", environment: "DEV" });
  assert.match(await admin.getByRole("region", { name: "Denied" }).innerText(), /no such project/);

  // An environment-scoped action without an environment: the error beside it, values kept.
  await ask(admin, { user: "dev@example.com", project: "web", action: "repository.delete" });
  assert.match(await fieldError(admin, "Environment"), /environment/);
  assert.equal(await admin.getByLabel("User", { exact: true }).inputValue(), "dev@example.com");
  assert.equal(await admin.getByLabel("Action").inputValue(), "repository.delete");
  assert.equal(await admin.getByRole("heading", { name: /Allowed|Denied/ }).count(), 0);
  await check(admin, "check-error");

  // A user who may not ask about others: refused beside the field; about
  // itself it may; who can is not offered to it.
  const dev = await newPage(browser);
  await logIn(dev, "dev@example.com", "dev's long password");
  await ask(dev, { user: "qa@example.com", project: "web", action: "repository.read", environment: "DEV" });
  assert.match(await fieldError(dev, "User"), /authz\.query/);
  await ask(dev, { project: "web", action: "repository.delete", environment: "DEV" });
  await dev.getByRole("heading", { name: "Allowed" }).waitFor();
  assert.equal(await dev.getByRole("heading", { name: "Who can" }).count(), 0, "who can is not offered");
  await check(dev, "check-self");
  console.log("check: ok");
} finally {
  await browser.close();
}
