// The demo student watches the demo lecture: the player starts on a click,
// the speed and skip buttons work from the keyboard, progress is reported
// when paused, and a reload carries on where they left off.
//   BASE_URL=… EMAIL=… PASSWORD=… SESSION_ID=… node watch.mjs
import { launch, env } from "./browser.mjs";
import { signIn, watchConsole } from "./signin.mjs";

const base = env("BASE_URL");
const id = env("SESSION_ID");
const browser = await launch();
let logs = [];
try {
  const page = await browser.newPage();
  logs = watchConsole(page);
  await signIn(page, base, env("EMAIL"), env("PASSWORD"));
  await page.goto(`${base}/sessions/${id}`);
  const video = page.locator("#player-video");
  await page.getByRole("button", { name: "Play", exact: true }).waitFor({ state: "visible" });
  await page.waitForFunction(() => !document.getElementById("player-toggle").disabled, null, { timeout: 15000 });
  const poster = await video.getAttribute("poster");
  if (!poster || !poster.includes("/poster.jpg")) throw new Error(`poster not set: ${poster}`);

  // Speed from the keyboard: focus the select and choose 2×.
  await page.getByLabel("Speed").focus();
  await page.getByLabel("Speed").selectOption("2");
  await page.evaluate(() => { document.getElementById("player-video").muted = true; });
  await page.getByRole("button", { name: "Play", exact: true }).press("Enter");
  await page.waitForFunction(() => document.getElementById("player-video").currentTime > 6.5, null, { timeout: 30000 });
  const rate = await page.evaluate(() => document.getElementById("player-video").playbackRate);
  if (rate !== 2) throw new Error(`playbackRate ${rate}, want 2`);

  const reported = page.waitForResponse((r) => r.url().endsWith("/progress-report") && r.request().method() === "POST", { timeout: 15000 });
  await page.getByRole("button", { name: "Pause", exact: true }).press("Enter");
  const report = await reported;
  if (report.status() !== 200) throw new Error(`progress report answered ${report.status()}: ${await report.text()}`);
  const sent = JSON.parse(report.request().postData());
  if (!(sent.position_seconds > 6) || !sent.watched_ranges || sent.watched_ranges.length === 0) {
    throw new Error(`progress report sent ${JSON.stringify(sent)}`);
  }
  const at = await page.evaluate(() => document.getElementById("player-video").currentTime);

  // A reload carries on where the student left off.
  await page.reload();
  await page.waitForFunction(() => /where you left off/.test(document.getElementById("player-resume").textContent), null, { timeout: 15000 });
  const resumedAt = await page.evaluate(() => document.getElementById("player-video").currentTime);
  if (Math.abs(resumedAt - at) > 1.5) throw new Error(`resumed at ${resumedAt}, left at ${at}`);

  // +10 s from the keyboard.
  await page.getByRole("button", { name: "Forward 10 seconds" }).press("Enter");
  await page.waitForFunction((from) => document.getElementById("player-video").currentTime >= from + 9, resumedAt, { timeout: 10000 });
  const status = await page.locator("#player-resume").innerText();
  console.log(JSON.stringify({ ok: true, left_at: at, resumed_at: resumedAt, status }));
} catch (err) {
  console.error(String((err && err.stack) || err));
  console.error(logs.join("\n"));
  process.exitCode = 1;
} finally {
  await browser.close();
}
