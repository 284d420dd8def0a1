// User Management's extras — status chips, search as you type, invite by
// email and the outbox — the invitation link's page (accept: the password
// chosen, then log in → enabled), the forgotten-password page and a spent
// link; Settings: billing for billing.manage holders (bad date beside its
// field, values kept), the instance part for admins only. axe-core and a
// screenshot per page.
import { launch, newPage, logIn, check, assert, adminPage, api, fieldError } from "./lib.mjs";

const browser = await launch();
try {
  const admin = await adminPage(browser);
  await api(admin, "POST", "/api/v1/users", { email: "erin@example.com", password: "erin's long password" });
  await api(admin, "POST", "/api/v1/users", { email: "frank@example.com", password: "frank's long password" });
  await api(admin, "POST", "/api/v1/users", { email: "billing@example.com", password: "billing's long password", account_permissions: ["billing.manage"] });
  await api(admin, "POST", "/api/v1/users/frank@example.com/disable");

  // Status chips.
  await admin.goto("/users");
  const chips = admin.getByRole("navigation", { name: "Quick filters" });
  await chips.getByRole("link", { name: "disabled", exact: true }).click();
  await admin.waitForLoadState("load");
  assert.equal(await chips.getByRole("link", { name: "disabled", exact: true }).getAttribute("aria-current"), "page");
  await admin.getByRole("link", { name: "frank@example.com", exact: true }).waitFor();
  assert.equal(await admin.getByRole("link", { name: "erin@example.com", exact: true }).count(), 0);
  await chips.getByRole("link", { name: "invited", exact: true }).click();
  await admin.getByRole("link", { name: "erin@example.com", exact: true }).waitFor();
  assert.equal(await admin.getByRole("link", { name: "frank@example.com", exact: true }).count(), 0);
  await check(admin, "users-chips");

  // Search as you type: the list follows the typing, no button pressed.
  await chips.getByRole("link", { name: "all", exact: true }).click();
  await admin.getByLabel("Search by username or email").pressSequentially("erin", { delay: 30 });
  await admin.waitForURL(/q=erin/);
  await admin.getByRole("link", { name: "erin@example.com", exact: true }).waitFor();
  await admin.waitForFunction(() => !document.body.innerText.includes("frank@example.com"));

  // Kind and manager filters: plain GET fields, followed by htmx on change.
  await api(admin, "POST", "/api/v1/users", { email: "ci-bot@example.com", username: "ci-bot", kind: "service" });
  await admin.goto("/users");
  await admin.getByLabel("Kind", { exact: true }).selectOption("service");
  await admin.waitForURL(/kind=service/);
  await admin.getByRole("link", { name: "ci-bot", exact: true }).waitFor();
  await admin.waitForFunction(() => !document.body.innerText.includes("erin@example.com"));
  await admin.getByLabel("Managed by", { exact: true }).selectOption("scim");
  await admin.waitForURL(/managed_by=scim/);
  await admin.getByRole("cell", { name: "No user matches." }).waitFor();
  await check(admin, "users-kind-filter");
  // Without JavaScript the same fields, submitted as a GET form.
  await admin.goto("/users?kind=person&managed_by=local");
  assert.equal(await admin.getByLabel("Kind", { exact: true }).inputValue(), "person");
  assert.equal(await admin.getByLabel("Managed by", { exact: true }).inputValue(), "local");
  await admin.getByRole("link", { name: "erin@example.com", exact: true }).waitFor();
  assert.equal(await admin.getByRole("link", { name: "ci-bot", exact: true }).count(), 0);

  // Invite by email: the link for the admin to pass on (no SMTP), the outbox.
  await admin.goto("/users");
  await admin.getByRole("link", { name: "Invite by email" }).click();
  await check(admin, "invite");
  await admin.getByLabel("Email", { exact: true }).fill("not an email");
  await admin.getByRole("button", { name: "Invite" }).click();
  assert.match(await fieldError(admin, "Email"), /email/i);
  assert.equal(await admin.getByLabel("Email", { exact: true }).inputValue(), "not an email");
  await admin.getByLabel("Email", { exact: true }).fill("gina@example.com");
  await admin.getByRole("button", { name: "Invite" }).click();
  await admin.getByRole("heading", { name: "Invitation sent to gina@example.com" }).waitFor();
  const link = await admin.getByLabel("Invitation link").inputValue();
  assert.match(link, /\/invitations\/[A-Za-z0-9_-]+$/);
  const outbox = admin.getByRole("table", { name: /oldest first/ });
  await outbox.getByRole("cell", { name: "gina@example.com" }).waitFor();
  await check(admin, "invite-sent");
  await admin.goto("/invitations");
  assert.equal(await admin.getByLabel("Invitation link").count(), 0, "the link is shown once");

  // The invitation's page: passwords that differ, then one chosen; log in → enabled.
  const gina = await newPage(browser);
  await gina.goto(new URL(link).pathname);
  await gina.getByRole("heading", { name: "Accept your invitation" }).waitFor();
  await check(gina, "invitation-accept");
  await gina.getByLabel("New password", { exact: true }).fill("gina's long password");
  await gina.getByLabel("Repeat the new password").fill("something else");
  await gina.getByRole("button", { name: "Set password" }).click();
  assert.match(await fieldError(gina, "Repeat the new password"), /does not match/);
  await gina.getByLabel("New password", { exact: true }).fill("short");
  await gina.getByLabel("Repeat the new password").fill("short");
  await gina.getByRole("button", { name: "Set password" }).click();
  assert.match(await fieldError(gina, "New password"), /12/);
  await gina.getByLabel("New password", { exact: true }).fill("gina's long password");
  await gina.getByLabel("Repeat the new password").fill("gina's long password");
  await gina.getByRole("button", { name: "Set password" }).click();
  await gina.getByRole("heading", { name: "Password set" }).waitFor();
  await logIn(gina, "gina@example.com", "gina's long password");
  await admin.goto("/users?q=gina");
  assert.match(await admin.getByRole("row", { name: /gina@example.com/ }).innerText(), /enabled/);
  // The link is spent.
  await gina.goto(new URL(link).pathname);
  await gina.getByLabel("New password", { exact: true }).fill("another long password");
  await gina.getByLabel("Repeat the new password").fill("another long password");
  await gina.getByRole("button", { name: "Set password" }).click();
  await gina.getByRole("heading", { name: "This link does not work" }).waitFor();

  // Forgotten password: linked from the log-in page; the same answer for any address.
  const guest = await newPage(browser);
  await guest.goto("/login");
  await guest.getByRole("link", { name: "Forgot your password?" }).click();
  await check(guest, "forgot-password");
  await guest.getByLabel("Email").fill("no at sign");
  await guest.getByRole("button", { name: "Send the link" }).click();
  assert.ok((await fieldError(guest, "Email")).length > 0);
  assert.equal(await guest.getByLabel("Email").inputValue(), "no at sign");
  await guest.getByLabel("Email").fill("erin@example.com");
  await guest.getByRole("button", { name: "Send the link" }).click();
  await guest.getByText("If an account has this address").waitFor();
  await check(guest, "forgot-password-sent");
  await guest.goto("/password-reset/not-a-real-secret");
  await guest.getByRole("heading", { name: "Choose a new password" }).waitFor();
  await guest.getByLabel("New password", { exact: true }).fill("erin's new long password");
  await guest.getByLabel("Repeat the new password").fill("erin's new long password");
  await guest.getByRole("button", { name: "Set password" }).click();
  await guest.getByRole("heading", { name: "This link does not work" }).waitFor();

  // Settings: billing, bad date beside its field with the values kept; saved.
  await admin.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Settings" }).click();
  await admin.getByRole("heading", { name: "Instance" }).waitFor();
  await admin.getByLabel("Plan").fill("Enterprise");
  await admin.getByLabel("Billing contact").fill("finance@example.com");
  await admin.getByLabel("Renewal date").fill("next spring");
  await admin.getByRole("button", { name: "Save billing" }).click();
  assert.match(await fieldError(admin, "Renewal date"), /YYYY-MM-DD/);
  assert.equal(await admin.getByLabel("Plan").inputValue(), "Enterprise");
  await check(admin, "settings-error");
  await admin.getByLabel("Renewal date").fill("2027-03-01");
  await admin.getByRole("button", { name: "Save billing" }).click();
  await admin.getByText("Saved.").waitFor();
  assert.equal(await admin.getByLabel("Renewal date").inputValue(), "2027-03-01");
  await check(admin, "settings");

  // A billing.manage holder: billing, no instance part; others: 404.
  const billing = await newPage(browser);
  await logIn(billing, "billing@example.com", "billing's long password");
  await billing.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Settings" }).click();
  assert.equal(await billing.getByLabel("Plan").inputValue(), "Enterprise");
  assert.equal(await billing.getByRole("heading", { name: "Instance" }).count(), 0);
  assert.equal((await gina.goto("/settings")).status(), 404);
  console.log("accounts: ok");
} finally {
  await browser.close();
}
