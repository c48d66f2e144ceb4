// Debian's Firefox ESR, driven by puppeteer-core over WebDriver BiDi, behind the small part of
// Playwright's page API that the checks use, so one check runs unchanged in both engines.
//
// Only what the checks call is here: goto/reload/evaluate, waitForFunction/Selector/URL/
// LoadState, keyboard and mouse, locators (count, nth, click, fill, check, text, attributes),
// dialogs and the request events the monitor listens to. Anything else throws "not in the
// Firefox adapter", so a check that needs more says so instead of passing by accident.
//
// Firefox reports no network events for file:// loads, so in file mode a page would fail to load
// a missing script or stylesheet in silence; every page here reports such a failure as a console
// error instead, which the monitor counts like Chromium's failed request.
//
// Nothing leaves the machine: every http(s) request goes to a proxy on a closed port of
// 127.0.0.1, except those to 127.0.0.1 itself (Firefox never proxies localhost), and the
// monitor reports any such request as it does in Chromium.
export const FIREFOX = process.env.SHUYUAN_FIREFOX || '/usr/bin/firefox-esr';

/** Firefox preferences for a quiet, offline, Chinese-speaking profile. */
const PREFS = {
  'network.proxy.type': 1,
  'network.proxy.http': '127.0.0.1',
  'network.proxy.http_port': 9,
  'network.proxy.ssl': '127.0.0.1',
  'network.proxy.ssl_port': 9,
  'network.proxy.share_proxy_settings': true,
  'network.proxy.allow_hijacking_localhost': false,
  'network.dns.disablePrefetch': true,
  'network.prefetch-next': false,
  'network.http.speculative-parallel-limit': 0,
  'intl.accept_languages': 'zh-CN, zh',
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'browser.region.network.url': '',
  'browser.search.update': false,
  'captivedetect.canonicalURL': '',
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A Playwright-like browser context over one headless Firefox. */
export async function launchFirefox({ viewport, timeout = 60_000 }) {
  let puppeteer;
  try {
    ({ default: puppeteer } = await import('puppeteer-core'));
  } catch (e) {
    throw new Error(`cannot load puppeteer-core (${e.message}): run  npm ci --prefix tests/browser`);
  }
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    defaultViewport: viewport,
    extraPrefsFirefox: PREFS,
    timeout,
    protocolTimeout: 120_000,
  });
  // Which kind of resource each URL was last requested as (BiDi's `destination`), for
  // request.resourceType(), which puppeteer answers only over CDP.
  const destinations = new Map();
  browser.connection.on('network.beforeRequestSent', (e) => {
    if (e?.request?.url) destinations.set(e.request.url, e.request.destination || e.initiator?.type || 'other');
  });
  return new FirefoxContext(browser, destinations);
}

class FirefoxContext {
  constructor(browser, destinations) {
    this.raw = browser;
    this.destinations = destinations;
    this.timeout = 10_000;
    this.navigationTimeout = 20_000;
    this.open = [];
    this.pageListeners = [];
  }

  browser() {
    return { version: () => this.version };
  }

  setDefaultTimeout(ms) {
    this.timeout = ms;
  }

  setDefaultNavigationTimeout(ms) {
    this.navigationTimeout = ms;
  }

  on(event, fn) {
    if (event !== 'page') throw new Error(`context.on('${event}') is not in the Firefox adapter`);
    this.pageListeners.push(fn);
  }

  pages() {
    return this.open.filter((p) => !p.closed);
  }

