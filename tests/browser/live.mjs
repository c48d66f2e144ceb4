#!/usr/bin/env node
// Live reload in a real browser: `shuyuan serve` on a copy of a site, one of its pages open in
// Chromium, then real edits of that page's source file.
//
//   node tests/browser/live.mjs <shuyuan binary> <site dir> <page URL path> <page source>
//
// The site dir must be a throwaway copy: its source file is edited. Checks, in order:
// 1. after an edit the open page reloads itself (a new document, not a patched one) and shows
//    the new text;
// 2. broken front matter shows the error overlay naming the file and line, over the page;
// 3. fixing the file clears the overlay and shows the page with the fix.
// The last line printed is exactly `N passed, N failed`; the exit code is 0 only if nothing failed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { CHROMIUM, LAUNCH_ARGS } from './lib/chromium.mjs';

const STARTUP_MS = 120_000;
const CHANGE_MS = 30_000;

const [bin, siteDir, pagePath, sourceRel] = process.argv.slice(2);
if (!sourceRel) {
  console.error('usage: node tests/browser/live.mjs <shuyuan binary> <site dir> <page URL path> <page source>');
  process.exit(2);
}
const source = path.join(siteDir, sourceRel);

/** Starts the server and resolves with its address once it says where it serves. */
function startServer() {
  const child = spawn(bin, ['serve', '--root', siteDir, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  child.stderr.on('data', (d) => log.push(String(d)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no address within ${STARTUP_MS} ms:\n${log.join('')}`)), STARTUP_MS);
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${log.join('')}`)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      log.push(line + '\n');
      const at = line.indexOf('正在预览：');
      if (at >= 0) {
        clearTimeout(timer);
        resolve({ child, url: line.slice(at + '正在预览：'.length).trim().replace(/\/?$/, '/'), log });
      }
    });
  });
}

const results = [];
async function check(name, run) {
  try {
    await run();
    results.push(true);
    console.log(`ok   ${name}`);
  } catch (e) {
    results.push(false);
    console.log(`FAIL ${name}\n     ${String(e.message).split('\n').join('\n     ')}`);
  }
}

let server;
let context;
const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shuyuan-live-'));
try {
  const { chromium } = await import('playwright-core');
  server = await startServer();
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS, locale: 'zh-CN', timeout: 60_000,
  });
  const page = await context.newPage();
  await page.goto(server.url + pagePath, { waitUntil: 'load' });
  const original = fs.readFileSync(source, 'utf8');
  const shows = (text) => page.waitForFunction(
    (t) => !window.__shuyuanSameDocument && document.body && document.body.textContent.includes(t),
    text, { timeout: CHANGE_MS },
  );

  await check('an edit reloads the open page with the new text', async () => {
    await page.evaluate(() => { window.__shuyuanSameDocument = true; });
    const added = `浏览器实时刷新检查之一${Date.now()}。`;
    fs.writeFileSync(source, `${original}\n\n${added}\n`);
    await shows(added);
  });

  await check('broken front matter shows the overlay with the file and line', async () => {
    await page.evaluate(() => { window.__shuyuanSameDocument = true; });
    fs.writeFileSync(source, original.replace(/^title:.*$/m, 'title: [未闭合'));
    const overlay = page.locator('#shuyuan-overlay');
    await overlay.waitFor({ state: 'visible', timeout: CHANGE_MS });
    const text = await overlay.textContent();
    const where = `${sourceRel.split(path.sep).join('/')}:`;
    if (!text.includes(where)) throw new Error(`the overlay does not name ${where}: ${text}`);
    // The page under the overlay stays as it was.
    if (!(await page.evaluate(() => window.__shuyuanSameDocument))) throw new Error('the page was replaced');
  });

  await check('fixing the file clears the overlay and shows the fix', async () => {
    const fixed = `浏览器实时刷新检查之二${Date.now()}。`;
    fs.writeFileSync(source, `${original}\n\n${fixed}\n`);
    await shows(fixed);
    if (await page.locator('#shuyuan-overlay').count()) throw new Error('the overlay is still there');
  });
} catch (e) {
  results.push(false);
  console.log(`FAIL live reload harness\n     ${e.message}${server ? `\n     server log:\n${server.log.join('')}` : ''}`);
} finally {
  await context?.close().catch(() => {});
  server?.child.kill('SIGINT');
  fs.rmSync(userDataDir, { recursive: true, force: true });
}
const failed = results.filter((ok) => !ok).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
