// Shared launcher: Debian's Chromium, headless, with the flags this closed
// network needs (no background connections to the outside).
import { chromium } from "playwright-core";

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
}

export function env(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} must be set`);
  return v;
}
