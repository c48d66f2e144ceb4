// The context handed to every check, plus the request/error monitor.
//
// A check is `{ name, run(page, ctx), modes? }` (see ../README.md). `run` gets a fresh page
// and a `ctx` built here. While it runs, the monitor collects problems (page JS errors,
// failed or 4xx/5xx same-site requests, any request to another host); a check that
// collected a problem fails even if its own assertions passed.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the site's primary navigation lives (first match that is not breadcrumbs). */
export const NAV_SELECTOR = [
  '.sy-nav',
  'header nav',
  'nav[aria-label*="主"]',
  'nav[aria-label*="main" i]',
  '[role="navigation"]',
  'nav',
].join(', ');

/** Breadcrumb trails. */
export const BREADCRUMB_SELECTOR = [
  '.sy-breadcrumbs',
  '.breadcrumbs',
  '.breadcrumb',
  'nav[aria-label*="breadcrumb" i]',
  'nav[aria-label*="面包屑"]',
  '[class*="crumb"]',
].join(', ');

/** The main content area of a page. */
export const MAIN_SELECTOR = 'main, [role="main"]';

export class CheckFailure extends Error {}

/** Collapse whitespace and trim. */
export function norm(s) {
  return String(s ?? '')
    .replace(/[\s\u00a0\u3000]+/g, ' ')
    .trim();
}

function short(s, n = 120) {
  s = String(s);
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

/**
 * Watches every page of a browser context and records problems for the running check.
 */
export class Monitor {
  constructor(mode, origin) {
    this.mode = mode;
    this.origin = origin; // http origin of our server, or null in file mode
    this.requests = [];
    this.outside = [];
    this.reset();
  }

  /** Is this URL allowed to be requested at all in this mode? */
  allowed(url) {
    let u;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.protocol === 'data:' || u.protocol === 'blob:' || url === 'about:blank') return true;
    if (this.mode === 'file') return u.protocol === 'file:';
    return u.origin === this.origin;
  }

  reset() {
    this.found = new Map(); // problem text -> Set of page URLs it happened on
    this.badStatus = new Set(); // URLs already reported with an HTTP error status
    this.expected404 = new Set(); // URLs a check deliberately requests knowing they are missing
    this.expectedConsole = []; // patterns of console errors a check provokes on purpose
    this.consoleSeen = []; // the console errors that matched one of them
  }

  add(problem, pageUrl) {
    if (!this.found.has(problem)) this.found.set(problem, new Set());
    this.found.get(problem).add(pageUrl);
  }

  /** The problems seen since reset(), one line each, naming the pages they happened on. */
  get problems() {
    return [...this.found].map(([p, pages]) => {
      const list = [...pages];
      return list.length === 1 ? `${p} (on ${list[0]})` : `${p} (on ${list.length} pages, e.g. ${list[0]})`;
    });
  }

  attach(page) {
    page.on('pageerror', (err) => {
      const where = err.stack ? err.stack.split('\n').slice(1, 3).map((l) => l.trim()).join(' ') : '';
      this.add(`JS error: ${err.message}${where ? ` [${where}]` : ''}`, page.url());
    });
    page.on('console', (msg) => {
      if (msg.type() !== 'error') return;
      const text = msg.text();
      // Failed loads are reported (with their URL) by the request listeners below.
      if (/^Failed to load resource\b/.test(text)) return;
      if (this.expectedConsole.some((re) => re.test(text))) {
        this.consoleSeen.push(text);
        return;
      }
      const loc = msg.location();
      this.add(`console error: ${text}${loc?.url ? ` [${loc.url}:${loc.lineNumber + 1}]` : ''}`, page.url());
    });
    page.on('request', (req) => {
      const url = req.url();
      this.requests.push(url);
      if (!this.allowed(url)) {
        this.outside.push(url);
        this.add(`request to an outside host (${req.resourceType()}): ${url}`, page.url());
      }
    });
    page.on('response', (resp) => {
      const url = resp.url();
      if (resp.status() >= 400 && !this.expected404.has(url)) {
        this.badStatus.add(url);
        this.add(`HTTP ${resp.status()} for ${resp.request().resourceType()} ${url}`, page.url());
      }
    });
    page.on('requestfailed', (req) => {
      const url = req.url();
      if (!this.allowed(url)) return; // already reported as outside
      if (this.expected404.has(url) || this.badStatus.has(url)) return;
      const err = req.failure()?.errorText || 'failed';
      // A navigation the check itself replaced (e.g. clicking again) is not a site problem.
      if (err === 'net::ERR_ABORTED' && req.isNavigationRequest()) return;
      this.add(`failed ${req.resourceType()} request: ${url} (${err})`, page.url());
    });
    page.on('websocket', (ws) => {
      if (!this.allowed(ws.url().replace(/^ws/, 'http'))) {
        this.outside.push(ws.url());
        this.add(`websocket to an outside host: ${ws.url()}`, page.url());
      }
    });
  }
}

