// The impact preview (SPEC §7.2, §12), by clicking: in the role editor,
// Preview shows what saving would give (and to whom) before anything is
// saved, with JavaScript and without; with JavaScript the impact follows
// the form as it changes (htmx), in the role editor and the project's
// privileges; switching a role back to Basic says what it would take;
// removing a member asks first and says what it takes away. axe-core and
// a screenshot per page.
import { launch, newPage, adminPage, api, check, screenshot, assert } from "./lib.mjs";

async function submit(page, name) {
  await page.getByRole("button", { name, exact: true }).click();
  await page.waitForLoadState("load");
}

/** The rows of the Changes table, as "user project environment action change". */
async function changeRows(page) {
  const table = page.getByRole("table", { name: "Changes" });
  const rows = await table.getByRole("row").all();
  const out = [];
  for (const row of rows.slice(1)) {
    out.push((await row.getByRole("cell").allInnerTexts()).join(" "));
  }
  return out;
}

const browser = await launch();
try {
  const admin = await adminPage(browser);
  await api(admin, "POST", "/api/v1/projects", { key: "web", display_name: "Web" });
  await api(admin, "POST", "/api/v1/projects/web/roles", {
    name: "Reader", categories: ["artifacts.read"], environments: ["DEV"],
  });
  await api(admin, "POST", "/api/v1/users", {
    username: "carol", email: "carol@example.com", password: "carol's long enough password",
  });
  await api(admin, "POST", "/api/v1/groups", { name: "devs" });
  await api(admin, "PUT", "/api/v1/projects/web/members/groups/devs", { roles: ["Reader"] });
  for (const name of ["alice", "bob"]) {
    await api(admin, "POST", "/api/v1/users", {
      username: name, email: `${name}@example.com`, password: `${name}'s long enough password`,
    });
    await api(admin, "PUT", `/api/v1/projects/web/members/users/${name}`, { roles: ["Reader"] });
  }

  // The role editor: Preview says what saving would give, and to whom.
  await admin.goto("/projects/web/roles/Reader");
  await admin.getByRole("checkbox", { name: "PROD", exact: true }).check();
  await submit(admin, "Preview");
  await admin.getByRole("heading", { name: "Impact" }).waitFor();
  const status = await admin.getByRole("status").filter({ hasText: "Nothing is written yet" }).innerText();
  assert.match(status, /access of 2 users: \d+ decisions gained, 0 decisions lost/);
  await admin.getByText("gives 2 users repository.read in PROD", { exact: true }).waitFor();
  const rows = await changeRows(admin);
  assert.ok(rows.includes("alice web PROD repository.read gains"), rows.join("\n"));
  assert.ok(rows.includes("bob web PROD repository.read gains"), rows.join("\n"));
  assert.ok(await admin.getByRole("checkbox", { name: "PROD", exact: true }).isChecked(), "the edit is kept");
  await check(admin, "role-preview");
  const stored = await api(admin, "GET", "/api/v1/projects/web/roles/Reader");
  assert.deepEqual(stored.environments, ["DEV"], "a preview saves nothing");
  await submit(admin, "Save");
  await admin.getByText("Saved.").waitFor();
  const saved = await api(admin, "GET", "/api/v1/projects/web/roles/Reader");
  assert.deepEqual([...saved.environments].sort(), ["DEV", "PROD"]);

  // The same Preview without JavaScript: a plain form post.
  const plain = await newPage(browser, { javaScript: false });
  await plain.context().addCookies(await admin.context().cookies());
  await plain.goto("/projects/web/roles/Reader");
  await plain.getByRole("checkbox", { name: "DEV", exact: true }).uncheck();
  await submit(plain, "Preview");
  await plain.getByText("takes repository.read in DEV from 2 users", { exact: true }).waitFor();
  await screenshot(plain, "role-preview-without-javascript");

  // With JavaScript the impact follows the form, no button pressed.
  await admin.goto("/projects/web/roles/Reader");
  assert.equal(await admin.getByRole("heading", { name: "Impact" }).count(), 0);
  await admin.getByRole("checkbox", { name: "PROD", exact: true }).uncheck();
  await admin.getByText("takes repository.read in PROD from 2 users", { exact: true }).waitFor();
  await admin.getByRole("checkbox", { name: "DEV", exact: true }).uncheck();
  await admin.getByText("takes repository.read in DEV from 2 users", { exact: true }).waitFor();
  assert.ok(!(await admin.getByRole("checkbox", { name: "DEV", exact: true }).isChecked()), "the form is left as edited");
  await check(admin, "role-live-preview");
  const untouched = await api(admin, "GET", "/api/v1/projects/web/roles/Reader");
  assert.deepEqual([...untouched.environments].sort(), ["DEV", "PROD"], "a live preview saves nothing");

  // Switching a role back to Basic warns, with what saving it would take.
  await api(admin, "POST", "/api/v1/projects/web/roles", {
    name: "Pruner",
    actions: ["repository.read", "build.read", "release_bundle.read", "repository.delete"],
    environments: ["DEV"],
  });
  await api(admin, "PUT", "/api/v1/projects/web/members/users/bob", { roles: ["Reader", "Pruner"] });
  await admin.goto("/projects/web/roles/Pruner");
  await submit(admin, "Basic");
  await admin.getByText("These actions will be removed", { exact: false }).waitFor();
  await admin.getByRole("heading", { name: "Impact" }).waitFor();
  const switchRows = await changeRows(admin);
  assert.deepEqual(switchRows, ["bob web DEV repository.delete loses"], switchRows.join("\n"));
  await check(admin, "role-switch-impact");
  const pruner = await api(admin, "GET", "/api/v1/projects/web/roles/Pruner");
  assert.ok(pruner.actions.includes("repository.delete"), "the warning saves nothing");
  await api(admin, "PUT", "/api/v1/projects/web/members/users/bob", { roles: ["Reader"] });

  // A member's roles: Preview on its row says what saving them would give.
  await admin.goto("/projects/web/members");
  await admin.getByRole("group", { name: "Roles of user bob" }).getByRole("checkbox", { name: "Developer", exact: true }).check();
  await submit(admin, "Preview roles of bob");
  await admin.getByRole("heading", { name: "Impact" }).waitFor();
  const bobRows = await changeRows(admin);
  assert.ok(bobRows.length > 0 && bobRows.every((r) => r.startsWith("bob web ") && r.endsWith(" gains")), bobRows.join("\n"));
  assert.ok(
    await admin.getByRole("group", { name: "Roles of user bob" }).getByRole("checkbox", { name: "Developer", exact: true }).isChecked(),
    "the typed roles are kept",
  );
  await check(admin, "member-roles-preview");
  const bob = (await api(admin, "GET", "/api/v1/projects/web/members")).items.find((m) => m.name === "bob");
  assert.deepEqual(bob.roles, ["Reader"], "a preview saves nothing");

  // A group's members: Preview says what joining the group would give.
  await admin.goto("/groups/devs");
  await admin.getByLabel("Add members", { exact: true }).fill("carol");
  await submit(admin, "Preview");
  await admin.getByRole("heading", { name: "Impact" }).waitFor();
  const carolRows = await changeRows(admin);
  assert.ok(carolRows.length > 0 && carolRows.every((r) => r.startsWith("carol web ") && r.endsWith(" gains")), carolRows.join("\n"));
  assert.equal(await admin.getByLabel("Add members", { exact: true }).inputValue(), "carol", "the typed names are kept");
  await check(admin, "group-members-preview");
  const devs = await api(admin, "GET", "/api/v1/groups/devs");
  assert.deepEqual(devs.members, [], "a preview adds no one");

  // Disabling a user: Preview says what it would take, nothing changes.
  const aliceBefore = (await api(admin, "GET", "/api/v1/users/alice")).status;
  await admin.goto("/users/alice");
  await submit(admin, "Preview disabling");
  await admin.getByRole("heading", { name: "Impact" }).waitFor();
  const aliceRows = await changeRows(admin);
  assert.ok(aliceRows.length > 0 && aliceRows.every((r) => r.startsWith("alice web ") && r.endsWith(" loses")), aliceRows.join("\n"));
  await check(admin, "disable-preview");
  assert.equal((await api(admin, "GET", "/api/v1/users/alice")).status, aliceBefore, "a preview disables no one");
  assert.notEqual(aliceBefore, "disabled");

  // Removing a member: asked first, with what it takes away.
  await admin.goto("/projects/web/members");
  await submit(admin, "Remove alice");
  await admin.getByRole("heading", { name: "Remove member" }).waitFor();
  await admin.getByRole("heading", { name: "Impact" }).waitFor();
  await admin.getByText("takes repository.read in PROD from 1 user", { exact: true }).waitFor();
  const removed = await changeRows(admin);
  assert.ok(removed.length > 0 && removed.every((r) => r.startsWith("alice web ") && r.endsWith(" loses")), removed.join("\n"));
  await check(admin, "confirm-remove-member-impact");
  const members = await api(admin, "GET", "/api/v1/projects/web/members");
  assert.equal(members.items.length, 3, "asking removed no one");
  await submit(admin, "Remove");
  await admin.getByText("Removed.").waitFor();
  const after = await api(admin, "GET", "/api/v1/projects/web/members");
  assert.deepEqual(after.items.map((m) => m.name), ["bob", "devs"]);
  // Deleting the project: Preview says what it takes, nothing is deleted.
  await admin.goto("/projects/web");
  await submit(admin, "Preview");
  await admin.getByRole("heading", { name: "Impact" }).waitFor();
  const gone = await changeRows(admin);
  assert.ok(gone.some((r) => r.startsWith("bob web ")) && gone.every((r) => r.endsWith(" loses")), gone.join("\n"));
  await check(admin, "project-delete-preview");
  assert.equal((await api(admin, "GET", "/api/v1/projects/web")).key, "web", "a preview deletes nothing");

  // The project's privileges: the impact follows the checkboxes.
  await api(admin, "PUT", "/api/v1/projects/web/members/users/carol", { roles: ["Project Admin"] });
  await admin.goto("/projects/web");
  await admin.getByRole("checkbox", { name: "Manage members", exact: true }).uncheck();
  await admin.getByRole("heading", { name: "Impact" }).waitFor();
  const privilegeRows = await changeRows(admin);
  assert.ok(
    privilegeRows.length > 0 && privilegeRows.every((r) => r.startsWith("carol web ") && r.endsWith(" loses")),
    privilegeRows.join("\n"),
  );
  await check(admin, "privileges-live-preview");
  const web = await api(admin, "GET", "/api/v1/projects/web");
  assert.equal(web.admin_privileges.manage_members, true, "a preview changes no privilege");
  console.log("impact preview: ok");
} finally {
  await browser.close();
}
