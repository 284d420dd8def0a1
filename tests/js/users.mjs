// First login, User Management's Create User, anti-escalation, tokens,
// bad input, and Create User without JavaScript — by clicking, elements
// found by role and accessible name; axe-core and a screenshot per page.
import { launch, newPage, logIn, check, assert, initialAdminPassword } from "./lib.mjs";

const ADMIN_PASSWORD = "the admin's own long passphrase";

async function fieldError(page, label) {
  const field = label === "Account permissions"
    ? page.getByRole("group", { name: label })
    : page.getByLabel(label, { exact: true });
  assert.equal(await field.getAttribute("aria-invalid"), "true", `${label} is marked invalid`);
  const ids = (await field.getAttribute("aria-describedby")).split(" ");
  return page.locator(`#${ids[0]}`).innerText();
}

async function statusOf(page, username) {
  await page.goto(`/users?q=${encodeURIComponent(username)}`);
  const row = page.getByRole("row").filter({ has: page.getByRole("link", { name: username, exact: true }) });
  return (await row.innerText()).match(/invited|enabled|disabled|locked/)[0];
}

async function createUser(page, { email, password, permissions = [], project = "", roles = "" }) {
  await page.goto("/users");
  await page.getByRole("link", { name: "Create User" }).click();
  await page.getByLabel("Email", { exact: true }).fill(email);
  if (password) await page.getByLabel("Password", { exact: true }).fill(password);
  for (const p of permissions) await page.getByRole("checkbox", { name: p }).check();
  if (project) await page.getByLabel("Project key").fill(project);
  if (roles) await page.getByLabel("Roles").fill(roles);
  await page.getByRole("button", { name: "Create User" }).click();
  await page.waitForLoadState("load");
}

