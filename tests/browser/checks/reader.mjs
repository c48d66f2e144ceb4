// Reader checks (issue #13): what an older reader sees on the first screen and can adjust —
// section lists before long introductions, the text-size control, the dark scheme and its
// contrast, the smallest text on a page, the glossary in the navigation, the 404 page shown by a
// server below the site root, and the learning-path start button. Generic over the content:
// sections come from the navigation, paths from the paths index.

import fs from 'node:fs';
import path from 'node:path';
import { SHADOWED_PREFIX } from '../lib/server.mjs';

/** The sizes readers use most: a 1366×768 laptop and a 390×844 phone. */
export const SCREENS = [
  { width: 1366, height: 768 },
  { width: 390, height: 844 },
];

/** The home page's nav links to sections (`<dir>/index.html`), as site-relative paths. */
async function sectionPaths(page, ctx) {
  if (ctx.state.readerSections) return ctx.state.readerSections;
  await ctx.goto(page, 'index.html');
  const nav = await ctx.navLinks(page);
  const out = [];
  for (const l of nav) {
    const rel = ctx.rel(l.href);
    if (rel && /^[^/]+\/index\.html$/.test(rel) && !rel.startsWith('paths/') && !out.includes(rel)) out.push(rel);
  }
  ctx.assert(out.length > 0, 'the navigation links no section');
  ctx.state.readerSections = out;
  return out;
}

/** Where the first entry of the page's list lies, with the viewport's height. */
function firstEntryBox(page) {
  return page.evaluate(() => {
    const item = document.querySelector('main .sy-list > li');
    if (!item) return null;
    const title = item.querySelector('h2, h3, a') || item;
    const r = title.getBoundingClientRect();
    return { top: Math.round(item.getBoundingClientRect().top), titleBottom: Math.round(r.bottom), height: window.innerHeight };
  });
}


/** What the 404 page shows at `url`: loaded stylesheets, body font, where its links lead. */
async function notFoundLooks(page, url) {
  const resp = await page.goto(url, { waitUntil: 'load' });
  const r = await page.evaluate(() => ({
    sheets: [...document.querySelectorAll('link[rel~="stylesheet"]')]
      .filter((l) => !l.media || l.media === 'all' || matchMedia(l.media).matches)
      .map((l) => ({ href: l.href, loaded: !!l.sheet })),
    styled: getComputedStyle(document.body).display === 'flex',
    h1: (document.querySelector('h1') || {}).textContent || '',
    links: [...document.querySelectorAll('a[href]')].map((a) => ({ text: a.textContent.trim(), href: a.href, raw: a.getAttribute('href') })),
  }));
  return { status: resp ? resp.status() : 0, ...r };
}

/** Problems with the 404 page as shown at `url` of the site mounted at `base`: unstyled, or
 * links that miss the site. */
async function notFoundProblems(page, ctx, url, base = ctx.url('')) {
  const r = await notFoundLooks(page, url);
  const out = [];
  if (!r.h1) out.push(`no heading (status ${r.status}): the server did not show the 404 page`);
  if (!r.sheets.length || !r.sheets.every((s) => s.loaded)) out.push(`stylesheets not loaded: ${JSON.stringify(r.sheets)}`);
  if (!r.styled) out.push('the page is unstyled');
  const home = r.links.find((l) => l.text === '返回首页');
  if (!home || home.href !== base + 'index.html') out.push(`返回首页 leads to ${home ? home.href : 'nowhere'}, not ${base}index.html`);
  for (const l of r.links) {
    const target = l.href.split('#')[0];
    if (target === url.split('#')[0]) continue; // a place on this page (跳到正文)
    if (l.raw.startsWith('#')) {
      out.push(`the in-page link ${l.raw} leads to ${l.href}`);
    } else if (!target.startsWith(base) || !ctx.fileFor(ctx.url(target.slice(base.length)))) {
      out.push(`link "${l.text}" leads to ${l.href}, which is not a file of the site`);
    }
  }
  return out;
}

/**
 * Every visible piece of text on the page whose contrast against what it sits on is below WCAG
 * AA (4.5:1, or 3:1 for large text), or whose size is below `minPx` (superscripts aside).
 */