/**
 * Build the ctx for one mode.
 * @param {{engine:'chromium'|'firefox', mode:'file'|'http', base:string, siteDir:string, origin?:string, prefix?:string, monitor:Monitor, state:object}} o
 */
export function makeCtx(o) {
  const notes = [];
  const ctx = {
    /** `'chromium'` or `'firefox'`. */
    engine: o.engine,
    mode: o.mode,
    /** Site root URL, ending in `/` (file:///…/site/ or http://127.0.0.1:PORT/kb/training/). */
    base: o.base,
    siteDir: o.siteDir,
    origin: o.origin || null,
    prefix: o.prefix || null,
    monitor: o.monitor,
    /** Shared between the checks of one mode (e.g. discovered sections), reset per mode. */
    state: o.state,
    /** Fixture sites named by the environment: { xss: { dir, base } }, `base` in this mode. */
    fixtures: o.fixtures || {},
    notes,
    norm,

    /** Absolute URL of a site-relative path like `cases/index.html`. */
    url(rel) {
      return new URL(rel, o.base).href;
    },

    /** Site-relative, percent-decoded path of a URL (no query/fragment), or null if outside the site. */
    rel(url) {
      let u;
      try {
        u = new URL(url);
      } catch {
        return null;
      }
      const b = new URL(o.base);
      if (u.protocol !== b.protocol || u.host !== b.host) return null;
      if (!u.pathname.startsWith(b.pathname)) return null;
      try {
        return decodeURIComponent(u.pathname.slice(b.pathname.length));
      } catch {
        return null;
      }
    },

    /** The file in the site directory a URL points to, or null (outside, folder, or missing). */
    fileFor(url) {
      const rel = ctx.rel(url);
      if (rel === null || rel === '' || rel.endsWith('/')) return null;
      let file;
      if (o.mode === 'file') {
        const u = new URL(url);
        u.hash = '';
        u.search = '';
        file = fileURLToPath(u);
      } else {
        file = path.join(o.siteDir, ...rel.split('/'));
      }
      if (!path.resolve(file).startsWith(o.siteDir + path.sep)) return null;
      try {
        return fs.statSync(file).isFile() ? file : null;
      } catch {
        return null;
      }
    },

    /** Tell the monitor that a request for this URL is meant to fail (e.g. probing a missing page). */
    expectMissing(target) {
      o.monitor.expected404.add(/^[a-z]+:/.test(target) ? target : ctx.url(target));
    },

    /** Tell the monitor that console errors matching `pattern` are meant (the check provokes them); returns the list of those seen. */
    expectConsoleError(pattern) {
      o.monitor.expectedConsole.push(pattern);
      return o.monitor.consoleSeen;
    },

    /** Record a detail line, printed under the check when it fails (or with --verbose). */
    note(...parts) {
      notes.push(parts.join(' '));
    },

    assert(cond, msg) {
      if (!cond) throw new CheckFailure(typeof msg === 'function' ? msg() : msg);
    },

    equal(actual, expected, msg) {
      if (actual !== expected) {
        throw new CheckFailure(`${msg}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
      }
    },

    fail(msg) {
      throw new CheckFailure(msg);
    },

    /**
     * Navigate to a site-relative path or absolute URL; fails unless the document loads with 2xx.
     * Redirect pages (`<meta http-equiv="refresh">`, as written for `aliases`) are followed, so the
     * page is settled on the final document when this returns.
     */
    async goto(page, target) {
      const url = /^[a-z]+:/.test(target) ? target : ctx.url(target);
      let resp;
      try {
        resp = await page.goto(url, { waitUntil: 'load' });
      } catch (e) {
        throw new CheckFailure(`could not open ${url}: ${e.message.split('\n')[0]}`);
      }
      if (resp && resp.status() >= 400) throw new CheckFailure(`HTTP ${resp.status()} for ${url}`);
      await ctx.settle(page);
      return resp;
    },

    /** Wait until the page is loaded and not about to follow a meta refresh. */
    async settle(page) {
      for (let i = 0; i < 5; i++) {
        await page.waitForLoadState('load');
        let refresh;
        try {
          refresh = await page.evaluate(() => {
            const m = document.querySelector('meta[http-equiv="refresh" i]');
            return m ? m.content : null;
          });
        } catch {
          continue; // the document was replaced while we looked: look again at the new one
        }
        // A refresh may have replaced the document between the wait above and the look:
        // wait for this document's load too, or its deferred scripts are cut off.
        if (refresh === null) return page.waitForLoadState('load');
        const before = page.url();
        try {
          await page.waitForURL((u) => u.href !== before, { timeout: 10_000 });
        } catch {
          throw new CheckFailure(`${before} has <meta http-equiv="refresh" content="${refresh}"> but did not redirect`);
        }
      }
      await page.waitForLoadState('load');
    },

    /** Click a link and wait until the page shows a different URL and has loaded. Returns the new URL. */
    async clickAndWait(page, locator) {
      const before = page.url();
      await locator.scrollIntoViewIfNeeded();
      await locator.click();
      try {
        await page.waitForURL((u) => u.href !== before, { timeout: 10_000 });
      } catch {
        throw new CheckFailure(`clicking ${await describe(locator)} on ${before} did not navigate`);
      }
      await ctx.settle(page);
      return page.url();
    },

    /** Text of the page's main heading: the first <h1> inside <main>, else the first <h1>. Fails if none. */
    async h1(page) {
      const t = await page.evaluate((mainSel) => {
        const m = document.querySelector(mainSel);
        const h = (m && m.querySelector('h1')) || document.querySelector('h1');
        return h ? h.textContent : null;
      }, MAIN_SELECTOR);
      if (t === null) throw new CheckFailure(`no <h1> on ${page.url()}`);
      const n = norm(t);
      if (!n) throw new CheckFailure(`empty <h1> on ${page.url()}`);
      return n;
    },

    /** The breadcrumb trail: { text, hrefs: [resolved link URLs] }, or null when the page has none. */
    async breadcrumbs(page) {
      const r = await page.evaluate((sel) => {
        const el = document.querySelector(sel);
        if (!el) return null;
        return { text: el.textContent, hrefs: [...el.querySelectorAll('a[href]')].map((a) => a.href) };
      }, BREADCRUMB_SELECTOR);
      return r && { text: norm(r.text), hrefs: r.hrefs };
    },

    /**
     * Links inside the elements matching `scope`, as plain objects
     * { text, href (resolved), raw (attribute), title, index, inside: {nav,breadcrumbs,header,footer,content,tagish} }.
     */
    async links(page, scope = 'body') {
      return page.evaluate(
        ([scopeSel, bcSel, navSel]) => {
          const out = [];
          const seen = new Set();
          for (const root of document.querySelectorAll(scopeSel)) {
            for (const a of root.querySelectorAll('a[href]')) {
              if (seen.has(a)) continue;
              seen.add(a);
              const cls = (el) => (el && typeof el.className === 'string' ? el.className : '');
              let tagish = a.rel.split(/\s+/).includes('tag');
              for (let e = a; e && e !== document.body; e = e.parentElement) {
                if (/(^|[-_\s])(tags?|topics?|terms?|regions?|taxonom\w*|meta|pagination|pager|paginator)([-_\s]|$)/i.test(cls(e))) tagish = true;
              }
              out.push({
                text: a.textContent,
                href: a.href,
                raw: a.getAttribute('href'),
                title: a.getAttribute('title') || a.getAttribute('aria-label') || '',
                index: out.length,
                inside: {
                  nav: !!a.closest('nav, [role="navigation"]'),
                  breadcrumbs: !!a.closest(bcSel),
                  header: !!a.closest('header'),
                  footer: !!a.closest('footer'),
                  content: !!a.closest('article.sy-content'),
                  heading: !!a.closest('h1, h2, h3, h4, h5, h6'),
                  listItem: !!a.closest('li, article'),
                  tagish,
                },
                visible: !!(a.offsetWidth || a.offsetHeight || a.getClientRects().length),
              });
            }
          }
          return out;
        },
        [scope, BREADCRUMB_SELECTOR, NAV_SELECTOR],
      ).then((ls) => ls.map((l) => ({ ...l, text: norm(l.text), title: norm(l.title) })));
    },

    /** Links of the primary navigation (first nav-like element that is not a breadcrumb trail). */
    async navLinks(page) {
      const found = await page.evaluate(
        ([navSel, bcSel]) => {
          for (const el of document.querySelectorAll(navSel)) {
            if (el.matches(bcSel) || el.closest(bcSel) || el.querySelector(bcSel)) continue;
            const as = [...el.querySelectorAll('a[href]')];
            if (as.length === 0) continue;
            return as.map((a, i) => ({
              visible: !!(a.offsetWidth || a.offsetHeight || a.getClientRects().length),
              text: a.textContent,
              href: a.href,
              raw: a.getAttribute('href'),
              title: a.getAttribute('title') || '',
              index: i,
              active:
                a.hasAttribute('aria-current') ||
                /(^|[-_\s])(active|current|is-active|selected)([-_\s]|$)/i.test(a.className + ' ' + (a.parentElement?.className || '')),
            }));
          }
          return null;
        },
        [NAV_SELECTOR, BREADCRUMB_SELECTOR],
      );
      if (!found) throw new CheckFailure(`no navigation with links found on ${page.url()} (looked for: ${NAV_SELECTOR})`);
      return found.map((l) => ({ ...l, text: norm(l.text), title: norm(l.title) }));
    },

    /** Site-relative paths of every .html file in the site directory (sorted; 404.html included). */
    htmlFiles() {
      const out = [];
      const walk = (dir, rel) => {
        for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
          const r = rel ? `${rel}/${e.name}` : e.name;
          if (e.isDirectory()) walk(path.join(dir, e.name), r);
          else if (e.isFile() && e.name.endsWith('.html')) out.push(r);
        }
      };
      walk(o.siteDir, '');
      return out.sort();
    },

    /** Element handle of the i-th link returned by ctx.navLinks(page). */
    async navLink(page, i) {
      const handle = await page.evaluateHandle(
        ([navSel, bcSel, i]) => {
          for (const el of document.querySelectorAll(navSel)) {
            if (el.matches(bcSel) || el.closest(bcSel) || el.querySelector(bcSel)) continue;
            const as = el.querySelectorAll('a[href]');
            if (as.length) return as[i] || null;
          }
          return null;
        },
        [NAV_SELECTOR, BREADCRUMB_SELECTOR, i],
      );
      const el = handle.asElement();
      if (!el) throw new CheckFailure(`navigation link #${i} not found on ${page.url()}`);
      return el;
    },

    /** Locator for the n-th link (as numbered by ctx.links(page, scope)). */
    linkLocator(page, scope, index) {
      return page.locator(`:is(${scope}) a[href]`).nth(index);
    },

    /**
     * Problems with the internal links and resources of the current page: each must resolve to a
     * file in the site (no folder links, nothing outside the site root / sub-path), and a
     * same-page `#fragment` must name an element that exists.
     */
    async linkProblems(page) {
      const items = await page.evaluate(() => {
        const out = [];
        for (const a of document.querySelectorAll('a[href]')) out.push({ kind: 'a', raw: a.getAttribute('href'), url: a.href });
        for (const l of document.querySelectorAll('link[href]')) out.push({ kind: `link[rel=${l.rel}]`, raw: l.getAttribute('href'), url: l.href });
        for (const s of document.querySelectorAll('script[src]')) out.push({ kind: 'script', raw: s.getAttribute('src'), url: s.src });
        for (const i of document.querySelectorAll('img[src]')) out.push({ kind: 'img', raw: i.getAttribute('src'), url: i.src });
        for (const f of document.querySelectorAll('form[action]')) out.push({ kind: 'form', raw: f.getAttribute('action'), url: f.action });
        const ids = new Set([...document.querySelectorAll('[id]')].map((e) => e.id));
        for (const a of document.querySelectorAll('a[name]')) ids.add(a.name);
        return { out, ids: [...ids], here: location.href.split('#')[0] };
      });
      const problems = [];
      for (const it of items.out) {
        const raw = it.raw ?? '';
        if (/^(mailto|tel|javascript|data):/i.test(raw)) continue;
        if (/^[a-z][a-z0-9+.-]*:/i.test(raw) || raw.startsWith('//')) {
          // Absolute URLs: outside links in <a> are allowed to exist (a reader may follow them),
          // but nothing the page loads by itself may point outside.
          if (it.kind !== 'a') problems.push(`${it.kind} points outside the site: ${raw}`);
          continue;
        }
        if (raw.startsWith('/')) {
          problems.push(`${it.kind} uses a root-absolute path (breaks on file:// and under a sub-path): ${raw}`);
          continue;
        }
        const u = new URL(it.url);
        const fragment = u.hash ? safeDecode(u.hash.slice(1)) : '';
        u.hash = '';
        if (raw.startsWith('#') || u.href.split('?')[0] === items.here) {
          if (fragment && !items.ids.includes(fragment)) problems.push(`${it.kind} to missing anchor #${fragment} on the same page (href="${raw}")`);
          continue;
        }
        if (ctx.rel(u.href) === null) {
          problems.push(`${it.kind} leaves the site root: href="${raw}" -> ${u.href}`);
          continue;
        }
        const relPath = ctx.rel(u.href);
        if (relPath === '' || relPath.endsWith('/')) {
          problems.push(`${it.kind} points to a folder, not a file (needs explicit index.html): href="${raw}"`);
          continue;
        }
        if (!ctx.fileFor(u.href)) problems.push(`${it.kind} to a missing file: href="${raw}" -> ${relPath}`);
      }
      return problems;
    },
  };
  return ctx;
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

async function describe(locator) {
  try {
    const t = norm(await locator.textContent());
    const h = await locator.getAttribute('href');
    return `link "${short(t, 40)}" (href="${h}")`;
  } catch {
    return String(locator);
  }
}
