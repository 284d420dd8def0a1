// The foundation: log in as the initial admin with its one-time password,
// the layout and its navigation, the users list, the 404 page, the
// security headers on pages and refusals, CSRF on the log-in form, and an
// axe-core scan and a screenshot of each page.
import { launch, newPage, logIn, check, assert, assertSecurityHeaders, initialAdminPassword, BASE } from "./lib.mjs";

const browser = await launch();
try {
  const page = await newPage(browser);

  // The log-in page, before any session.
  const response = await page.goto("/login");
  assertSecurityHeaders(response.headers(), "the log-in page");
  await check(page, "login");

  // A wrong password: the error next to the field, the username kept.
  await page.getByLabel("Username or email").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill("not the password at all");
  await page.getByRole("button", { name: "Log in" }).click();
  const password = page.getByLabel("Password", { exact: true });
  assert.equal(await password.getAttribute("aria-invalid"), "true");
  const described = await password.getAttribute("aria-describedby");
  assert.match(await page.locator(`#${described}`).innerText(), /wrong username or password/);
  assert.equal(await page.getByLabel("Username or email").inputValue(), "admin");
  await check(page, "login-error");

  // A log-in form without its CSRF token is refused.
  const forged = await page.request.post("/login", { form: { username: "admin", password: "x" }, maxRedirects: 0 });
  assert.equal(forged.status(), 403);
  assertSecurityHeaders(forged.headers(), "a refusal");

  // A page without a session sends to the log-in page, coming back after.
  await page.goto("/users");
  assert.match(page.url(), /\/login\?next=%2Fusers$/);
  await page.getByLabel("Username or email").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(initialAdminPassword());
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForLoadState("load");

  // The users list: the admin is there, enabled by its first login.
  await page.goto("/users");
  await page.getByRole("heading", { name: "User Management" }).waitFor();
  const row = page.getByRole("row", { name: /admin/ });
  assert.match(await row.innerText(), /enabled/);
  assert.equal(await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "User Management" }).getAttribute("aria-current"), "page");
  await check(page, "users");

  // Filtering by status.
  await page.getByLabel("Status").selectOption("invited");
  await page.getByRole("button", { name: "Search" }).click();
  await page.waitForLoadState("load");
  await page.getByText("No user matches.").waitFor();

  // Groups.
  await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Groups" }).click();
  await page.getByRole("heading", { name: "Groups" }).waitFor();
  await page.getByText("No group yet.").waitFor();
  await check(page, "groups");

  // The start page and a 404.
  await page.goto("/");
  await check(page, "home");
  const missing = await page.goto("/no/such/page");
  assert.equal(missing.status(), 404);
  assertSecurityHeaders(missing.headers(), "the 404 page");
  await page.getByRole("heading", { name: "Not found" }).waitFor();
  await check(page, "not-found");

  // Log out: the session ends.
  await page.goto("/");
  await page.getByRole("button", { name: "Log out" }).click();
  await page.waitForLoadState("load");
  assert.match(page.url(), /\/login$/);
  await page.goto("/users");
  assert.match(page.url(), /\/login/);
  console.log(`foundation: ok against ${BASE}`);
} finally {
  await browser.close();
}
