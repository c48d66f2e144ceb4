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
];
