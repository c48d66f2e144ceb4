// The site's full search page (search.html?q=…) in Debian's Chromium, driven by the
// playwright-core that tests/browser installs (npm ci --prefix tests/browser).
//
//   node bench/search_page.mjs results SITE_OUTPUT_DIR QUERIES.json [--tabs 3]
//   node bench/search_page.mjs bytes SITE_OUTPUT_DIR QUERIES.json
//
// QUERIES.json is a JSON array of query strings. Both modes print one JSON object per query,
// one line each, in the order given:
// - `results` opens the page from file:// in one browser, a few tabs reused, and reads the
//   links of `.sy-result-title` in rank order: {query, results: [site-relative URL, …], error}.
//   A URL keeps its `#section` but not the `?hl=` the page adds (it repeats the query).
// - `bytes` serves the site on 127.0.0.1 under /kb/ (tests/browser/lib/server.mjs) and opens
//   each query in a fresh browser context (empty cache): {query, bytes, files: [{file, bytes}],
//   shards, fragments, top, results, error}, where `bytes` adds up the body of every response
//   the page got (HTML, CSS, scripts, search index files) until its results were shown; it is
//   null, and `error` says why, when a request failed or the page could not search.
// "Shown" means the results summary no longer reads 正在搜索… (search.js writes it while loading).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CHROMIUM, LAUNCH_ARGS } from '../tests/browser/lib/chromium.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const BROWSER_TESTS = path.join(HERE, '..', 'tests', 'browser');
const SHOWN = 10; // the search page shows ten results before "显示更多结果"
const LOADING = '正在搜索…';
const WAIT_MS = 60_000; // one query on a large site from a cold cache stays well under this

function usage(message) {
  if (message) console.error(`search_page.mjs: ${message}`);
  console.error('usage: node bench/search_page.mjs results|bytes SITE_OUTPUT_DIR QUERIES.json [--tabs N]');
  process.exit(2);
}

function loadPlaywright() {
  try {
    return createRequire(path.join(BROWSER_TESTS, 'package.json'))('playwright-core');
  } catch (e) {
    console.error(`search_page.mjs: cannot load playwright-core (${e.message}): run  npm ci --prefix tests/browser`);
    process.exit(2);
  }
}

/** Waits until the search page has shown its results (or said it has none); returns them. */
async function shownResults(page, base) {
  await page.waitForFunction(
    (loading) => {
      const summary = document.querySelector('#sy-search-page .sy-summary');
      return summary && summary.textContent !== loading;
    },
    LOADING,
    { timeout: WAIT_MS },
  );
  const found = await page.evaluate(() => ({
    summary: document.querySelector('#sy-search-page .sy-summary').textContent,
    hrefs: [...document.querySelectorAll('#sy-search-page .sy-result-title')].map((a) => a.href),
  }));
  const results = found.hrefs.slice(0, SHOWN).map((href) => siteRelative(href, base));
  // search.js writes this when an index file failed to load: a broken site, not "no results".
  const error = /加载失败/.test(found.summary) ? found.summary : null;
  return { results, error };
}

/** `…/policy/art-1.html?hl=…#s` -> `policy/art-1.html#s` (decoded), relative to the site root. */
function siteRelative(href, base) {
  const url = new URL(href);
  const hash = url.hash;
  url.search = '';
  url.hash = '';
  const rel = url.href.startsWith(base) ? url.href.slice(base.length) : url.href;
  return decodeURIComponent(rel) + (hash ? decodeURIComponent(hash) : '');
}

function searchUrl(base, query) {
  return `${base}search.html?q=${encodeURIComponent(query)}`;
}

/** Aborts every request outside `allowed` (file:// or our own server). */
async function fenceIn(context, allowed) {
  await context.route((url) => !allowed(url), (route) => route.abort('blockedbyclient'));
}

