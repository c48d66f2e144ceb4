// First screens (issue #13): on a 1366×768 laptop and a 390×844 phone a document page shows
// the start of its body without scrolling, and every entry of the top navigation can be reached
// on a phone. The section lists and the search page have their own first-screen checks
// (reader.mjs, search_ui.mjs). Generic over the content: pages come from the sections' lists.

import { SCREENS } from './reader.mjs';

const PHONE = SCREENS.find((s) => s.width < 600);

/** Every page listed on the first list page of each section the navigation links. */
async function documentPages(page, ctx) {
  if (ctx.state.screenPages) return ctx.state.screenPages;
  await ctx.goto(page, 'index.html');
  const sections = (await ctx.navLinks(page))
    .map((l) => ctx.rel(l.href))
    .filter((rel) => rel && /^[^/]+\/index\.html$/.test(rel) && !rel.startsWith('paths/'));
  const out = [];
  for (const rel of sections) {
    await ctx.goto(page, rel);
    for (const href of await page.evaluate(() => [...document.querySelectorAll('main .sy-list .sy-item-title a')].map((a) => a.href))) {
      const r = ctx.rel(href);
      if (r && !out.includes(r)) out.push(r);
    }
  }
  ctx.assert(out.length > 0, 'the sections list no page');
  ctx.state.screenPages = out;
  return out;
}

/** Where the body's first line of text lies, and what comes before the body. */
function firstLine(page) {
  return page.evaluate(() => {
    const article = document.querySelector('article.sy-content');
    if (!article) return null;
    const walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {
      acceptNode: (n) => (n.textContent.trim() && n.parentElement.getClientRects().length ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP),
    });
    const text = walker.nextNode();
    if (!text) return null;
    const range = document.createRange();
    range.selectNodeContents(text);
    const line = range.getClientRects()[0];
    const before = ['.sy-superseded', '.sy-meta', '.sy-doc-aside', '.sy-path-badges']
      .map((s) => document.querySelector(s))
      .filter(Boolean)
      .map((e) => `${e.className.split(' ')[0]} ${Math.round(e.getBoundingClientRect().height)}px`);
    return { top: Math.round(line.top), bottom: Math.round(line.bottom), words: text.textContent.trim().slice(0, 12), height: window.innerHeight, scrollY: window.scrollY, before };
  });
}

export default [
  {
    name: "document pages: the body's first line is on the first screen of a laptop and a phone",
    timeout: 180_000,
    async run(page, ctx) {
      const pages = await documentPages(page, ctx);
      const bad = [];
      let worst = { bottom: 0 };
      for (const screen of SCREENS) {
        await page.setViewportSize(screen);
        for (const rel of pages) {
          await ctx.goto(page, rel);
          const line = await firstLine(page);
          if (!line) continue;
          if (line.bottom > worst.bottom) worst = { ...line, rel, screen };
          if (line.scrollY !== 0 || line.bottom > line.height) {
            bad.push(`${rel} at ${screen.width}×${screen.height}: "${line.words}" ends at y=${line.bottom} (after ${line.before.join(', ')})`);
          }
        }
      }
      ctx.note(`${pages.length} pages; lowest first line: ${worst.rel} at ${worst.screen?.width}×${worst.screen?.height}, y=${worst.top}–${worst.bottom}`);
      ctx.assert(bad.length === 0, `the body starts below the first screen:\n${bad.join('\n')}`);
    },
  },

  {
    name: 'navigation on a phone: every entry, 术语表 included, can be reached; 栏目 opens and Escape closes it',
    viewport: PHONE,
    async run(page, ctx) {
      const rel = (await documentPages(page, ctx))[0];
      await ctx.goto(page, rel);
      // An entry is reachable when it lies inside the screen and nothing covers or clips it.
      const hidden = () =>
        page.evaluate(() =>
          [...document.querySelectorAll('#sy-nav a, .sy-nav a')]
            .filter((a) => {
              const r = a.getBoundingClientRect();
              if (!r.width || r.left < 0 || r.right > window.innerWidth + 0.5 || r.top < 0 || r.bottom > window.innerHeight) return true;
              const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
              return !(hit && (hit === a || a.contains(hit)));
            })
            .map((a) => a.textContent.trim()),
        );
      const names = await page.evaluate(() => [...document.querySelectorAll('.sy-nav a')].map((a) => a.textContent.trim()));
      ctx.assert(names.includes('术语表'), `the navigation has no 术语表: ${names.join(' ')}`);
      const atFirst = await hidden();
      ctx.note(`entries: ${names.join(' ')}; out of reach before any tap: ${atFirst.join(' ') || 'none'}`);
      if (atFirst.length === 0) return;
      const button = page.locator('button[aria-controls="sy-nav"]');
      ctx.assert((await button.count()) === 1 && (await button.isVisible()), `${atFirst.join('、')} cannot be reached and no visible button opens the navigation`);
      ctx.equal(await button.getAttribute('aria-expanded'), 'false', 'aria-expanded of the closed menu button');
      await button.click();
      ctx.equal(await button.getAttribute('aria-expanded'), 'true', 'aria-expanded of the open menu button');
      const stillHidden = await hidden();
      ctx.assert(stillHidden.length === 0, `with the menu open, out of reach: ${stillHidden.join(' ')}`);
      // The glossary entry leads to the glossary.
      const url = await ctx.clickAndWait(page, page.locator('.sy-nav a[href$="glossary.html"]'));
      ctx.equal(ctx.rel(url), 'glossary.html', 'where 术语表 leads');
      // Escape folds it again and leaves the focus on the button.
      await page.locator('button[aria-controls="sy-nav"]').click();
      await page.keyboard.press('Escape');
      ctx.equal(await page.locator('button[aria-controls="sy-nav"]').getAttribute('aria-expanded'), 'false', 'aria-expanded after Escape');
      ctx.assert(await page.evaluate(() => document.activeElement?.getAttribute('aria-controls') === 'sy-nav'), 'Escape did not leave the focus on the menu button');
      ctx.assert((await hidden()).length === names.length, 'after Escape the navigation is still shown');
    },
  },
];