function textProblems(page, minPx) {
  return page.evaluate((minPx) => {
    const parse = (c) => {
      let m = /^rgba?\(([^)]+)\)/.exec(c);
      if (m) {
        const p = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
        return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
      }
      m = /^color\(srgb ([^)]+)\)/.exec(c);
      if (m) {
        const p = m[1].split(/[\s/]+/).filter(Boolean).map(Number);
        return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1];
      }
      return null;
    };
    const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
    const lum = (c) => {
      const [r, g, b] = c.slice(0, 3).map((v) => {
        v /= 255;
        return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const background = (el) => {
      const layers = [];
      for (let n = el; n; n = n.parentElement) {
        const bg = parse(getComputedStyle(n).backgroundColor);
        if (bg && bg[3] > 0) {
          layers.push(bg);
          if (bg[3] >= 1) break;
        }
      }
      let bg = [255, 255, 255, 1];
      for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
      return bg;
    };
    const out = [];
    for (const el of document.body.querySelectorAll('*')) {
      if (['SCRIPT', 'STYLE', 'OPTION', 'NOSCRIPT', 'TEXTAREA', 'INPUT', 'SELECT'].includes(el.tagName)) continue;
      const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim()).map((n) => n.textContent.trim()).join('');
      if (!own || !el.getClientRects().length) continue;
      if (el.closest('[aria-hidden="true"], .visually-hidden, [hidden]')) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility !== 'visible') continue;
      const size = parseFloat(cs.fontSize);
      const what = `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} "${own.slice(0, 16)}"`;
      if (size < minPx - 0.01 && !el.closest('sup, sub')) out.push(`${what}: ${size}px text, under ${minPx}px`);
      let fg = parse(cs.color);
      if (!fg) continue;
      let opacity = 1;
      for (let n = el; n; n = n.parentElement) opacity *= parseFloat(getComputedStyle(n).opacity);
      if (el.closest('button[disabled]')) continue; // disabled controls are exempt from contrast rules
      const bg = background(el);
      fg = over([fg[0], fg[1], fg[2], fg[3] * opacity], bg);
      const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
      const ratio = (a + 0.05) / (b + 0.05);
      const large = size >= 24 || (size >= 18.66 && parseInt(cs.fontWeight, 10) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`${what}: contrast ${ratio.toFixed(2)} (${cs.color} on rgb(${bg.slice(0, 3).map(Math.round).join(', ')}))`);
    }
    return out;
  }, minPx);
}

/** Pages that show every kind of label: home, a section, a replaced policy, search, glossary, a path, code in a table. */
async function labelPages(page, ctx) {
  if (ctx.state.labelPages) return ctx.state.labelPages;
  const sections = await sectionPaths(page, ctx);
  const pages = ['index.html', ...sections];
  for (const rel of sections) {
    await ctx.goto(page, rel);
    const found = await page.evaluate(() => {
      const item = [...document.querySelectorAll('main .sy-item')].find((i) => i.querySelector('.sy-status-revised, .sy-status-repealed'));
      const first = document.querySelector('main .sy-item-title a');
      return { replaced: item ? item.querySelector('.sy-item-title a').href : null, first: first ? first.href : null, word: first ? first.textContent : '' };
    });
    if (found.replaced) pages.push(ctx.rel(found.replaced));
    if (found.first && pages.length < sections.length + 3) pages.push(ctx.rel(found.first));
    if (!ctx.state.searchWord && found.word) ctx.state.searchWord = found.word.replace(/[^\p{Script=Han}]/gu, '').slice(0, 2);
  }
  pages.push(`search.html?q=${encodeURIComponent(ctx.state.searchWord)}`);
  for (const rel of ['glossary.html', 'paths/index.html']) if (ctx.fileFor(ctx.url(rel))) pages.push(rel);
  // Code in a table cell: smaller text (code) inside smaller text (a table).
  const tableCode = ctx
    .htmlFiles()
    .find((rel) => !rel.endsWith('handout.html') && /<td>[^<]*<code>/.test(fs.readFileSync(path.join(ctx.siteDir, ...rel.split('/')), 'utf8')));
  ctx.assert(tableCode, 'no page of the site has code in a table cell');
  pages.push(tableCode);
  ctx.state.labelPages = pages;
  return pages;
}

