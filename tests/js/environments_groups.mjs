// Environments (global, admins): create, bad name beside the field, what
// uses each, deleting one in use asks first naming its roles (cancel,
// then confirm), DEV and PROD offer no delete. Groups: create (bad input
// beside the fields, values kept), add and remove members, an unknown
// member refused beside the field, the projects of a group, delete with
// the name typed; adding a member without JavaScript. axe-core and a
// screenshot per page.
import { launch, newPage, logIn, check, assert, adminPage, api, fieldError } from "./lib.mjs";

const browser = await launch();
try {
  const admin = await adminPage(browser);
  const nav = admin.getByRole("navigation", { name: "Sections" });

  // --- Environments ---
  await nav.getByRole("link", { name: "Environments" }).click();
  await admin.getByRole("heading", { name: "Environments" }).waitFor();
  assert.equal(await admin.getByRole("button", { name: "Delete DEV" }).count(), 0, "DEV stays");
  assert.equal(await admin.getByRole("button", { name: "Delete PROD" }).count(), 0, "PROD stays");
  await admin.getByLabel("Environment name").fill("bad name!");
  await admin.getByRole("button", { name: "Create environment" }).click();
  assert.ok((await fieldError(admin, "Environment name")).length > 0);
  assert.equal(await admin.getByLabel("Environment name").inputValue(), "bad name!");
  assert.equal(await admin.getByRole("cell", { name: "bad name!", exact: true }).count(), 0, "nothing created");
  await check(admin, "environments-error");
  await admin.getByLabel("Environment name").fill("QA");
  await admin.getByRole("button", { name: "Create environment" }).click();
  await admin.getByText("Created.").waitFor();
  await admin.getByLabel("Environment name").fill("QA");
  await admin.getByRole("button", { name: "Create environment" }).click();
  assert.match(await fieldError(admin, "Environment name"), /QA/);

  // What uses each: a global role and a project's role naming QA.
  await api(admin, "POST", "/api/v1/projects", { key: "web", display_name: "Web" });
  await api(admin, "POST", "/api/v1/roles", { name: "Tester", categories: ["artifacts.read"], environments: ["QA", "DEV"] });
  await api(admin, "POST", "/api/v1/projects/web/roles", { name: "QA Lead", categories: ["artifacts.read"], environments: ["QA"] });
  await admin.goto("/environments");
  const qa = admin.getByRole("row", { name: /^QA/ });
  assert.match(await qa.innerText(), /Tester/);
  assert.match(await qa.innerText(), /web\/QA Lead/);
  await check(admin, "environments");

  // Delete one in use: asked first, naming the roles; cancel, then confirm.
  await admin.getByRole("button", { name: "Delete QA" }).click();
  const ask = admin.getByRole("alert").filter({ hasText: "Delete QA?" });
  await ask.waitFor();
  assert.deepEqual((await ask.getByRole("list").first().getByRole("listitem").allInnerTexts()).sort(), ["Tester", "web/QA Lead"]);
  // …and what deleting it takes from people (the impact preview).
  await ask.getByRole("heading", { name: "Impact" }).waitFor();
  assert.match(await ask.getByRole("status").innerText(), /decisions? lost/);
  await check(admin, "environments-delete-in-use");
  await ask.getByRole("link", { name: "Cancel" }).click();
  await admin.getByRole("row", { name: /^QA/ }).waitFor();
  await admin.getByRole("button", { name: "Delete QA" }).click();
  await admin.getByRole("button", { name: "Delete QA and remove it from these roles" }).click();
  await admin.getByText("Deleted.").waitFor();
  assert.equal(await admin.getByRole("row", { name: /^QA/ }).count(), 0);
  const tester = await api(admin, "GET", "/api/v1/roles/Tester");
  assert.deepEqual(tester.environments, ["DEV"], "removed from the role");

  // --- Groups ---
  await api(admin, "POST", "/api/v1/users", { email: "ann@example.com", password: "ann's long password" });
  await api(admin, "POST", "/api/v1/users", { email: "ben@example.com", password: "ben's long password" });
  await nav.getByRole("link", { name: "Groups" }).click();
  await admin.getByRole("link", { name: "Create group" }).click();
  await check(admin, "group-new");
  await admin.getByLabel("Group name").fill("-bad");
  await admin.getByLabel("Description").fill("they ship");
  await admin.getByLabel("Members").fill("ann@example.com, Not A User");
  await admin.getByRole("button", { name: "Create group" }).click();
  assert.ok((await fieldError(admin, "Group name")).length > 0);
  assert.match(await fieldError(admin, "Members"), /members\[1\]/);
  assert.equal(await admin.getByLabel("Description").inputValue(), "they ship");
  await check(admin, "group-new-error");
  await admin.getByLabel("Group name").fill("Release Managers");
  await admin.getByLabel("Members").fill("ann@example.com");
  await admin.getByRole("button", { name: "Create group" }).click();
  await admin.getByRole("heading", { name: "Group Release Managers" }).waitFor();
  await admin.getByText("Created.").waitFor();
  await admin.getByRole("cell", { name: "ann@example.com", exact: true }).waitFor();

  // Members: an unknown user refused beside the field; add; remove.
  await admin.getByLabel("Add members").fill("nobody@example.com");
  await admin.getByRole("button", { name: "Add members" }).click();
  assert.match(await fieldError(admin, "Add members"), /nobody@example.com/);
  assert.equal(await admin.getByLabel("Add members").inputValue(), "nobody@example.com");
  await admin.getByLabel("Add members").fill("ben@example.com");
  await admin.getByRole("button", { name: "Add members" }).click();
  await admin.getByText("Saved.").waitFor();
  await admin.getByRole("cell", { name: "ben@example.com", exact: true }).waitFor();
  admin.once("dialog", (dialog) => dialog.accept());
  await admin.getByRole("button", { name: "Remove ann@example.com" }).click();
  await admin.getByText("Saved.").waitFor();
  assert.equal(await admin.getByRole("cell", { name: "ann@example.com", exact: true }).count(), 0);

  // The projects it is a member of.
  await api(admin, "PUT", "/api/v1/projects/web/members/groups/Release%20Managers", { roles: ["QA Lead"] });
  await admin.reload();
  await admin.getByText("Member of: web").waitFor();
  await check(admin, "group");
  await admin.goto("/groups");
  assert.match(await admin.getByRole("row", { name: /Release Managers/ }).innerText(), /ben@example.com[\s\S]*web/);
  await check(admin, "groups-list");

  // Without JavaScript: adding a member still works.
  const plain = await newPage(browser, { javaScript: false });
  await logIn(plain, "admin", "the admin's own long passphrase");
  await plain.goto("/groups/Release%20Managers");
  await plain.getByLabel("Add members").fill("ann@example.com");
  await plain.getByRole("button", { name: "Add members" }).click();
  await plain.getByText("Saved.").waitFor();
  await plain.getByRole("cell", { name: "ann@example.com", exact: true }).waitFor();

  // Delete: the name typed wrong is refused beside the field; right, it goes.
  await admin.goto("/groups/Release%20Managers");
  await admin.getByLabel("Type the group's name to delete it").fill("release managers");
  await admin.getByRole("button", { name: "Delete group" }).click();
  assert.match(await fieldError(admin, "Type the group's name to delete it"), /exactly/);
  await admin.getByLabel("Type the group's name to delete it").fill("Release Managers");
  await admin.getByRole("button", { name: "Delete group" }).click();
  await admin.getByText("Deleted.").waitFor();
  await admin.getByText("No group yet.").waitFor();

  // A user without accounts.manage, not an admin: neither page, 404.
  const ann = await newPage(browser);
  await logIn(ann, "ann@example.com", "ann's long password");
  assert.equal((await ann.goto("/environments")).status(), 404);
  assert.equal((await ann.goto("/groups/new")).status(), 404);
  console.log("environments and groups: ok");
} finally {
  await browser.close();
}
