// Projects and the role editor (SPEC §12, §4, §5.3–§5.6), by clicking:
// the list filtered as you type, Create Project with bad input, the tabs
// Settings, Members, Project Roles, Global Roles, Environments,
// Resources; a role in Basic, another in Advanced switched back to Basic
// (the warning names the lost actions; stay, then confirm); members added,
// changed and removed; an anti-escalation refusal beside the roles; what a
// member without rights does not see; the forms without JavaScript;
// deletions asked first. axe-core and a screenshot per page.
import { launch, newPage, logIn, check, assert, initialAdminPassword } from "./lib.mjs";

const ADMIN_PASSWORD = "the admin's own long passphrase";

/** The error tied to a field (input or fieldset) by aria-describedby. */
async function fieldError(page, label, role) {
  const field = role ? page.getByRole(role, { name: label, exact: true }) : page.getByLabel(label, { exact: true });
  assert.equal(await field.getAttribute("aria-invalid"), "true", `${label} is marked invalid`);
  const ids = (await field.getAttribute("aria-describedby")).split(" ");
  return page.locator(`#${ids[0]}`).innerText();
}

async function submit(page, name) {
  await page.getByRole("button", { name, exact: true }).click();
  await page.waitForLoadState("load");
}

async function createUser(page, email, password) {
  await page.goto("/users/new");
  await page.getByLabel("Email", { exact: true }).fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await submit(page, "Create User");
  await page.getByText("Created.").waitFor();
}

/** Opens a tab of the project shown (the navigation "Project"). */
async function tab(page, name) {
  await page.getByRole("navigation", { name: "Project", exact: true }).getByRole("link", { name, exact: true }).click();
  await page.waitForLoadState("load");
}

function roleRow(page, name) {
  return page.getByRole("row").filter({ has: page.getByRole("cell", { name, exact: true }) });
}

