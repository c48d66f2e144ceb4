#!/usr/bin/env node
// Browser tests for a site built by shuyuan.
//
//   node tests/browser/run.mjs <site dir> [--engine chromium|firefox] [--only file|http] [--grep TEXT] [--screenshots DIR] [--verbose]
//
// Every check in checks/*.mjs runs in Chromium and in Firefox (unless it names its `engines`),
// and in each twice: once with the site opened from file://<site>/index.html and once served by
// our own strict HTTP server under http://127.0.0.1:PORT/kb/training/.
// The last line printed is exactly `N passed, N failed`; the exit code is 0 only if nothing failed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startServer, SHADOWED_PREFIX } from './lib/server.mjs';
import { Monitor, makeCtx, CheckFailure } from './lib/harness.mjs';
import { CHROMIUM, LAUNCH_ARGS } from './lib/chromium.mjs';
import { FIREFOX, launchFirefox } from './lib/firefox.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PREFIX = '/kb/training/';
const CHECK_TIMEOUT_MS = 90_000;
const WATCHDOG_MS = 25 * 60_000;
const ENGINES = ['chromium', 'firefox'];
/** Fixture sites some checks open (named by tests/browser.rs), served under /kb/<name>/ too. */
const FIXTURES = { xss: 'SHUYUAN_XSS_SITE' };
const VIEWPORT = { width: 1280, height: 900 };


function usage(msg) {
  if (msg) console.error(`run.mjs: ${msg}`);
  console.error('usage: node tests/browser/run.mjs <site dir> [--engine chromium|firefox] [--only file|http] [--grep TEXT] [--screenshots DIR] [--verbose]');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { site: null, engine: null, only: null, grep: [], screenshots: process.env.SHUYUAN_BROWSER_SCREENSHOTS || null, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => (i + 1 < argv.length ? argv[++i] : usage(`${a} needs a value`));
    if (a === '--engine') o.engine = val();
    else if (a === '--only') o.only = val();
    else if (a === '--grep') o.grep.push(val());
    else if (a === '--screenshots') o.screenshots = val();
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--help' || a === '-h') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (o.site === null) o.site = a;
    else usage(`unexpected argument ${a}`);
  }
  if (!o.site) usage('missing <site dir>');
  if (o.only && !['file', 'http'].includes(o.only)) usage('--only takes file or http');
  if (o.engine && !ENGINES.includes(o.engine)) usage(`--engine takes ${ENGINES.join(' or ')}`);
  return o;
}

async function loadChecks() {
  const dir = path.join(HERE, 'checks');
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.mjs')).sort();
  const checks = [];
  for (const f of files) {
    const mod = await import(pathToFileURL(path.join(dir, f)).href);
    const list = mod.default;
    if (!Array.isArray(list)) throw new Error(`checks/${f} must default-export an array of { name, run(page, ctx) }`);
    for (const c of list) {
      if (typeof c?.name !== 'string' || typeof c?.run !== 'function') throw new Error(`checks/${f}: every check needs a name and a run(page, ctx) function`);
      // A file may name the engines of all its checks (`export const engines = ['chromium']`).
      const engines = c.engines || mod.engines || ENGINES;
      if (!engines.every((e) => ENGINES.includes(e))) throw new Error(`checks/${f}: "${c.name}" names unknown engines ${engines.join(', ')}`);
      checks.push({ ...c, engines, file: f });
    }
  }
  const names = new Set();
  for (const c of checks) {
    if (names.has(c.name)) throw new Error(`duplicate check name "${c.name}"`);
    names.add(c.name);
  }
  return checks;
}

function withTimeout(promise, ms, what) {
  let t;
  return Promise.race([
    promise.finally(() => clearTimeout(t)),
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new CheckFailure(`${what} timed out after ${ms / 1000}s`)), ms);
    }),
  ]);
}

function indent(s, pad = '      ') {
  return String(s)
    .split('\n')
    .map((l) => pad + l)
    .join('\n');
}

function slug(s) {
  return s.replace(/[^\p{L}\p{N}]+/gu, '-').replace(/^-|-$/g, '');
}

/**
 * A fresh browser context of `engine` (Playwright's, or the Firefox adapter's with the same
 * surface), with every page watched by the monitor; returns { context, cleanup }.
 */
