// "Log in with <provider>" in the browser (SPEC §13): the log-in page
// offers the button, the person signs in at a real OpenID Connect provider
// (oidc-provider's own sign-in and consent pages, tests/js/oidc-provider.mjs)
// and lands back in Gatehouse, logged in as the user its first login
// created. The Rust harness (crates/gatehouse/tests/it/oidc_cli.rs) starts
// the provider and `gatehouse serve` configured for it.
import { launch, newPage, check, assert } from "./lib.mjs";
import { signInAtProvider } from "./oidc-provider-pages.mjs";

const browser = await launch();
try {
  const page = await newPage(browser);
  await page.goto("/login");
  const button = page.getByRole("link", { name: "Log in with Test SSO" });
  await check(page, "login-with-sso");

  await button.click();
  await signInAtProvider(page, "carol");
  // Navigating to the provider is a top-level navigation, not a request a
  // Gatehouse page makes: forget it before scanning Gatehouse's pages again.
  page.cspViolations = [];

  await page.waitForURL((url) => url.origin === new URL(process.env.BASE_URL).origin && url.pathname === "/");
  await assert.doesNotReject(page.getByText("carol").first().waitFor(), "the home page names the user");
  await check(page, "home-after-sso");

  // The session is a real one: the API answers the same user, created by
  // this login and managed upstream.
  const me = await page.request.get("/api/v1/me");
  assert.equal(me.status(), 200);
  const body = await me.json();
  assert.equal(body.username, "carol");
  assert.equal(body.managed_by, "oidc");
  assert.equal(body.email, "carol@example.com");
} finally {
  await browser.close();
}
