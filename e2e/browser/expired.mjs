// With playback tokens that last 2 s: the student's player keeps working
// (it asks /playback for a new token when one is refused), and the
// browser sent to an expired segment address gets 403 and a plain message.
//   BASE_URL=… EMAIL=… PASSWORD=… SESSION_ID=… node expired.mjs
import { launch, env } from "./browser.mjs";
import { signIn, watchConsole } from "./signin.mjs";

const base = env("BASE_URL");
const id = env("SESSION_ID");
const browser = await launch();
let logs = [];
try {
  const page = await browser.newPage();
  logs = watchConsole(page);
  let playbackCalls = 0;
  const segments = [];
  const reports = [];
  page.on("request", (r) => {
    const u = new URL(r.url());
    if (u.pathname.endsWith("/playback")) playbackCalls++;
    if (u.pathname.endsWith(".m4s") && segments.length < 1) segments.push(r.url());
  });
  page.on("response", (r) => { if (r.url().endsWith("/progress-report")) reports.push(r.status()); });
  await signIn(page, base, env("EMAIL"), env("PASSWORD"));
  await page.goto(`${base}/sessions/${id}`);
  await page.waitForFunction(() => !document.getElementById("player-toggle").disabled, null, { timeout: 15000 });
  await page.evaluate(() => { document.getElementById("player-video").muted = true; });
  await page.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForFunction(() => document.getElementById("player-video").currentTime > 0.5, null, { timeout: 30000 });
  await page.getByRole("button", { name: "Pause", exact: true }).click();
  await page.waitForTimeout(3000); // every token issued so far has expired

  // The report under the expired token is refused; the player gets a new
  // token and sends it again.
  await page.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForTimeout(500);
  const retried = page.waitForResponse((r) => r.url().endsWith("/progress-report") && r.status() === 200, { timeout: 20000 });
  await page.getByRole("button", { name: "Pause", exact: true }).click();
  await retried;
  if (!reports.includes(403)) throw new Error(`no report was refused: ${reports}`);
  if (playbackCalls < 2) throw new Error(`/playback asked ${playbackCalls} times, want a refresh`);
  const message = await page.locator("#player-message").innerText();
  if (message.trim() !== "") throw new Error(`player shows an error after refreshing: ${message}`);

  // Playback goes on.
  const before = await page.evaluate(() => document.getElementById("player-video").currentTime);
  await page.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForFunction((t) => document.getElementById("player-video").currentTime > t + 1, before, { timeout: 20000 });

  // An expired segment address, opened in the browser, is refused plainly.
  if (segments.length === 0) throw new Error("no segment was requested");
  const resp = await page.goto(segments[0]);
  const text = await page.locator("main").innerText();
  if (resp.status() !== 403 || !/not valid or has expired/.test(text)) {
    throw new Error(`expired segment: ${resp.status()} ${JSON.stringify(text)}`);
  }
  console.log(JSON.stringify({ ok: true, playback_calls: playbackCalls, reports, message: text.replace(/\s+/g, " ").trim() }));
} catch (err) {
  console.error(String((err && err.stack) || err));
  console.error(logs.join("\n"));
  process.exitCode = 1;
} finally {
  await browser.close();
}