  async newPage() {
    if (!this.version) this.version = (await this.raw.version()).replace(/^firefox\//i, '');
    const raw = await this.raw.newPage();
    raw.setDefaultTimeout(this.timeout);
    raw.setDefaultNavigationTimeout(this.navigationTimeout);
    await raw.evaluateOnNewDocument(reportFailedFileLoads);
    const page = new FirefoxPage(raw, this);
    this.open.push(page);
    for (const fn of this.pageListeners) fn(page);
    return page;
  }

  async close() {
    await this.raw.close();
  }
}

/** Runs in every page before its own scripts: a file:// resource that fails to load says so. */
function reportFailedFileLoads() {
  addEventListener(
    'error',
    (e) => {
      const el = e.target;
      const url = el && el !== window ? el.src || el.href : null;
      if (url && url.startsWith('file:')) console.error(`failed ${el.tagName.toLowerCase()} request: ${url} (file not loaded)`);
    },
    true,
  );
}

/** Playwright's key names that puppeteer's BiDi keyboard spells otherwise. */
const KEY_NAMES = { Space: ' ' };

/** A request as the monitor and the checks read it. */
function wrapRequest(req, ctx) {
  return {
    url: () => req.url(),
    resourceType: () => {
      const d = ctx.destinations.get(req.url());
      return d === 'style' ? 'stylesheet' : d || 'other';
    },
    isNavigationRequest: () => req.isNavigationRequest(),
    failure: () => req.failure(),
  };
}

class FirefoxPage {
  constructor(raw, context) {
    this.raw = raw;
    this.ctx = context;
    this.closed = false;
    this.keyboard = {
      press: (key, opts) => raw.keyboard.press(KEY_NAMES[key] || key, opts),
      type: (text, opts) => raw.keyboard.type(text, opts),
    };
    this.mouse = raw.mouse;
  }

  context() {
    return {
      newCDPSession: () => {
        throw new Error('Firefox has no DevTools protocol session: this check is for Chromium only');
      },
    };
  }

  url() {
    return this.raw.url();
  }

  title() {
    return this.raw.title();
  }

  on(event, fn) {
    const wrap = {
      request: (r) => fn(wrapRequest(r, this.ctx)),
      requestfailed: (r) => fn(wrapRequest(r, this.ctx)),
      response: (resp) => fn({ url: () => resp.url(), status: () => resp.status(), request: () => wrapRequest(resp.request(), this.ctx) }),
      console: (m) => fn({ type: () => m.type(), text: () => m.text(), location: () => m.location() || {} }),
      pageerror: fn,
      dialog: fn,
    }[event];
    // Chromium-only events (websocket) have no counterpart: nothing to listen to.
    if (event === 'websocket') return;
    if (!wrap) throw new Error(`page.on('${event}') is not in the Firefox adapter`);
    this.raw.on(event, wrap);
  }

  async goto(url, opts = {}) {
    const resp = await this.raw.goto(url, { waitUntil: opts.waitUntil || 'load' });
    return resp && { status: () => resp.status(), url: () => resp.url() };
  }

  async reload(opts = {}) {
    await this.raw.reload({ waitUntil: opts.waitUntil || 'load' });
  }

  evaluate(fn, arg) {
    return this.raw.evaluate(fn, arg);
  }

  async evaluateHandle(fn, arg) {
    const handle = await this.raw.evaluateHandle(fn, arg);
    return { asElement: () => (handle.asElement() ? new Locator(this, null, null, handle.asElement()) : null) };
  }

  waitForFunction(fn, arg, opts = {}) {
    return this.raw.waitForFunction(fn, { timeout: opts.timeout ?? this.ctx.timeout, polling: 'raf' }, arg);
  }

  async waitForSelector(sel, opts = {}) {
    await this.raw.waitForSelector(sel, { visible: (opts.state || 'visible') === 'visible', timeout: opts.timeout ?? this.ctx.timeout });
  }

  /** Resolves once the URL satisfies `predicate` and that document has loaded. */
  async waitForURL(predicate, opts = {}) {
    const end = Date.now() + (opts.timeout ?? this.ctx.navigationTimeout);
    while (!predicate(new URL(this.raw.url()))) {
      if (Date.now() > end) throw new Error(`waitForURL: still at ${this.raw.url()}`);
      await sleep(25);
    }
    await this.waitForLoadState('load');
  }

  /** The document at the page's current URL has finished loading. */
  async waitForLoadState() {
    const end = Date.now() + this.ctx.navigationTimeout;
    for (;;) {
      try {
        const [href, state] = await this.raw.evaluate(() => [location.href, document.readyState]);
        if (state === 'complete' && href === this.raw.url()) return;
      } catch {
        // The document was replaced while we asked: ask the new one.
      }
      if (Date.now() > end) throw new Error(`waitForLoadState: ${this.raw.url()} did not finish loading`);
      await sleep(25);
    }
  }

