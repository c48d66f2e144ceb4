// Reader checks (issue #13): what an older reader sees on the first screen and can adjust —
// section lists before long introductions, the text-size control, the dark scheme and its
// contrast, the smallest text on a page, the glossary in the navigation, the 404 page shown by a
// server below the site root, and the learning-path start button. Generic over the content:
// sections come from the navigation, paths from the paths index.

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

/** Problems with the 404 page as shown at `url`: unstyled, or links that miss the site. */
async function notFoundProblems(page, ctx, url) {
  const r = await notFoundLooks(page, url);
  const out = [];
  if (!r.h1) out.push(`no heading (status ${r.status}): the server did not show the 404 page`);
  if (!r.sheets.length || !r.sheets.every((s) => s.loaded)) out.push(`stylesheets not loaded: ${JSON.stringify(r.sheets)}`);
  if (!r.styled) out.push('the page is unstyled');
  const home = r.links.find((l) => l.text === '返回首页');
  if (!home || home.href !== ctx.url('index.html')) out.push(`返回首页 leads to ${home ? home.href : 'nowhere'}, not ${ctx.url('index.html')}`);
  for (const l of r.links) {
    const target = l.href.split('#')[0];
    if (target === url.split('#')[0]) continue; // a place on this page (跳到正文)
    if (l.raw.startsWith('#')) {
      out.push(`the in-page link ${l.raw} leads to ${l.href}`);
    } else if (!ctx.fileFor(target)) {
      out.push(`link "${l.text}" leads to ${l.href}, which is not a file of the site`);
    }
  }
  return out;
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
        localStorage.removeItem('shuyuan:root:' + site);
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
];
