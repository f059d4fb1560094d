// The emulated LMS launches a learner into a resource link: Chromium opens
// the LMS's login-initiation URL and the OIDC dance runs by itself
// (Lectern's /lti/login, the LMS's auto-posting /auth page, the id_token
// posted to /lti/launch, the redirect to the video); then the video plays.
// It prints how long it took from the navigation to the login URL until
// the video's currentTime passed 0.
//   LOGIN_URL=… SESSION_ID=… node lti_launch.mjs
import { launch, env } from "./browser.mjs";
import { watchConsole } from "./signin.mjs";

const loginURL = env("LOGIN_URL");
const id = env("SESSION_ID");
const browser = await launch();
let logs = [];
try {
  const page = await browser.newPage();
  logs = watchConsole(page);
  const began = Date.now();
  // "commit": resolve once the LMS's auth page answers; its own onload
  // script posts the id_token on to Lectern.
  await page.goto(loginURL, { waitUntil: "commit", timeout: 30000 });
  await page.waitForURL((u) => u.pathname === `/sessions/${id}`, { timeout: 30000 });
  const landed = page.url();
  await page.getByRole("button", { name: "Play", exact: true }).waitFor({ state: "visible", timeout: 15000 });
  await page.waitForFunction(() => !document.getElementById("player-toggle").disabled, null, { timeout: 15000 });
  await page.evaluate(() => { document.getElementById("player-video").muted = true; });
  await page.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForFunction(() => document.getElementById("player-video").currentTime > 0, null, { timeout: 30000, polling: 10 });
  const launchToPlaying = Date.now() - began;

  // And it keeps playing.
  const from = await page.evaluate(() => document.getElementById("player-video").currentTime);
  await page.waitForFunction((t) => document.getElementById("player-video").currentTime >= t + 1, from, { timeout: 15000 });
  const at = await page.evaluate(() => document.getElementById("player-video").currentTime);
  console.log(JSON.stringify({ ok: true, url: landed, launch_to_playing_ms: launchToPlaying, current_time: at }));
} catch (err) {
  console.error(String((err && err.stack) || err));
  console.error(logs.join("\n"));
  process.exitCode = 1;
} finally {
  await browser.close();
}