const browser = await launch();
try {
  // First login of the initial admin: asked to change the one-time password.
  const admin = await newPage(browser);
  await logIn(admin, "admin", initialAdminPassword());
  assert.match(admin.url(), /\/account\/password$/);
  await admin.getByText("one-time password").waitFor();
  await check(admin, "first-login-password");
  // Bad input: the repeat differs; the error next to its field.
  await admin.getByLabel("Current password").fill(initialAdminPassword());
  await admin.getByLabel("New password", { exact: true }).fill(ADMIN_PASSWORD);
  await admin.getByLabel("Repeat the new password").fill("something else entirely");
  await admin.getByRole("button", { name: "Change password" }).click();
  assert.match(await fieldError(admin, "Repeat the new password"), /does not match/);
  // Too short: the API's own rule, next to the field.
  await admin.getByLabel("Current password").fill(initialAdminPassword());
  await admin.getByLabel("New password", { exact: true }).fill("short");
  await admin.getByLabel("Repeat the new password").fill("short");
  await admin.getByRole("button", { name: "Change password" }).click();
  assert.match(await fieldError(admin, "New password"), /12/);
  await check(admin, "password-error");
  await admin.getByLabel("Current password").fill(initialAdminPassword());
  await admin.getByLabel("New password", { exact: true }).fill(ADMIN_PASSWORD);
  await admin.getByLabel("Repeat the new password").fill(ADMIN_PASSWORD);
  await admin.getByRole("button", { name: "Change password" }).click();
  await admin.getByText("Password changed.").waitFor();
  assert.equal(await statusOf(admin, "admin"), "enabled");

  // Create User, bad input: errors by their fields, values kept, nothing created.
  await createUser(admin, { email: "not an email", password: "short", permissions: ["Invite and modify accounts"] });
  assert.match(await fieldError(admin, "Email"), /email/i);
  assert.equal(await admin.getByLabel("Email", { exact: true }).inputValue(), "not an email");
  assert.ok(await admin.getByRole("checkbox", { name: "Invite and modify accounts" }).isChecked(), "the checkbox stays checked");
  await check(admin, "create-user-error");
  await createUser(admin, { email: "bob@example.com", password: "short" });
  assert.match(await fieldError(admin, "Password"), /12/);
  await admin.goto("/users?q=bob");
  await admin.getByText("No user matches.").waitFor();

  // Create User with account permissions → listed as invited.
  await admin.goto("/users/new");
  await check(admin, "create-user");
  await createUser(admin, { email: "manager@example.com", password: "manager's long password", permissions: ["Invite and modify accounts"] });
  await admin.getByText("Created.").waitFor();
  assert.equal(await statusOf(admin, "manager@example.com"), "invited");
  await createUser(admin, { email: "viewer@example.com", password: "viewer's long password" });
  await check(admin, "users-list");

  // The manager logs in → enabled.
  const manager = await newPage(browser);
  await logIn(manager, "manager@example.com", "manager's long password");
  assert.equal(await statusOf(admin, "manager@example.com"), "enabled");

  // Anti-escalation: it cannot give what it lacks, and sees why beside the field.
  await createUser(manager, { email: "carol@example.com", password: "carol's long password", permissions: ["Billing"] });
  assert.match(await fieldError(manager, "Account permissions"), /billing\.manage/);
  await check(manager, "create-user-escalation");
  await manager.goto("/users?q=carol");
  await manager.getByText("No user matches.").waitFor();

  // A user without accounts.manage: no User Management in the navigation, and its pages are 404.
  const viewer = await newPage(browser);
  await logIn(viewer, "viewer@example.com", "viewer's long password");
  assert.equal(await viewer.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "User Management" }).count(), 0);
  const hidden = await viewer.goto("/users");
  assert.equal(hidden.status(), 404);

  // Tokens: the secret once, not after a reload; revoke.
  await manager.goto("/tokens");
  await check(manager, "tokens");
  await manager.getByLabel("Expires in (days)").fill("soon");
  await manager.getByRole("button", { name: "Create token" }).click();
  assert.match(await fieldError(manager, "Expires in (days)"), /whole number/);
  await manager.getByLabel("Description").fill("deploy bot");
  await manager.getByLabel("Expires in (days)").fill("30");
  await manager.getByRole("button", { name: "Create token" }).click();
  const secret = await manager.getByLabel("Token", { exact: true }).inputValue();
  assert.match(secret, /^gate_[A-Za-z0-9_-]{43}$/);
  await manager.getByRole("button", { name: "Copy" }).waitFor();
  await check(manager, "token-created");
  const me = await manager.request.get("/api/v1/me", { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(me.status(), 200, "the new token works");
  await manager.goto("/tokens");
  assert.equal((await manager.content()).includes(secret), false, "the secret is not shown again");
  await manager.getByRole("cell", { name: "deploy bot", exact: true }).waitFor();
  manager.once("dialog", (dialog) => dialog.accept());
  await manager.getByRole("button", { name: "Revoke deploy bot" }).click();
  await manager.getByText("Revoked.").waitFor();
  await manager.getByText("No token yet.").waitFor();
  const after = await manager.request.get("/api/v1/me", { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(after.status(), 401, "the revoked token fails");

  // A user's page: profile, effective permissions, its tokens (revoked from there), its history;
  // disable, enable, delete with confirmation.
  await viewer.goto("/tokens");
  await viewer.getByLabel("Description").fill("viewer cli");
  await viewer.getByRole("button", { name: "Create token" }).click();
  const viewerSecret = await viewer.getByLabel("Token", { exact: true }).inputValue();
  await admin.goto("/users?q=viewer");
  await admin.getByRole("link", { name: "viewer@example.com", exact: true }).click();
  await admin.getByRole("heading", { name: "Effective permissions" }).waitFor();
  const viewerTokens = admin.getByRole("table", { name: "Tokens of viewer@example.com" });
  await viewerTokens.getByRole("cell", { name: "viewer cli", exact: true }).waitFor();
  assert.equal((await admin.content()).includes(viewerSecret), false, "a token's secret is never shown again");
  const history = admin.getByRole("table", { name: "The latest audit records about viewer@example.com" });
  await history.getByRole("cell", { name: "user.created", exact: true }).waitFor();
  await admin.getByRole("link", { name: "Every record about viewer@example.com" }).waitFor();
  await check(admin, "user-page");
  admin.once("dialog", (dialog) => dialog.accept());
  await admin.getByRole("button", { name: "Revoke viewer cli" }).click();
  await admin.getByText("Revoked.").waitFor();
  await viewerTokens.getByRole("cell", { name: "No token." }).waitFor();
  const revoked = await admin.request.get("/api/v1/me", { headers: { authorization: `Bearer ${viewerSecret}` } });
  assert.equal(revoked.status(), 401, "the token revoked from the user's page fails");
  admin.once("dialog", (dialog) => dialog.accept());
  await admin.getByRole("button", { name: "Disable" }).click();
  await admin.getByRole("button", { name: "Enable" }).waitFor();
  assert.equal(await statusOf(admin, "viewer@example.com"), "disabled");
  await admin.goto("/users/viewer@example.com");
  await admin.getByRole("button", { name: "Enable" }).click();
  await admin.getByRole("button", { name: "Disable" }).waitFor();
  await admin.getByRole("button", { name: "Delete user" }).click();
  await admin.getByRole("heading", { name: "Not deleted" }).waitFor();
  await admin.goto("/users/viewer@example.com");
  await admin.getByLabel("Type the username to delete this user").fill("viewer@example.com");
  await admin.getByRole("button", { name: "Delete user" }).click();
  await admin.getByText("Deleted.").waitFor();
  await admin.goto("/users?q=viewer");
  await admin.getByText("No user matches.").waitFor();

  // Without JavaScript: Create User still works.
  const plain = await newPage(browser, { javaScript: false });
  await logIn(plain, "admin", ADMIN_PASSWORD);
  await createUser(plain, { email: "dave@example.com", permissions: ["Read the audit log"] });
  await plain.getByRole("status").filter({ hasText: "Invited: the invitation is in the outbox." }).waitFor();
  assert.equal(await statusOf(plain, "dave@example.com"), "invited");
  console.log("users: ok");
} finally {
  await browser.close();
}
