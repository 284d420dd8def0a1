// Approves a device-authorization grant (RFC 8628) in the browser, as the
// person running `gatehouse login --oidc` would: opens the verification URL
// the CLI printed (DEVICE_URL), signs in at the provider as LOGIN and
// approves. Run by crates/gatehouse/tests/it/oidc_cli.rs.
import { chromium } from "playwright-core";
import { strict as assert } from "node:assert";
import { signInAtProvider } from "./oidc-provider-pages.mjs";

const url = process.env.DEVICE_URL;
const login = process.env.LOGIN;
assert.ok(url && login, "DEVICE_URL and LOGIN are set by the harness");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-dev-shm-usage"],
});
try {
  const page = await browser.newPage();
  await page.goto(url);
  const done = async (p) => (await p.getByRole("heading", { name: "Sign-in Success" }).count()) > 0;
  await signInAtProvider(page, login, { until: done });
  assert.ok(await done(page), `the provider did not confirm the device: ${await page.content()}`);
  console.log("approved");
} finally {
  await browser.close();
}
