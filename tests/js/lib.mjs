// Shared helpers of the browser tests: launch Debian's Chromium through
// playwright-core (never a downloaded browser), log in, scan a page with
// axe-core, save screenshots. The Rust harness
// (crates/gatehouse/tests/it/browser.rs) starts `gatehouse serve` and
// passes BASE_URL, ADMIN_PASSWORD_FILE and OUT_DIR.
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import { readFileSync, mkdirSync } from "node:fs";
import { strict as assert } from "node:assert";
import path from "node:path";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const BASE = process.env.BASE_URL;
export const OUT = process.env.OUT_DIR;
assert.ok(BASE, "BASE_URL is set by the harness");
assert.ok(OUT, "OUT_DIR is set by the harness");
mkdirSync(OUT, { recursive: true });

/** The one-time password the first start wrote. */
export function initialAdminPassword() {
  return readFileSync(process.env.ADMIN_PASSWORD_FILE, "utf8").trim();
}

/** A browser; `javaScript: false` for the no-JavaScript runs. */
export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/** A fresh context (cookies of its own) and page; records CSP violations. */
export async function newPage(browser, { javaScript = true } = {}) {
  const context = await browser.newContext({ javaScriptEnabled: javaScript, baseURL: BASE });
  const page = await context.newPage();
  page.cspViolations = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) page.cspViolations.push(message.text());
  });
  page.on("request", (request) => {
    const url = new URL(request.url());
    if (url.origin !== new URL(BASE).origin && url.protocol !== "data:") {
      page.cspViolations.push(`a request to another origin: ${request.url()}`);
    }
  });
  return page;
}

/** Logs in through the form, as a person would. */
export async function logIn(page, username, password) {
  await page.goto("/login");
  await page.getByLabel("Username or email").fill(username);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page.waitForLoadState("load");
}

/** Injects axe-core and fails on any serious or critical violation. */
export async function axeScan(page, name) {
  // Evaluated through the DevTools protocol: the page's CSP (no inline
  // script) would refuse a <script> tag, rightly.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ["violations"] }));
  const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  const described = bad.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
  assert.deepEqual(described, [], `axe-core on ${name}`);
  assert.deepEqual(page.cspViolations, [], `no CSP violation or foreign request on ${name}`);
}

/** Saves a full-page screenshot as OUT_DIR/<name>.png; answers its path. */
export async function screenshot(page, name) {
  const file = path.join(OUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  console.log(`screenshot: ${file}`);
  return file;
}

/** Scans and photographs the page. */
export async function check(page, name) {
  await axeScan(page, name);
  await screenshot(page, name);
}

/** The security headers every answer carries (SPEC §12). */
export function assertSecurityHeaders(headers, what) {
  assert.equal(headers["content-security-policy"], "default-src 'self'; frame-ancestors 'none'", what);
  assert.equal(headers["referrer-policy"], "same-origin", what);
  assert.equal(headers["x-content-type-options"], "nosniff", what);
}

export { assert };

/** The initial admin logged in, its one-time password changed to `password`. */
export async function adminPage(browser, password = "the admin's own long passphrase") {
  const page = await newPage(browser);
  await logIn(page, "admin", initialAdminPassword());
  await page.getByLabel("Current password").fill(initialAdminPassword());
  await page.getByLabel("New password", { exact: true }).fill(password);
  await page.getByLabel("Repeat the new password").fill(password);
  await page.getByRole("button", { name: "Change password" }).click();
  await page.getByText("Password changed.").waitFor();
  return page;
}

/** A call of the API with the page's session (and its CSRF token, read from
 * the page's log-out form); fails unless the answer is 2xx. For setting up
 * what a test's screen is not about. */
export async function api(page, method, path, data) {
  const token = await page.locator('input[name="csrf_token"]').first().inputValue();
  const response = await page.request.fetch(path, { method, data, headers: { "x-csrf-token": token } });
  assert.ok(response.ok(), `${method} ${path}: ${response.status()} ${await response.text()}`);
  return response.status() === 204 ? null : response.json();
}

/** The error shown beside the field labelled `label` (aria-describedby). */
export async function fieldError(page, label) {
  const field = page.getByLabel(label, { exact: true });
  assert.equal(await field.getAttribute("aria-invalid"), "true", `${label} is marked invalid`);
  const ids = (await field.getAttribute("aria-describedby")).split(" ");
  return page.locator(`#${ids[0]}`).innerText();
}
