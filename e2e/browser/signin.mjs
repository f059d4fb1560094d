// Signs a page in through the login form, as a person would.
export async function signIn(page, base, email, password) {
  await page.goto(base + "/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Password").press("Enter");
  await page.getByRole("heading", { level: 1, name: "My videos" }).waitFor({ timeout: 15000 });
}

// Collects the page's console errors and failed requests, for messages.
export function watchConsole(page) {
  const lines = [];
  page.on("console", (m) => { if (m.type() === "error" || m.type() === "warning") lines.push(`console ${m.type()}: ${m.text()}`); });
  page.on("pageerror", (e) => lines.push(`page error: ${e.message}`));
  return lines;
}
