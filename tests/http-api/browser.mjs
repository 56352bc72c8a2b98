// A real browser against a running ship: headless Chromium (Debian's) opens the login page, saves a
// screenshot, logs in with the ship's +code and lands on the page it asked for (a JSON scry).
// Usage: node browser.mjs URL CODE SCREENSHOT.png   (prints one JSON line; exits 1 on failure)
import { chromium } from 'playwright-core';

const [url, code, screenshot] = process.argv.slice(2);
const seen = { title: null, form: false, landed: null, text: null };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage();
  const behind = '/~/scry/hood/kiln/pikes.json';
  await page.goto(`${url}/~/login?redirect=${encodeURIComponent(behind)}`);
  seen.title = await page.title();
  seen.form = (await page.locator('input[name=password]').count()) === 1;
  await page.screenshot({ path: screenshot, fullPage: true });
  await page.fill('input[name=password]', code.replace(/^~/, ''));
  await Promise.all([page.waitForURL((u) => u.pathname === behind, { timeout: 30_000 }), page.keyboard.press('Enter')]);
  seen.landed = new URL(page.url()).pathname;
  seen.text = (await page.textContent('body')).slice(0, 200);
  console.log(JSON.stringify(seen));
  await browser.close();
} catch (e) {
  console.log(JSON.stringify({ ...seen, error: String(e && e.stack ? e.stack : e) }));
  await browser.close();
  process.exit(1);
}