  waitForTimeout(ms) {
    return sleep(ms);
  }

  addInitScript(fn) {
    return this.raw.evaluateOnNewDocument(fn);
  }

  setViewportSize({ width, height }) {
    return this.raw.setViewport({ width, height });
  }

  locator(sel) {
    return new Locator(this, sel, null);
  }

  inputValue(sel) {
    return this.locator(sel).inputValue();
  }

  async selectOption(sel, value) {
    await this.locator(sel).element();
    await this.raw.select(sel, value);
  }

  screenshot(opts) {
    return this.raw.screenshot(opts);
  }

  async close() {
    this.closed = true;
    await this.raw.close();
  }
}

/**
 * A lazy element query like Playwright's locator: `sel` inside `parent` (or the page), the
 * `index`-th match (first when null), or one fixed element handle. Actions wait for the element.
 */
class Locator {
  constructor(page, sel, parent, handle = null, index = null) {
    this.page = page;
    this.sel = sel;
    this.parent = parent;
    this.handle = handle;
    this.index = index;
  }

  locator(sel) {
    return new Locator(this.page, sel, this);
  }

  first() {
    return this.nth(0);
  }

  nth(i) {
    return new Locator(this.page, this.sel, this.parent, null, i);
  }

  async all() {
    if (this.handle) return [this.handle];
    const roots = this.parent ? [await this.parent.element()] : [this.page.raw];
    return roots[0].$$(this.sel);
  }

  /** The element now, or null. */
  async now() {
    const all = await this.all();
    return all[this.index ?? 0] || null;
  }

  /** The element, waiting for it to be attached (and visible, for actions). */
  async element({ visible = false, timeout } = {}) {
    const end = Date.now() + (timeout ?? this.page.ctx.timeout);
    for (;;) {
      const el = await this.now().catch(() => null);
      if (el && (!visible || (await el.isVisible()))) return el;
      if (Date.now() > end) throw new Error(`locator ${this.describe()}: no ${visible ? 'visible ' : ''}element after ${timeout ?? this.page.ctx.timeout} ms`);
      await sleep(50);
    }
  }

  describe() {
    return this.handle ? '(element)' : `${this.parent ? this.parent.describe() + ' >> ' : ''}${this.sel}${this.index !== null ? ` (#${this.index})` : ''}`;
  }

  async count() {
    return (await this.all()).length;
  }

  async waitFor(opts = {}) {
    await this.element({ visible: (opts.state || 'visible') === 'visible', timeout: opts.timeout });
  }

  async isVisible() {
    const el = await this.now();
    return !!el && el.isVisible();
  }

  async evaluate(fn, arg) {
    return (await this.element()).evaluate(fn, arg);
  }

  textContent() {
    return this.evaluate((e) => e.textContent);
  }

  getAttribute(name) {
    return this.evaluate((e, n) => e.getAttribute(n), name);
  }

  inputValue() {
    return this.evaluate((e) => e.value);
  }

  isChecked() {
    return this.evaluate((e) => e.checked);
  }

  async focus() {
    await this.evaluate((e) => e.focus());
  }

  async scrollIntoViewIfNeeded() {
    await this.evaluate((e) => e.scrollIntoView({ block: 'center', inline: 'nearest' }));
  }

  async hover() {
    await (await this.element({ visible: true })).hover();
  }

  async click() {
    const el = await this.element({ visible: true });
    await el.click();
  }

  async check() {
    if (!(await this.isChecked())) await this.click();
    if (!(await this.isChecked())) throw new Error(`locator ${this.describe()}: clicking did not check it`);
  }

  /** Sets the value as typing would end with it: focus, value, an input event. */
  async fill(value) {
    await this.evaluate((e, v) => {
      e.focus();
      e.value = v;
      e.dispatchEvent(new Event('input', { bubbles: true }));
    }, value);
  }
}
