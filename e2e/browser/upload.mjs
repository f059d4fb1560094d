// The demo lecturer uploads a recording through the upload page: the file
// goes into the labelled file input, the upload survives a dropped
// connection, the progress bar reaches 100 %, processing progress follows,
// and the new recording's page shows the player once it is ready.
// Then it checks the demo lecture's statistics page as its owner.
//   BASE_URL=… EMAIL=… PASSWORD=… FILE=/path/clip.mp4 FOLDER=… DEMO_SESSION=… STUDENT_NAME=… node upload.mjs
import { launch, env } from "./browser.mjs";
import { signIn, watchConsole } from "./signin.mjs";

const base = env("BASE_URL");
const browser = await launch();
let logs = [];
try {
  const page = await browser.newPage();
  logs = watchConsole(page);
  await signIn(page, base, env("EMAIL"), env("PASSWORD"));
  await page.getByRole("link", { name: "Upload", exact: true }).click();
  await page.getByRole("heading", { level: 1, name: "Upload a recording" }).waitFor();
  await page.getByLabel("Recording (a video or audio file)").setInputFiles(env("FILE"));
  await page.getByLabel("Title", { exact: true }).fill("Uploaded from the browser");
  await page.getByLabel("Folder", { exact: true }).selectOption(env("FOLDER"));

  // The first PATCH loses its connection: tus-js-client asks the server
  // how much arrived (HEAD) and carries on from there.
  const methods = [];
  let dropped = false;
  await page.route("**/api/v1/uploads/*", (route) => {
    const m = route.request().method();
    methods.push(m);
    if (m === "PATCH" && !dropped) {
      dropped = true;
      return route.abort("connectionreset");
    }
    return route.continue();
  });
  const created = page.waitForResponse((r) => r.url().includes("/api/v1/uploads/") && r.request().method() === "POST");
  await page.getByRole("button", { name: "Upload", exact: true }).click();
  const post = await created;
  if (post.status() !== 201) throw new Error(`tus POST answered ${post.status()}: ${await post.text()}`);
  const sessionID = post.headers()["lectern-session-id"];
  if (!sessionID) throw new Error("no Lectern-Session-Id header");

  await page.waitForFunction(() => document.getElementById("upload-progress").value === 100, null, { timeout: 60000 });
  const status = await page.getByRole("status").filter({ hasText: "Upload complete" }).innerText();
  if (!dropped || !methods.includes("HEAD") || methods.filter((m) => m === "PATCH").length < 2) {
    throw new Error(`no resume after the dropped connection: ${methods}`);
  }
  await page.unrouteAll();
  const link = page.getByRole("link", { name: /Open the recording|Watch the recording/ });
  await link.waitFor({ state: "visible", timeout: 10000 });
  if ((await link.getAttribute("href")) !== `/sessions/${sessionID}`) throw new Error(`link goes to ${await link.getAttribute("href")}`);
  // Processing progress follows on the same page.
  await page.waitForFunction(() => document.getElementById("upload-processing-status").textContent.trim() !== "", null, { timeout: 10000 });
  const processed = await page.locator("#upload-processing-status").innerText();
  // The recording's page shows processing progress until it is ready,
  // then the player, without a reload.
  await link.click();
  await page.getByRole("heading", { level: 1, name: "Uploaded from the browser" }).waitFor();
  const wasProcessing = await page.locator("#processing").isVisible().catch(() => false);
  await page.waitForFunction(() => !document.getElementById("player-toggle").disabled, null, { timeout: 120000 });
  if (!(await page.locator("#player-video").isVisible())) throw new Error("the player is not shown once ready");

  // The demo lecture's viewing statistics: the chart and the student's row.
  await page.goto(`${base}/sessions/${env("DEMO_SESSION")}/stats`);
  await page.getByRole("heading", { level: 1, name: "Viewing statistics" }).waitFor();
  const chart = page.getByRole("img", { name: /Share of viewers/ });
  await chart.waitFor();
  await page.getByText("The chart's data as a table").click();
  const table = await page.getByRole("table", { name: "Viewers per 5 % of the recording" }).innerText();
  if (!/0–5 %/.test(table)) throw new Error(`drop-off table: ${table}`);
  const viewers = await page.getByRole("table", { name: /What each viewer watched/ }).innerText();
  if (!viewers.includes(env("STUDENT_NAME"))) throw new Error(`viewers table lacks the student: ${viewers}`);
  console.log(JSON.stringify({ ok: true, session: sessionID, requests: methods.join(" "), status, processed, was_processing: wasProcessing, viewers: viewers.split("\n").slice(1).join(" | ") }));
} catch (err) {
  console.error(String((err && err.stack) || err));
  console.error(logs.join("\n"));
  process.exitCode = 1;
} finally {
  await browser.close();
}