async function results(browser, siteDir, queries, tabs) {
  const base = pathToFileURL(siteDir).href + '/';
  const context = await browser.newContext({ locale: 'zh-CN' });
  await fenceIn(context, (url) => url.protocol === 'file:' || url.protocol === 'data:');
  const out = new Array(queries.length);
  let next = 0;
  let printed = 0;
  const flush = () => {
    while (printed < out.length && out[printed]) console.log(JSON.stringify(out[printed++]));
  };
  const worker = async () => {
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (err) => errors.push(`JS error: ${err.message}`));
    while (next < queries.length) {
      const i = next++;
      errors.length = 0;
      let row;
      try {
        await page.goto(searchUrl(base, queries[i]), { waitUntil: 'load', timeout: WAIT_MS });
        row = { query: queries[i], ...(await shownResults(page, base)) };
      } catch (e) {
        row = { query: queries[i], results: [], error: e.message.split('\n')[0] };
      }
      if (errors.length) row.error = [row.error, ...errors].filter(Boolean).join('; ');
      out[i] = row;
      flush();
    }
    await page.close();
  };
  await Promise.all(Array.from({ length: tabs }, worker));
  await context.close();
}

async function bytes(browser, siteDir, queries) {
  const { startServer } = await import(pathToFileURL(path.join(BROWSER_TESTS, 'lib', 'server.mjs')).href);
  const server = await startServer(siteDir, '/kb/');
  try {
    for (const query of queries) {
      // A fresh context has an empty cache: every file is loaded as on a reader's first query.
      const context = await browser.newContext({ locale: 'zh-CN' });
      await fenceIn(context, (url) => url.origin === server.origin);
      const page = await context.newPage();
      const bodies = [];
      const failures = [];
      page.on('requestfailed', (request) => failures.push(`${request.failure()?.errorText || 'failed'}: ${request.url()}`));
      page.on('response', (response) => {
        if (response.status() >= 400) failures.push(`HTTP ${response.status()}: ${response.url()}`);
        bodies.push(
          response.body().then(
            (body) => ({ file: siteRelative(response.url(), server.base), bytes: body.length }),
            (err) => {
              failures.push(`no body (${err.message.split('\n')[0]}): ${response.url()}`);
              return { file: siteRelative(response.url(), server.base), bytes: 0 };
            },
          ),
        );
      });
      let row;
      try {
        await page.goto(searchUrl(server.base, query), { waitUntil: 'load', timeout: WAIT_MS });
        const shown = await shownResults(page, server.base);
        // Only what arrived before the results were shown (a response is reported before the
        // script it carries runs, so everything the rendering needed is in `bodies` by now).
        const files = await Promise.all(bodies.slice());
        const count = (re) => files.filter((f) => re.test(f.file)).length;
        // A page that failed to load a file did not do a reader's query: no figure for it.
        const error = [shown.error, ...failures].filter(Boolean).join('; ') || null;
        row = {
          query,
          bytes: error ? null : files.reduce((n, f) => n + f.bytes, 0),
          files,
          shards: count(/^search\/[^/]+\/s\d+\/\d+\.js$/),
          fragments: count(/^search\/[^/]+\/p\d+\/\d+\.js$/),
          top: shown.results[0] || null,
          results: shown.results,
          error,
        };
      } catch (e) {
        row = { query, bytes: null, files: [], error: e.message.split('\n')[0] };
      }
      console.log(JSON.stringify(row));
      await context.close();
    }
  } finally {
    await server.close();
  }
}

async function main() {
  const args = process.argv.slice(2);
  let tabs = 3;
  const positional = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--tabs') tabs = Number(args[++i]);
    else if (args[i].startsWith('-')) usage(`unknown option ${args[i]}`);
    else positional.push(args[i]);
  }
  const [mode, site, queriesFile] = positional;
  if (!['results', 'bytes'].includes(mode) || !site || !queriesFile || positional.length > 3) usage();
  if (!(tabs >= 1)) usage('--tabs takes a number of at least 1');
  const siteDir = fs.realpathSync(site);
  if (!fs.existsSync(path.join(siteDir, 'search.html'))) usage(`${siteDir}/search.html does not exist: build the site first`);
  const queries = JSON.parse(fs.readFileSync(queriesFile, 'utf8'));
  const { chromium } = loadPlaywright();
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS, timeout: 60_000 });
  try {
    if (mode === 'results') await results(browser, siteDir, queries, tabs);
    else await bytes(browser, siteDir, queries);
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(`search_page.mjs: ${e.stack || e}`);
  process.exit(1);
});
