// Signs in through the login form as a real user would (keyboard focus,
// labels) and checks that "My videos" is shown. Exits non-zero on failure.
//   BASE_URL=http://127.0.0.1:8080 EMAIL=… PASSWORD=… node login.mjs
import { launch, env } from "./browser.mjs";

const base = env("BASE_URL");
const browser = await launch();
try {
  const page = await browser.newPage();
  await page.goto(base + "/videos");
  // An anonymous visitor is sent to the sign-in page.
  if (!new URL(page.url()).pathname.startsWith("/login")) {
    throw new Error(`expected a redirect to /login, got ${page.url()}`);
  }
  // Wrong password first: the page must say so in plain words.
  await page.getByLabel("Email").fill(env("EMAIL"));
  await page.getByLabel("Password").fill("not-the-password");
  await page.getByRole("button", { name: /sign in/i }).click();
  const alert = await page.getByRole("alert").innerText();
  if (!/incorrect email or password/i.test(alert)) {
    throw new Error(`wrong-password message was ${JSON.stringify(alert)}`);
  }
  await page.getByLabel("Password").fill(env("PASSWORD"));
  await page.getByLabel("Password").press("Enter");
  await page.getByRole("heading", { level: 1, name: "My videos" }).waitFor({ timeout: 10000 });
  const title = await page.title();
  console.log(JSON.stringify({ ok: true, url: page.url(), title }));
} catch (err) {
  console.error(String(err && err.stack || err));
  process.exitCode = 1;
} finally {
  await browser.close();
}