async function openSettled(page, ctx, rel) {
  await ctx.goto(page, rel);
  if (rel.startsWith('search.html')) await page.locator('#sy-search-page .sy-result mark').first().waitFor();
}

export default [
  {
    name: 'section pages: the list starts on the first screen; a long introduction folds; the handout is a small link',
    async run(page, ctx) {
      let withFold = 0;
      let withHandout = 0;
      for (const screen of SCREENS) {
        await page.setViewportSize(screen);
        for (const rel of await sectionPaths(page, ctx)) {
          await ctx.goto(page, rel);
          const box = await firstEntryBox(page);
          if (!box) continue;
          ctx.note(`${screen.width}×${screen.height} ${rel}: first entry at y=${box.top}, its title ends at y=${box.titleBottom}`);
          ctx.assert(
            box.titleBottom <= box.height,
            `${rel} at ${screen.width}×${screen.height}: the first entry's title ends at y=${box.titleBottom}, below the first screen (${box.height} px)`,
          );
          const fold = await page.evaluate(() => {
            const d = document.querySelector('main details.sy-section-more');
            if (!d) return null;
            const s = d.querySelector(':scope > summary');
            return { open: d.open, summary: s ? s.textContent.trim() : '', text: d.textContent.replace(/\s+/g, '').length };
          });
          if (fold) {
            withFold++;
            ctx.assert(!fold.open, `${rel}: the folded introduction starts open`);
            ctx.assert(fold.summary.startsWith('展开说明'), `${rel}: the fold reads "${fold.summary}", not 展开说明`);
            await page.locator('main details.sy-section-more > summary').click();
            const shown = await page.evaluate(() => {
              const d = document.querySelector('main details.sy-section-more');
              const body = d.querySelector('.sy-section-intro');
              return { open: d.open, height: body ? body.getBoundingClientRect().height : 0 };
            });
            ctx.assert(shown.open && shown.height > 0, `${rel}: clicking 展开说明 does not show the rest of the introduction`);
          }
          const handout = await page.evaluate(() => {
            const a = [...document.querySelectorAll('main a[href]')].find((x) => /handout\.html$/.test(x.getAttribute('href')));
            if (!a) return null;
            const cs = getComputedStyle(a);
            const body = parseFloat(getComputedStyle(document.body).fontSize);
            return {
              text: a.textContent.trim(),
              size: parseFloat(cs.fontSize),
              body,
              background: cs.backgroundColor,
              border: parseFloat(cs.borderTopWidth) + parseFloat(cs.borderLeftWidth),
              height: a.getBoundingClientRect().height,
            };
          });
          if (handout) {
            withHandout++;
            ctx.assert(handout.text === '打印讲义', `${rel}: the handout link reads "${handout.text}"`);
            ctx.assert(
              handout.size <= handout.body && handout.border === 0 && /rgba\(0, 0, 0, 0\)|transparent/.test(handout.background),
              `${rel}: 打印讲义 is still a button (${JSON.stringify(handout)}), not a small link`,
            );
          }
        }
      }
      ctx.assert(withFold > 0, 'no section folds its introduction: the sample site has one long enough to fold');
      ctx.assert(withHandout > 0, 'no section links its handout (打印讲义)');
    },
  },

  {
    name: '404 page: keeps its style and links when shown below the root, without base_url',
    async run(page, ctx) {
      if (ctx.mode === 'file') {
        const problems = await notFoundProblems(page, ctx, ctx.url('404.html'));
        ctx.assert(problems.length === 0, () => `404.html from file://:\n${problems.join('\n')}`);
        return;
      }
      // The server shows 404.html for a missing address at any depth (tests/browser/lib/server.mjs).
      const sections = await sectionPaths(page, ctx);
      await ctx.goto(page, 'index.html');
      // Forget the root the site's pages record, to see what the address alone tells.
      await page.evaluate(() => {
        const site = document.querySelector('meta[name="shuyuan-site"]').content;
        localStorage.removeItem('shuyuan:base:' + site);
      });
      const folder = sections[0].split('/')[0];
      const cases = [
        ctx.url('404.html'),
        ctx.url('missing.html'),
        ctx.url(`${folder}/missing.html`),
        ctx.url(`${folder}/sub/deeper/missing.html`),
      ];
      for (const url of cases) {
        if (!url.endsWith('/404.html')) ctx.expectMissing(url);
        const problems = await notFoundProblems(page, ctx, url);
        ctx.note(`${ctx.rel(url)}: ${problems.length ? problems.join('; ') : 'styled, links resolve'}`);
        ctx.assert(problems.length === 0, () => `the 404 page shown at ${ctx.rel(url)}:\n${problems.join('\n')}`);
      }
      // The same site under /static/kb/: the server's folder static/ is named like the site's
      // own, and the root is the one nearer the end of the address.
      const shadowed = `${ctx.origin}${SHADOWED_PREFIX}`;
      for (const rel of [`${folder}/missing.html`, `${folder}/sub/missing.html`]) {
        ctx.expectMissing(shadowed + rel);
        const problems = await notFoundProblems(page, ctx, shadowed + rel, shadowed);
        ctx.assert(problems.length === 0, () => `the 404 page shown at ${SHADOWED_PREFIX}${rel}:\n${problems.join('\n')}`);
      }
      // A folder the site does not have says nothing about the root: the root an earlier page of
      // the site recorded in this browser does.
      await ctx.goto(page, sections[0]);
      const unknown = ctx.url('no-such-folder/sub/missing.html');
      ctx.expectMissing(unknown);
      const problems = await notFoundProblems(page, ctx, unknown);
      ctx.assert(problems.length === 0, () => `the 404 page shown at ${ctx.rel(unknown)} after a visit to ${sections[0]}:\n${problems.join('\n')}`);
    },
  },

  {
    name: 'search page: a quoted phrase is quoted once in the result summary',
    async run(page, ctx) {
      const sections = await sectionPaths(page, ctx);
      await ctx.goto(page, sections[0]);
      const title = await page.locator('main .sy-list .sy-item-title a').first().textContent();
      const phrase = title.replace(/[^\p{Script=Han}]/gu, '').slice(0, 4);
      for (const q of [`"${phrase}"`, `“${phrase}”`]) {
        await ctx.goto(page, `search.html?q=${encodeURIComponent(q)}`);
        await page.locator('#sy-search-page .sy-result').first().waitFor();
        const summary = (await page.locator('#sy-search-page .sy-summary').textContent()).trim();
        ctx.note(`${q}: ${summary}`);
        ctx.assert(summary.startsWith(`“${phrase}”`) && !/““|””/.test(summary), `the summary for ${q} reads "${summary}"`);
      }
    },
  },

  {
    name: 'text: no label, chip, meta or table text under 14 px, and AA contrast in the light scheme',
    async run(page, ctx) {
      const problems = [];
      for (const rel of await labelPages(page, ctx)) {
        await openSettled(page, ctx, rel);
        for (const p of await textProblems(page, 14)) problems.push(`${rel}: ${p}`);
      }
      ctx.assert(problems.length === 0, () => problems.slice(0, 30).join('\n'));
    },
  },

  {
    name: 'dark scheme: follows the system setting, with AA contrast for text, links, badges, highlights and banners',
    // It switches the system setting with page.emulateMedia, which the Firefox adapter lacks.
    engines: ['chromium'],
    async run(page, ctx) {
      await page.emulateMedia({ colorScheme: 'dark' });
      const problems = [];
      let banners = 0;
      for (const rel of await labelPages(page, ctx)) {
        await openSettled(page, ctx, rel);
        const body = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const [r, g, b] = body.match(/\d+/g).map(Number);
        ctx.assert(r + g + b < 3 * 64, `${rel}: the page stays light in the dark scheme (body background ${body})`);
        banners += await page.locator('.sy-superseded').count();
        for (const p of await textProblems(page, 14)) problems.push(`${rel}: ${p}`);
      }
      ctx.assert(banners > 0, 'no page with a status banner (.sy-superseded) was looked at');
      ctx.assert(problems.length === 0, () => problems.slice(0, 30).join('\n'));
    },
  },

  {
    name: 'text size: A+ enlarges in steps, is kept in localStorage and applies before the first paint',
    async run(page, ctx) {
      // What the page's own head did before any deferred script ran: read when <body> appears.
      await page.addInitScript(() => {
        new MutationObserver((changes, observer) => {
          if (!document.body) return;
          window.__sizeAtBody = document.documentElement.getAttribute('data-sy-text');
          observer.disconnect();
        }).observe(document, { childList: true, subtree: true });
      });
      await ctx.goto(page, 'index.html');
      await page.evaluate(() => localStorage.removeItem('shuyuan:text-size'));
      await ctx.goto(page, 'index.html');
      const button = page.locator('button.sy-text-size');
      ctx.assert(await button.isVisible(), 'no visible text-size button (button.sy-text-size)');
      const rootPx = () => page.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
      const base = await rootPx();
      ctx.equal((await button.textContent()).trim(), 'A+', 'the button before any click');
      const seen = [];
      for (let i = 0; i < 2; i++) {
        await button.click();
        seen.push(Math.round((await rootPx()) / base * 100));
      }
      ctx.assert(seen[0] > 100 && seen[1] > seen[0], `two clicks gave ${seen.join('%, ')}% of the standard size`);
      // Another page of the site opens at the chosen size, set by the head before the body.
      const rel = (await sectionPaths(page, ctx))[0];
      await ctx.goto(page, rel);
      ctx.equal(Math.round((await rootPx()) / base * 100), seen[1], `text size on ${rel}`);
      ctx.equal(await page.evaluate(() => window.__sizeAtBody), String(seen[1]), `data-sy-text when the <body> of ${rel} appeared`);
      // The largest step offers the way back.
      await page.locator('button.sy-text-size').click();
      ctx.equal(Math.round((await rootPx()) / base * 100), 100, 'size after the third click');
      await page.evaluate(() => localStorage.removeItem('shuyuan:text-size'));
      ctx.note(`steps: 100%, ${seen.join('%, ')}%`);
    },
  },

  {
    name: 'glossary: in the top navigation, terms in pinyin order under A–Z headings',
    async run(page, ctx) {
      ctx.assert(ctx.fileFor(ctx.url('glossary.html')), 'the sample site has no glossary.html');
      for (const rel of ['index.html', (await sectionPaths(page, ctx))[0]]) {
        await ctx.goto(page, rel);
        const nav = await ctx.navLinks(page);
        ctx.assert(nav.some((l) => l.text === '术语表' && ctx.rel(l.href) === 'glossary.html'), `${rel}: the top navigation has no 术语表 link`);
      }
      await ctx.goto(page, 'glossary.html');
      const groups = await page.evaluate(() =>
        [...document.querySelectorAll('.sy-glossary-letter')].map((h) => ({
          letter: h.textContent.trim(),
          terms: [...h.parentElement.querySelectorAll('.sy-glossary-entry > dt')].map((dt) => dt.firstChild.textContent.trim()),
        })),
      );
      ctx.assert(groups.length > 1, `the glossary has ${groups.length} letter headings`);
      const letters = groups.map((g) => g.letter);
      const alpha = letters.filter((l) => l !== '#');
      ctx.assert(alpha.every((l) => /^[A-Z]$/.test(l)), `headings: ${letters.join(' ')}`);
      ctx.equal(alpha.join(''), [...alpha].sort().join(''), 'letter headings in order');
      ctx.assert(!letters.includes('#') || letters[letters.length - 1] === '#', `# comes last: ${letters.join(' ')}`);
      // ICU's pinyin collation, in the browser, agrees with the build's order.
      const collator = new Intl.Collator('zh-CN-u-co-pinyin');
      const han = groups.filter((g) => g.letter !== '#').flatMap((g) => g.terms);
      const sorted = [...han].sort(collator.compare);
      ctx.equal(han.join('、'), sorted.join('、'), 'terms in pinyin order');
      // The nav index jumps to each heading.
      const index = await page.evaluate(() => [...document.querySelectorAll('.sy-glossary-index a')].map((a) => a.getAttribute('href')));
      ctx.equal(index.length, groups.length, 'letters in the index');
      ctx.note(letters.map((l, i) => `${l}: ${groups[i].terms.join('、')}`).join(' | '));
    },
  },
];
