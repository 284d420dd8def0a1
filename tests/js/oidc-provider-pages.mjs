// Clicking through oidc-provider's development pages (tests/js/oidc-provider.mjs)
// as a person would: the device code confirmation, the sign-in form (any
// login name, any password) and the consent page, in whatever order the
// provider shows them.
import { strict as assert } from "node:assert";

/** Signs in as `login` at the provider and approves whatever it asks. */
export async function signInAtProvider(page, login, { until = () => false } = {}) {
  const provider = new URL(page.url()).origin;
  for (let step = 0; step < 8; step += 1) {
    await page.waitForLoadState("load");
    if (new URL(page.url()).origin !== provider || (await until(page))) return;
    if (await page.locator('input[name="login"]').count()) {
      await page.locator('input[name="login"]').fill(login);
      await page.locator('input[name="password"]').fill("any password");
      await page.getByRole("button", { name: "Sign-in" }).click();
    } else if (await page.getByRole("button", { name: "Continue" }).count()) {
      await page.getByRole("button", { name: "Continue" }).first().click();
    } else {
      assert.fail(`an unexpected provider page at ${page.url()}: ${(await page.content()).slice(0, 500)}`);
    }
  }
  assert.fail(`still at the provider after eight steps: ${page.url()}`);
}