const browser = await launch();
try {
  const admin = await newPage(browser);
  await logIn(admin, "admin", initialAdminPassword());
  await admin.getByLabel("Current password").fill(initialAdminPassword());
  await admin.getByLabel("New password", { exact: true }).fill(ADMIN_PASSWORD);
  await admin.getByLabel("Repeat the new password").fill(ADMIN_PASSWORD);
  await submit(admin, "Change password");
  await admin.getByText("Password changed.").waitFor();

  // Projects in the navigation; the list; Create Project with bad input.
  await admin.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Projects" }).click();
  await admin.getByRole("heading", { name: "Projects", level: 1 }).waitFor();
  await admin.getByRole("link", { name: "Create Project" }).click();
  await check(admin, "project-create");
  await admin.getByLabel("Project name").fill("Web shop");
  await admin.getByLabel("Project key").fill("Bad Key");
  await submit(admin, "Create Project");
  assert.match(await fieldError(admin, "Project key"), /key/);
  assert.equal(await admin.getByLabel("Project name").inputValue(), "Web shop", "typed values are kept");
  await check(admin, "project-create-error");
  await admin.getByLabel("Project key").fill("web");
  await admin.getByLabel("Description").fill("The shop's front end");
  await submit(admin, "Create Project");
  await admin.getByText("Created.").waitFor();
  await admin.getByRole("navigation", { name: "Project", exact: true }).getByRole("link", { name: "Settings" }).waitFor();
  await check(admin, "project-settings");
  await admin.goto("/projects/new");
  await admin.getByLabel("Project name").fill("Payments API");
  await admin.getByLabel("Project key").fill("api");
  await submit(admin, "Create Project");
  await admin.getByText("Created.").waitFor();

  // Filter as you type (htmx swaps the table, no page load).
  await admin.goto("/projects");
  await check(admin, "projects");
  await admin.getByLabel("Search by key or name").pressSequentially("shop");
  await admin.getByText("Projects matching “shop”").waitFor();
  assert.equal(await admin.getByRole("link", { name: "api", exact: true }).count(), 0, "api is filtered out");
  await admin.getByRole("link", { name: "web", exact: true }).click();

  // Settings: save; bad input beside its field.
  await admin.getByLabel("Project name").fill("");
  await submit(admin, "Save");
  assert.match(await fieldError(admin, "Project name"), /display_name|name/i);
  await admin.getByLabel("Project name").fill("Web shop");
  await admin.getByLabel("Description").fill("The shop's web front end");
  await submit(admin, "Save");
  await admin.getByText("Saved.").waitFor();
  assert.equal(await admin.getByLabel("Description").inputValue(), "The shop's web front end");

  // Environments: the project's own, bad input, create.
  await tab(admin, "Environments");
  await admin.getByLabel("Environment name").fill("not valid!");
  await submit(admin, "Create Environment");
  assert.match(await fieldError(admin, "Environment name"), /name/);
  assert.equal(await admin.getByLabel("Environment name").inputValue(), "not valid!");
  await admin.getByLabel("Environment name").fill("QA");
  await submit(admin, "Create Environment");
  await admin.getByText("Created.").waitFor();
  await admin.getByRole("cell", { name: "web-QA", exact: true }).waitFor();
  await check(admin, "project-environments");

  // Project Roles: Create Project Roles in Basic.
  await tab(admin, "Project Roles");
  await check(admin, "project-roles-empty");
  await admin.getByRole("link", { name: "Create Project Roles" }).click();
  await admin.getByRole("group", { name: "Global Environments" }).waitFor();
  await admin.getByRole("group", { name: "Project Environments" }).getByRole("checkbox", { name: "web-QA" }).waitFor();
  await check(admin, "role-editor-basic");
  // Bad input: no name, nothing granted; the errors beside the fields.
  await submit(admin, "Save");
  assert.match(await fieldError(admin, "Role name"), /name/);
  await admin.getByLabel("Role name").fill("Deployer");
  await submit(admin, "Save");
  assert.match(await fieldError(admin, "Basic: permission categories", "group"), /grant|empty|action/i);
  assert.equal(await admin.getByLabel("Role name").inputValue(), "Deployer");
  await admin.getByRole("checkbox", { name: "artifacts.read" }).check();
  await admin.getByRole("checkbox", { name: "artifacts.write" }).check();
  await submit(admin, "Save");
  await admin.getByText("Created.").waitFor();
  assert.match(await roleRow(admin, "Deployer").innerText(), /Basic/);

  // Another in Advanced (the grid).
  await admin.getByRole("link", { name: "Create Project Roles" }).click();
  await admin.getByLabel("Role name").fill("Cleaner");
  await admin.getByRole("checkbox", { name: "artifacts.read" }).check();
  await submit(admin, "Advanced");
  for (const a of ["repository.read", "build.read", "release_bundle.read"]) {
    assert.ok(await admin.getByRole("checkbox", { name: a, exact: true }).isChecked(), `${a} expanded from artifacts.read`);
  }
  await admin.getByRole("checkbox", { name: "repository.delete", exact: true }).check();
  await check(admin, "role-editor-advanced");
  await submit(admin, "Save");
  await admin.getByText("Created.").waitFor();
  assert.match(await roleRow(admin, "Cleaner").innerText(), /Advanced/);

  // Back from Advanced to Basic: the warning names the lost action; stay; then confirm.
  await admin.getByRole("link", { name: "Cleaner", exact: true }).click();
  await submit(admin, "Basic");
  const warning = admin.getByRole("alert");
  assert.match(await warning.innerText(), /repository\.delete/);
  assert.doesNotMatch(await warning.innerText(), /repository\.read/);
  await check(admin, "role-editor-warning");
  await submit(admin, "Stay in Advanced");
  assert.ok(await admin.getByRole("checkbox", { name: "repository.delete", exact: true }).isChecked(), "nothing changed");
  await admin.goto("/projects/web/roles");
  assert.match(await roleRow(admin, "Cleaner").innerText(), /Advanced/, "nothing was saved by the warning");
  await admin.getByRole("link", { name: "Cleaner", exact: true }).click();
  await submit(admin, "Basic");
  await submit(admin, "Switch to Basic and remove these actions");
  assert.ok(await admin.getByRole("checkbox", { name: "artifacts.read" }).isChecked());
  await admin.getByRole("checkbox", { name: "artifacts.delete" }).check();
  await submit(admin, "Save");
  await admin.getByText("Saved.").waitFor();
  await admin.goto("/projects/web/roles");
  assert.match(await roleRow(admin, "Cleaner").innerText(), /Basic.*artifacts\.read, artifacts\.delete/s);

  // A member manager role, made in Advanced from the grid.
  await admin.getByRole("link", { name: "Create Project Roles" }).click();
  await admin.getByLabel("Role name").fill("Member Manager");
  await submit(admin, "Advanced");
  await admin.getByRole("checkbox", { name: "project.manage_members", exact: true }).check();
  await admin.getByRole("checkbox", { name: "repository.read", exact: true }).check();
  await submit(admin, "Save");
  await admin.getByText("Created.").waitFor();
  await check(admin, "project-roles");

  // Members: users and a group, with roles.
  await createUser(admin, "dev@example.com", "the developer's long password");
  await createUser(admin, "lead@example.com", "the team lead's long password");
  const token = await admin.locator("input[name=csrf_token]").first().inputValue();
  const group = await admin.request.post("/api/v1/groups", { data: { name: "devs", description: "Developers" }, headers: { "x-csrf-token": token } });
  assert.equal(group.status(), 201, "a group to add");
  await admin.goto("/projects/web/members");
  await check(admin, "project-members-empty");
  await admin.getByLabel("Username or group name").fill("nobody");
  await admin.getByRole("group", { name: "Roles" }).getByRole("checkbox", { name: "Deployer" }).check();
  await submit(admin, "Add Member");
  assert.match(await fieldError(admin, "Username or group name"), /nobody/);
  assert.equal(await admin.getByLabel("Username or group name").inputValue(), "nobody");
  assert.ok(await admin.getByRole("group", { name: "Roles" }).getByRole("checkbox", { name: "Deployer" }).isChecked());
  await admin.getByText("No member matches.").waitFor();
  await admin.getByLabel("Username or group name").fill("dev@example.com");
  await submit(admin, "Add Member");
  await admin.getByText("Added.").waitFor();
  await admin.getByLabel("Member type").selectOption("group");
  await admin.getByLabel("Username or group name").fill("devs");
  await admin.getByRole("group", { name: "Roles", exact: true }).getByRole("checkbox", { name: "Viewer" }).check();
  await submit(admin, "Add Member");
  await admin.getByText("Added.").waitFor();
  await admin.getByLabel("Username or group name").fill("lead@example.com");
  await admin.getByRole("group", { name: "Roles", exact: true }).getByRole("checkbox", { name: "Member Manager" }).check();
  await submit(admin, "Add Member");
  await admin.getByText("Added.").waitFor();
  // Change a member's roles.
  const devRoles = admin.getByRole("group", { name: "Roles of user dev@example.com" });
  await devRoles.getByRole("checkbox", { name: "Cleaner" }).check();
  await submit(admin, "Save roles of dev@example.com");
  await admin.getByText("Saved.").waitFor();
  assert.ok(await admin.getByRole("group", { name: "Roles of user dev@example.com" }).getByRole("checkbox", { name: "Cleaner" }).isChecked());
  await check(admin, "project-members");
  // A refused change of a row: its error on that row, the ticks kept, the add form untouched.
  const devRow = admin.getByRole("group", { name: "Roles of user dev@example.com" });
  const ticked = devRow.getByRole("checkbox", { checked: true });
  while ((await ticked.count()) > 0) await ticked.first().uncheck();
  await submit(admin, "Save roles of dev@example.com");
  const rowError = admin.getByRole("group", { name: "Roles of user dev@example.com" }).getByRole("alert");
  assert.match(await rowError.innerText(), /role/i);
  assert.equal(await admin.getByRole("group", { name: "Roles of user dev@example.com" }).getByRole("checkbox", { checked: true }).count(), 0, "the ticks as sent");
  assert.equal(await admin.getByLabel("Username or group name").inputValue(), "", "the add form stays empty");
  assert.equal(await admin.locator("#f-name-error").count(), 0, "no error in the add form");
  await check(admin, "project-members-row-error");
  await admin.goto("/projects/web/members");
  assert.ok(await admin.getByRole("group", { name: "Roles of user dev@example.com" }).getByRole("checkbox", { name: "Cleaner" }).isChecked(), "nothing changed");
  // Remove, asked first.
  await submit(admin, "Remove devs");
  await admin.getByRole("heading", { name: "Remove member" }).waitFor();
  await check(admin, "confirm-remove-member");
  await submit(admin, "Remove");
  await admin.getByText("Removed.").waitFor();
  assert.equal(await admin.getByRole("cell", { name: "devs", exact: true }).count(), 0);

  // Resources: register (bad input first), remove.
  await tab(admin, "Resources");
  await admin.getByLabel("Resource type").selectOption("repository");
  await admin.getByLabel("Resource name").fill("web-libs");
  await submit(admin, "Register Resource");
  assert.match(await fieldError(admin, "Environment"), /environment/);
  await admin.getByLabel("Environment", { exact: true }).selectOption("DEV");
  await submit(admin, "Register Resource");
  await admin.getByText("Created.").waitFor();
  await admin.getByRole("cell", { name: "web-libs", exact: true }).waitFor();
  await check(admin, "project-resources");
  await submit(admin, "Remove web-libs");
  await submit(admin, "Remove");
  await admin.getByText("Removed.").waitFor();

  // Global Roles: listed, Create Global Role.
  await admin.goto("/projects/web/global-roles");
  await admin.getByRole("link", { name: "Developer", exact: true }).waitFor();
  await check(admin, "project-global-roles");
  await admin.getByRole("link", { name: "Create Global Role" }).click();
  assert.equal(await admin.getByRole("group", { name: "Project Environments" }).count(), 0, "a global role has no project environments");
  await admin.getByLabel("Role name").fill("Auditor");
  await admin.getByRole("checkbox", { name: "security.view" }).check();
  await submit(admin, "Save");
  await admin.getByText("Created.").waitFor();
  await admin.getByRole("heading", { name: "Role Auditor" }).waitFor();
  await check(admin, "global-role");

  // The lead (project.manage_members only): anti-escalation beside the roles;
  // no control it may not use; pages it may not see are 404.
  const lead = await newPage(browser);
  await logIn(lead, "lead@example.com", "the team lead's long password");
  await lead.goto("/projects/web/members");
  await lead.getByLabel("Username or group name").fill("dev@example.com");
  await lead.getByRole("group", { name: "Roles", exact: true }).getByRole("checkbox", { name: "Cleaner" }).check();
  await submit(lead, "Add Member");
  const refusal = await fieldError(lead, "Roles", "group");
  assert.match(refusal, /repository\.delete|build\.delete|release_bundle\.delete/, `the refusal names what the lead lacks: ${refusal}`);
  await check(lead, "member-escalation");
  await lead.goto("/projects/web");
  assert.equal(await lead.getByRole("button", { name: "Save" }).count(), 0, "no Settings form");
  assert.equal(await lead.getByRole("button", { name: "Delete project" }).count(), 0, "no delete");
  await lead.goto("/projects/web/roles");
  assert.equal(await lead.getByRole("link", { name: "Create Project Roles" }).count(), 0);
  assert.equal(await lead.getByRole("link", { name: "Cleaner" }).count(), 0, "no editor link");
  await lead.goto("/projects");
  assert.equal(await lead.getByRole("link", { name: "api", exact: true }).count(), 0, "a project it is not in is not listed");
  assert.equal((await lead.goto("/projects/api")).status(), 404);
  assert.equal((await lead.goto("/projects/new")).status(), 404);
  assert.equal((await lead.goto("/roles/new")).status(), 404);
  assert.equal((await lead.goto("/projects/web/roles/new")).status(), 404);

  // Without JavaScript: the plain search form and the add-member form.
  const plain = await newPage(browser, { javaScript: false });
  await logIn(plain, "admin", ADMIN_PASSWORD);
  await plain.goto("/projects");
  await plain.getByLabel("Search by key or name").fill("pay");
  await submit(plain, "Search");
  assert.match(plain.url(), /q=pay/);
  await plain.getByRole("link", { name: "api", exact: true }).waitFor();
  assert.equal(await plain.getByRole("link", { name: "web", exact: true }).count(), 0);
  await plain.goto("/projects/api/members");
  await plain.getByLabel("Username or group name").fill("dev@example.com");
  await plain.getByRole("group", { name: "Roles", exact: true }).getByRole("checkbox", { name: "Viewer" }).check();
  await submit(plain, "Add Member");
  await plain.getByText("Added.").waitFor();
  // The role editor's tab switch and its warning work without JavaScript too.
  await plain.goto("/projects/web/roles/new");
  await plain.getByRole("checkbox", { name: "artifacts.read" }).check();
  await submit(plain, "Advanced");
  await plain.getByRole("checkbox", { name: "repository.delete", exact: true }).check();
  await submit(plain, "Basic");
  assert.match(await plain.getByRole("alert").innerText(), /repository\.delete/);

  // Delete a role held by members: asked, then asked again naming the holders.
  await admin.goto("/projects/web/roles/Cleaner");
  await submit(admin, "Delete role");
  await submit(admin, "Delete role");
  await admin.getByText("web/user:dev@example.com", { exact: true }).waitFor();
  // …and what deleting it takes from them (the impact preview).
  await admin.getByRole("heading", { name: "Impact" }).waitFor();
  await admin.getByRole("table", { name: "Changes" }).getByRole("cell", { name: "dev@example.com" }).first().waitFor();
  await check(admin, "confirm-delete-role-in-use");
  await submit(admin, "Delete role");
  await admin.getByText("Deleted.").waitFor();
  assert.equal(await admin.getByRole("link", { name: "Cleaner", exact: true }).count(), 0);

  // Delete an environment, asked first.
  await admin.goto("/projects/web/environments");
  await submit(admin, "Delete web-QA");
  await submit(admin, "Delete environment");
  await admin.getByText("Deleted.").waitFor();

  // Delete the project: the key typed as confirmation.
  await admin.goto("/projects/api");
  await admin.getByLabel("Type the project key to delete this project").fill("wrong");
  await submit(admin, "Delete project");
  assert.ok((await fieldError(admin, "Type the project key to delete this project")).length > 0);
  await admin.getByLabel("Type the project key to delete this project").fill("api");
  await submit(admin, "Delete project");
  await admin.getByText("Deleted.").waitFor();
  assert.equal(await admin.getByRole("link", { name: "api", exact: true }).count(), 0);
  console.log("projects: every step passed");
} finally {
  await browser.close();
}