async function launch(engine, monitor) {
  if (engine === 'firefox') {
    const context = await launchFirefox({ viewport: VIEWPORT });
    return { context, cleanup: () => {} };
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'shuyuan-chromium-'));
  const cleanup = () => fs.rmSync(userDataDir, { recursive: true, force: true });
  let context;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: LAUNCH_ARGS,
      viewport: VIEWPORT,
      locale: 'zh-CN',
      timeout: 60_000,
    });
  } catch (e) {
    cleanup();
    throw e;
  }
  // Never let anything reach another host, whatever the page asks for. (Firefox gets the same
  // from its proxy settings, see lib/firefox.mjs.)
  await context.route(
    (url) => !monitor.allowed(url.href),
    (route) => route.abort('blockedbyclient'),
  );
  return { context, cleanup };
}

async function runMode(engine, mode, { checks, siteDir, server, opts, results }) {
  const base = mode === 'file' ? pathToFileURL(siteDir).href + '/' : server.base;
  const origin = mode === 'http' ? server.origin : null;
  const tag = `${engine} ${mode}`;
  console.log(`\n== ${tag}: ${base}index.html`);
  const monitor = new Monitor(mode, origin);
  let context, cleanup;
  try {
    ({ context, cleanup } = await launch(engine, monitor));
  } catch (e) {
    const exe = engine === 'firefox' ? FIREFOX : CHROMIUM;
    results.push({ mode, name: `launch ${engine}`, ok: false, error: `could not launch ${exe}: ${e.message}` });
    console.log(`[${tag}] FAIL launch ${engine}\n${indent(e.message)}`);
    return;
  }
  context.setDefaultTimeout(10_000);
  context.setDefaultNavigationTimeout(20_000);
  context.on('page', (p) => monitor.attach(p));
  for (const p of context.pages()) monitor.attach(p);

  const state = {};
  try {
    for (const check of checks) {
      // `modes` is a list, or a list per engine ({ firefox: ['file'] }; unnamed engines: both).
      const modes = Array.isArray(check.modes) ? check.modes : check.modes?.[engine];
      if (modes && !modes.includes(mode)) continue;
      if (!check.engines.includes(engine)) continue;
      monitor.reset();
      const fixtures = Object.fromEntries(Object.entries(server.fixtures).map(([name, dir]) => [name, { dir, base: mode === 'file' ? pathToFileURL(dir).href + '/' : `${server.origin}/kb/${name}/` }]));
      const ctx = makeCtx({ engine, mode, base, siteDir, origin, prefix: mode === 'http' ? PREFIX : null, monitor, state, fixtures });
      const page = await context.newPage();
      if (check.viewport) await page.setViewportSize(check.viewport);
      const t0 = Date.now();
      let error = null;
      try {
        await withTimeout(Promise.resolve().then(() => check.run(page, ctx)), check.timeout || CHECK_TIMEOUT_MS, `check "${check.name}"`);
        // Let late errors (deferred scripts, timers) surface before judging.
        await page.waitForTimeout(50);
      } catch (e) {
        error = e instanceof CheckFailure ? e.message : `${e.name || 'Error'}: ${e.message}`;
      }
      if (opts.screenshots) {
        try {
          fs.mkdirSync(opts.screenshots, { recursive: true });
          await page.screenshot({ path: path.join(opts.screenshots, `${engine}-${mode}-${slug(check.name)}.png`), fullPage: true, timeout: 10_000 });
        } catch {}
      }
      const problems = monitor.problems;
      const ok = !error && problems.length === 0;
      const ms = Date.now() - t0;
      results.push({ mode, name: check.name, ok, error, problems });
      console.log(`[${tag}] ${ok ? 'ok  ' : 'FAIL'} ${check.name} (${ms} ms)`);
      if (error) console.log(indent(error));
      if (problems.length) console.log(indent(problems.slice(0, 20).join('\n') + (problems.length > 20 ? `\n… and ${problems.length - 20} more` : '')));
      if ((!ok || opts.verbose) && ctx.notes.length) console.log(indent(ctx.notes.join('\n'), '      · '));
      await page.close().catch(() => {});
      for (const p of context.pages()) if (p !== page) await p.close().catch(() => {});
    }
  } finally {
    results.versions[engine] = context.browser()?.version() || '?';
    // A browser that went away mid-check can leave close() waiting for good: the harness must
    // report the failure, not hang until the watchdog.
    await withTimeout(context.close(), 15_000, `closing ${engine}`).catch(() => {});
    cleanup();
  }
  // Summary check: over the whole mode, nothing went to another host.
  const outside = [...new Set(monitor.outside)];
  results.push({ mode, name: 'zero outside requests', ok: outside.length === 0, problems: outside });
  console.log(`[${tag}] ${outside.length === 0 ? 'ok  ' : 'FAIL'} zero outside requests (${monitor.requests.length} requests seen)`);
  if (outside.length) console.log(indent(outside.slice(0, 20).join('\n')));
}

