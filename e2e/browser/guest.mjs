// A guest accepts an invitation to one recording: opens the link from the
// email, chooses a password, lands on the recording and watches it. Every
// other page and API listing shows them nothing else. They sign out, and
// back in with the password they chose, and can watch again.
//   BASE_URL=… INVITE_URL=… GUEST_EMAIL=… SESSION_ID=… SESSION_TITLE=…
//   FOLDER_ID=… COURSE_NAME=… OTHER_SESSION_ID=… OTHER_TITLE=… node guest.mjs
import { launch, env } from "./browser.mjs";
import { signIn, watchConsole } from "./signin.mjs";

const base = env("BASE_URL");
const id = env("SESSION_ID");
const title = env("SESSION_TITLE");
const folder = env("FOLDER_ID");
const course = env("COURSE_NAME");
const otherID = env("OTHER_SESSION_ID");
const otherTitle = env("OTHER_TITLE");
const email = env("GUEST_EMAIL");
const password = "guest-" + Math.random().toString(36).slice(2, 10) + "-Pw9";

const browser = await launch();
let logs = [];

function fail(msg) { throw new Error(msg); }

// plays the recording on the current page and returns where it got to.
async function play(page) {
  await page.getByRole("button", { name: "Play", exact: true }).waitFor({ state: "visible", timeout: 15000 });
  await page.waitForFunction(() => !document.getElementById("player-toggle").disabled, null, { timeout: 15000 });
  await page.evaluate(() => { document.getElementById("player-video").muted = true; });
  await page.getByRole("button", { name: "Play", exact: true }).click();
  await page.waitForFunction(() => document.getElementById("player-video").currentTime > 2, null, { timeout: 30000 });
  const t = await page.evaluate(() => document.getElementById("player-video").currentTime);
  await page.getByRole("button", { name: "Pause", exact: true }).click();
  return t;
}

// visits a page that must show the guest nothing but, at most, their one
// recording; returns its status.
async function nothingElse(page, path, { mustRefuse }) {
  const resp = await page.goto(base + path);
  const status = resp.status();
  const text = await page.locator("body").innerText();
  if (mustRefuse && status !== 403 && status !== 404) fail(`${path}: status ${status}, want 403 or 404\n${text}`);
  if (status >= 500) fail(`${path}: status ${status}\n${text}`);
  if (text.includes(otherTitle)) fail(`${path} (status ${status}) shows the unshared lecture "${otherTitle}":\n${text}`);
  if (path !== "/videos" && text.includes(course)) fail(`${path} (status ${status}) shows the course folder:\n${text}`);
  if (/demo\.lectern\.test/.test(text)) fail(`${path} (status ${status}) shows other people's addresses:\n${text}`);
  if (mustRefuse && text.includes(title)) fail(`${path} (status ${status}) mentions the shared recording:\n${text}`);
  // DEBUG_PAGES=file: append each page's text there, to see what a guest sees.
  if (process.env.DEBUG_PAGES) (await import("node:fs")).appendFileSync(process.env.DEBUG_PAGES, `--- ${path} ${status}\n${text}\n`);
  return status;
}

try {
  const context = await browser.newContext();
  const page = await context.newPage();
  logs = watchConsole(page);

  // The invitation: choose a password (first a mismatch, which is refused).
  const inv = await page.goto(env("INVITE_URL"));
  if (inv.status() !== 200) fail(`invitation page: status ${inv.status()}\n${await page.locator("body").innerText()}`);
  await page.getByRole("heading", { level: 1, name: `Welcome to “${title}”` }).waitFor({ timeout: 10000 });
  if (!(await page.locator("main").innerText()).includes(email)) fail("the invitation page does not name the guest's address");
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("The same password again").fill(password + "x");
  await page.getByRole("button", { name: "Save and watch" }).click();
  await page.getByRole("alert").filter({ hasText: /not the same/i }).waitFor({ timeout: 10000 })
    .catch(async () => fail(`mismatched passwords were not refused plainly:\n${await page.locator("body").innerText()}`));
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByLabel("The same password again").fill(password);
  await page.getByRole("button", { name: "Save and watch" }).click();

  // Lands on the shared recording, signed in, and watches it.
  await page.waitForURL((u) => u.pathname === `/sessions/${id}`, { timeout: 15000 });
  await page.getByRole("heading", { level: 1, name: title }).waitFor({ timeout: 10000 });
  const watched = await play(page);

  // Nothing else: pages.
  const seen = {};
  for (const path of [`/sessions/${otherID}`, `/folders/${folder}`, `/folders/${folder}/upload`, `/sessions/${id}/share`,
    `/sessions/${id}/invitations`, `/sessions/${id}/stats`, "/admin/settings", "/admin/users", "/admin/outbox", "/admin/audit", "/admin/sharing"]) {
    seen[path] = await nothingElse(page, path, { mustRefuse: true });
  }
  for (const path of ["/videos", "/folders", "/upload", "/approvals", "/recycle-bin", "/audit"]) {
    seen[path] = await nothingElse(page, path, { mustRefuse: false });
  }
  // "My videos" lists the shared recording and nothing else; the upload
  // page offers no folder of anyone else's.
  await page.goto(base + "/videos");
  const rows = await page.locator("main table tbody tr").allInnerTexts();
  if (rows.length !== 1 || !rows[0].includes(title)) fail(`/videos lists ${JSON.stringify(rows)}; want only "${title}"`);
  await page.goto(base + "/upload");
  const folderChoices = await page.getByLabel("Folder", { exact: true }).locator("option").allInnerTexts();
  if (folderChoices.some((o) => o.includes(course)) || folderChoices.length !== 1) fail(`/upload offers folders ${JSON.stringify(folderChoices)}`);

  // Nothing else: the API, with the guest's own sign-in.
  const api = async (path) => {
    const r = await page.request.get(base + path);
    return { status: r.status(), body: r.status() === 200 ? await r.json() : await r.text() };
  };
  const list = await api("/api/v1/sessions");
  const ids = list.status === 200 ? (list.body.items || []).map((s) => s.id) : null;
  if (!ids || ids.length !== 1 || ids[0] !== id) fail(`/api/v1/sessions: ${list.status} ${JSON.stringify(list.body)}; want only ${id}`);
  const folders = await api("/api/v1/folders");
  if (folders.status === 200 && (folders.body.items || []).some((f) => f.id === folder)) fail(`/api/v1/folders lists the course folder: ${JSON.stringify(folders.body)}`);
  for (const path of [`/api/v1/sessions/${otherID}`, `/api/v1/folders/${folder}`, `/api/v1/folders/${folder}/sessions`, `/api/v1/sessions/${otherID}/playback`]) {
    const r = await api(path);
    if (r.status !== 403 && r.status !== 404) fail(`${path}: ${r.status} ${JSON.stringify(r.body)}; want 403 or 404`);
    seen[path] = r.status;
  }

  // Sign out, and back in with the chosen password.
  await page.goto(`${base}/sessions/${id}`);
  const loggedOut = page.waitForResponse((r) => new URL(r.url()).pathname === "/logout" && r.request().method() === "POST", { timeout: 10000 });
  await page.getByRole("button", { name: "Sign out" }).click();
  await loggedOut;
  await page.waitForLoadState();
  const after = await page.goto(`${base}/sessions/${id}`);
  if (!new URL(page.url()).pathname.startsWith("/login")) fail(`after signing out, /sessions/${id} answered ${after.status()} at ${page.url()}`);
  await signIn(page, base, email, password);
  await page.goto(`${base}/sessions/${id}`);
  await page.getByRole("heading", { level: 1, name: title }).waitFor({ timeout: 10000 });
  const again = await play(page);

  console.log(JSON.stringify({ ok: true, watched_to: watched, watched_again_to: again, refused: seen }));
} catch (err) {
  console.error(String((err && err.stack) || err));
  console.error(logs.join("\n"));
  process.exitCode = 1;
} finally {
  await browser.close();
}