let chromium;
async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const siteDir = fs.realpathSync(path.resolve(opts.site));
  const results = [];
  results.versions = {};
  const closing = () => {
    const passed = results.filter((r) => r.ok).length;
    const failed = results.length - passed;
    console.log(`\n${passed} passed, ${failed} failed`);
    return failed;
  };
  const watchdog = setTimeout(() => {
    console.log(`\nrun.mjs: gave up after ${WATCHDOG_MS / 60000} minutes`);
    results.push({ name: 'watchdog', ok: false });
    closing();
    process.exit(1);
  }, WATCHDOG_MS);
  watchdog.unref();

  const harnessFail = (name, msg) => {
    console.log(`FAIL ${name}\n${indent(msg)}`);
    results.push({ name, ok: false });
    closing();
    process.exit(1);
  };
  if (!fs.existsSync(path.join(siteDir, 'index.html'))) harnessFail('site directory', `${siteDir}/index.html does not exist: build the site first`);
  const engines = opts.engine ? [opts.engine] : ENGINES;
  if (engines.includes('chromium') && !fs.existsSync(CHROMIUM)) harnessFail('chromium', `${CHROMIUM} not found: install it with  apt-get install -y chromium fonts-noto-cjk`);
  if (engines.includes('firefox') && !fs.existsSync(FIREFOX)) harnessFail('firefox', `${FIREFOX} not found: install it with  apt-get install -y firefox-esr`);
  // Layout checks (overflow at 390px) and screenshots depend on real CJK glyphs, not fallback boxes.
  let cjkFonts = '';
  try {
    cjkFonts = execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' }).trim();
  } catch {}
  if (!cjkFonts) harnessFail('CJK fonts', 'no font for Chinese is installed (fc-list :lang=zh is empty): install it with  apt-get install -y fonts-noto-cjk');
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    harnessFail('playwright-core', `cannot load playwright-core (${e.message}): run  npm ci --prefix tests/browser`);
  }

  let checks = await loadChecks();
  if (opts.grep.length) checks = checks.filter((c) => opts.grep.some((g) => c.name.includes(g)));
  const pwVersion = JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules/playwright-core/package.json'), 'utf8')).version;
  let ppVersion = 'missing';
  try {
    ppVersion = JSON.parse(fs.readFileSync(path.join(HERE, 'node_modules/puppeteer-core/package.json'), 'utf8')).version;
  } catch {}
  console.log(`shuyuan browser tests: ${checks.length} checks, site ${siteDir}, playwright-core ${pwVersion} (${CHROMIUM}), puppeteer-core ${ppVersion} (${FIREFOX})`);

  const fixtureDirs = {};
  for (const [name, env] of Object.entries(FIXTURES)) if (process.env[env]) fixtureDirs[name] = fs.realpathSync(process.env[env]);
  // The site once more under a server folder named like one of the site's own (static/), as an
  // intranet's /static/kb/ is: where the 404 page must still find the site's root.
  const mounts = Object.fromEntries(Object.entries(fixtureDirs).map(([name, dir]) => [`/kb/${name}/`, dir]));
  mounts[SHADOWED_PREFIX] = siteDir;
  const server = await startServer(siteDir, PREFIX, mounts);
  server.fixtures = fixtureDirs;
  try {
    for (const engine of engines) {
      for (const mode of ['file', 'http']) {
        if (opts.only && opts.only !== mode) continue;
        await runMode(engine, mode, { checks, siteDir, server, opts, results });
      }
    }
  } finally {
    await server.close();
  }
  console.log(`\n${Object.entries(results.versions).map(([e, v]) => `${e} ${v}`).join(', ')}`);
  const failed = closing();
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.log(`run.mjs: harness error: ${e.stack || e}`);
  console.log('\n0 passed, 1 failed');
  process.exit(1);
});
