// Training checks: learning-path progress in localStorage, glossary popovers, handouts printed to
// PDF, and the unpacked `shuyuan pack` opened from file://. Pages are found through the training
// markup hooks (.sy-path-card-title, .sy-progress, .sy-study-toggle, abbr.sy-term, .sy-chapter),
// not through the sample site's words.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** The first learning path on the paths index: its URL, slug, step URLs and handout (cached). */
async function firstPath(page, ctx) {
  if (ctx.state.trainingPath) return ctx.state.trainingPath;
  await ctx.goto(page, 'paths/index.html');
  const link = page.locator('.sy-path-card-title a').first();
  ctx.assert((await link.count()) > 0, 'paths/index.html lists no learning path (.sy-path-card-title a)');
  await ctx.goto(page, await link.evaluate((a) => a.href));
  const info = await page.evaluate(() => ({
    url: location.href,
    slug: document.querySelector('.sy-progress')?.getAttribute('data-path') || null,
    steps: [...document.querySelectorAll('.sy-step-title a')].map((a) => a.href),
    handout: [...document.querySelectorAll('a[href]')].map((a) => a.href).find((h) => /-handout\.html$/.test(h)) || null,
  }));
  ctx.assert(info.slug, `${ctx.rel(info.url)} has no .sy-progress[data-path]`);
  ctx.assert(info.steps.length >= 2, `${ctx.rel(info.url)} lists fewer than two steps`);
  ctx.state.trainingPath = info;
  return info;
}

/** The text of each page of a PDF, by poppler's pdftotext (Debian's poppler-utils). */
function pdfPages(pdf) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shuyuan-pdf-'));
  try {
    const file = path.join(dir, 'handout.pdf');
    fs.writeFileSync(file, pdf);
    const text = execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8' });
    return text.split('\f').slice(0, -1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const squeeze = (s) => s.replace(/\s+/g, '');

/**
 * Prints the open handout with page.pdf(options) and compares its contents with the PDF: every
 * entry gives a page number, the chapter's number and title open that page of the PDF, and
 * the page's own footer (“k / n”) says the same number. Returns the numbers.
 */
async function checkPrintedContents(page, ctx, options) {
  const pdf = await page.pdf(options);
  const pages = pdfPages(pdf);
  const entries = await page.evaluate(() =>
    [...document.querySelectorAll('.sy-handout-toc li')].map((li) => ({
      number: li.querySelector('.sy-handout-toc-number')?.textContent.trim() ?? '',
      title: li.querySelector('.sy-handout-toc-title')?.textContent.trim() ?? '',
      page: li.querySelector('.sy-handout-toc-page')?.textContent.trim() ?? null,
    })),
  );
  const what = `${ctx.rel(page.url())} printed with ${JSON.stringify(options)}`;
  ctx.assert(entries.length > 0, `${what}: the contents list no chapter`);
  const tocPage = pages.findIndex((t) => entries.every((e) => squeeze(t).includes(squeeze(e.title).slice(0, 10))));
  ctx.assert(tocPage >= 0, `${what}: no page of the PDF holds the contents`);
  const tocLines = pages[tocPage].split('\n');
  for (const e of entries) {
    ctx.assert(/^\d+$/.test(e.page || ''), `${what}: the contents give no page for chapter ${e.number} ${e.title} (got "${e.page}")`);
    const n = Number(e.page);
    const heading = squeeze(`${e.number}${e.title}`);
    const starts = pages.findIndex((t, i) => i > tocPage && squeeze(t).slice(0, 300).includes(heading));
    ctx.assert(starts >= 0, `${what}: no page of the PDF opens with chapter ${e.number} ${e.title}`);
    ctx.equal(n, starts + 1, `${what}: page of chapter ${e.number} ${e.title} in the contents`);
    ctx.assert(pages[starts].includes(`${n} / ${pages.length}`), `${what}: the footer of PDF page ${starts + 1} does not read "${n} / ${pages.length}"`);
    const line = tocLines.find((l) => squeeze(l).includes(squeeze(e.title).slice(0, 10)));
    ctx.assert(line && new RegExp(`\\s${n}\\s*$`).test(line), `${what}: the printed contents line of chapter ${e.number} does not end with ${n}: "${line}"`);
  }
  ctx.note(`${what}: ${pages.length} pages, chapters start on ${entries.map((e) => e.page).join(', ')}`);
  return entries.map((e) => e.page);
}

async function progressDone(page) {
  const box = page.locator('.sy-progress').first();
  await box.waitFor({ state: 'visible' });
  return (await box.locator('.sy-progress-done').textContent()).trim();
}

/** The progress entries localStorage holds, as JSON, for a failure message. */
async function storedProgress(page) {
  return page.evaluate(() => JSON.stringify(Object.keys(localStorage).filter((k) => k.startsWith('shuyuan:progress:')).map((k) => [k, localStorage.getItem(k)])));
}

async function reload(page, ctx) {
  await page.reload({ waitUntil: 'load' });
  await ctx.settle(page);
}

export default [
  {
    name: 'learning-path progress survives a reload and shows on the path page',
    async run(page, ctx) {
      const p = await firstPath(page, ctx);
      await ctx.goto(page, p.url);
      await page.evaluate(() => localStorage.clear());
      await reload(page, ctx);
      ctx.equal(await progressDone(page), '0', 'progress in a fresh profile');

      // Tick the first step on its own page; the tick survives a reload there.
      await ctx.goto(page, p.steps[0]);
      const tick = page.locator(`input.sy-study-toggle[data-path="${p.slug}"]`);
      ctx.equal(await tick.count(), 1, `checkboxes for path "${p.slug}" on ${ctx.rel(p.steps[0])}`);
      await tick.check();
      const stored = await storedProgress(page);
      await reload(page, ctx);
      if (!(await tick.isChecked())) {
        // Say what storage held before and after: a lost write and a misread one differ.
        const after = await storedProgress(page);
        ctx.assert(false, `the tick on ${ctx.rel(p.steps[0])} did not survive a reload (storage before: ${stored}; after: ${after})`);
      }

      // The path page counts it, fills the bar and ticks the step.
      await ctx.goto(page, p.url);
      ctx.equal(await progressDone(page), '1', 'steps done on the path page');
      ctx.equal(await page.locator('.sy-progress-bar').first().getAttribute('aria-valuenow'), '1', 'aria-valuenow of the bar');
      const fill = await page.locator('.sy-progress-fill').first().evaluate((e) => e.getBoundingClientRect().width);
      ctx.assert(fill > 0, 'the progress bar is empty');
      const steps = page.locator('.sy-step input.sy-study-toggle');
      ctx.assert(await steps.first().isChecked(), 'the first step is not ticked on the path page');

      // Ticking on the path page itself counts too, and survives a reload.
      await steps.nth(1).check();
      ctx.equal(await progressDone(page), '2', 'steps done after ticking on the path page');
      await reload(page, ctx);
      ctx.equal(await progressDone(page), '2', 'steps done after a reload');
      ctx.note(`${ctx.rel(p.url)}: ${p.steps.length} steps, path "${p.slug}"`);
    },
  },

  {
    name: 'a learning-path page offers 开始学习, then 继续学习 at the first step not learned',
    async run(page, ctx) {
      const p = await firstPath(page, ctx);
      await ctx.goto(page, p.url);
      await page.evaluate(() => localStorage.clear());
      await reload(page, ctx);
      const go = page.locator('a.sy-path-go');
      const button = async () => ({ text: (await go.textContent()).trim(), href: await go.evaluate((a) => a.href) });
      ctx.equal(await go.count(), 1, 'start buttons on the path page');
      let b = await button();
      ctx.assert(b.text === '开始学习' && b.href === p.steps[0], `before any tick the button reads "${b.text}" -> ${b.href}, not 开始学习 -> ${p.steps[0]}`);

      // Step 1 learned (ticked on its own page): continue at step 2.
      await ctx.goto(page, p.steps[0]);
      await page.locator(`input.sy-study-toggle[data-path="${p.slug}"]`).check();
      await ctx.goto(page, p.url);
      b = await button();
      ctx.assert(b.text === '继续学习' && b.href === p.steps[1], `after step 1 the button reads "${b.text}" -> ${b.href}, not 继续学习 -> ${p.steps[1]}`);

      // Steps 1 and 3 learned: still the first one not learned, step 2; ticking it here moves on.
      const toggles = page.locator('.sy-step input.sy-study-toggle');
      if (p.steps.length > 2) {
        await toggles.nth(2).check();
        b = await button();
        ctx.equal(b.href, p.steps[1], 'the button after steps 1 and 3');
      }
      await toggles.nth(1).check();
      b = await button();
      const expected = p.steps.length > 3 ? p.steps[3] : p.steps[0];
      ctx.equal(b.href, expected, 'the button right after ticking step 2 on the path page');

      // Every step learned: back to step 1 for review.
      for (let i = 0; i < p.steps.length; i++) if (!(await toggles.nth(i).isChecked())) await toggles.nth(i).check();
      await reload(page, ctx);
      b = await button();
      ctx.assert(b.href === p.steps[0] && b.text !== '继续学习', `with every step learned the button reads "${b.text}" -> ${b.href}`);
      ctx.note(`all learned: "${b.text}" — ${(await page.locator('.sy-path-go-step').textContent()).trim()}`);
      await page.evaluate(() => localStorage.clear());
    },
  },

  {
    name: 'resetting learning-path progress clears it',
    async run(page, ctx) {
      page.on('dialog', (dialog) => dialog.accept());
      const p = await firstPath(page, ctx);
      await ctx.goto(page, p.url);
      const steps = page.locator('.sy-step input.sy-study-toggle');
      if (!(await steps.first().isChecked())) await steps.first().check();
      ctx.assert((await progressDone(page)) !== '0', 'nothing to reset: ticking a step did not count');
      await page.locator('.sy-progress-reset').first().click();
      ctx.equal(await progressDone(page), '0', 'steps done right after the reset');
      await reload(page, ctx);
      ctx.equal(await progressDone(page), '0', 'steps done after a reload');
      ctx.assert(!(await steps.first().isChecked()), 'a step is still ticked after the reset');
      await ctx.goto(page, p.steps[0]);
      const tick = page.locator(`input.sy-study-toggle[data-path="${p.slug}"]`);
      ctx.assert(!(await tick.isChecked()), `${ctx.rel(p.steps[0])} is still ticked after the reset`);
    },
  },

  {
    name: 'a glossary term shows its definition on hover and on keyboard focus',
    async run(page, ctx) {
      await ctx.goto(page, 'glossary.html');
      const mention = page.locator('.sy-glossary-pages a').first();
      ctx.assert((await mention.count()) > 0, 'the glossary names no page where a term occurs');
      await ctx.goto(page, await mention.evaluate((a) => a.href));
      const abbr = page.locator('article.sy-content abbr.sy-term').first();
      ctx.assert((await abbr.count()) > 0, `${ctx.rel(page.url())} marks no term (article.sy-content abbr.sy-term)`);
      const term = await abbr.getAttribute('data-term');
      const definition = await abbr.getAttribute('data-def');
      ctx.equal(await page.locator(`article.sy-content abbr.sy-term[data-term="${term}"]`).count(), 1, `marks of "${term}" on the page`);
      ctx.equal(await abbr.getAttribute('title'), null, 'the native tooltip is replaced by the popover');

      const pop = page.locator('#sy-term-pop');
      await abbr.hover();
      await pop.waitFor({ state: 'visible', timeout: 3000 });
      const text = ctx.norm(await pop.textContent());
      ctx.assert(text.includes(term) && text.includes(ctx.norm(definition)), `the popover reads "${text}"`);
      ctx.equal(await abbr.getAttribute('aria-describedby'), 'sy-term-pop', 'aria-describedby while shown');
      const problems = await ctx.linkProblems(page);
      ctx.assert(problems.length === 0, () => `links with the popover open:\n${problems.join('\n')}`);
      await page.mouse.move(1, 1);
      await pop.waitFor({ state: 'hidden', timeout: 3000 });

      await abbr.focus();
      await pop.waitFor({ state: 'visible', timeout: 3000 });
      await page.keyboard.press('Escape');
      await pop.waitFor({ state: 'hidden', timeout: 3000 });
      ctx.assert(await abbr.evaluate((e) => e === document.activeElement), 'Escape did not leave the focus on the term');
      ctx.note(`"${term}" on ${ctx.rel(page.url())}`);
    },
  },

  {
    name: "a printed page shows its info box's fields, not the 收起/展开 of its fold button",
    // Print media is emulated through Chromium's DevTools protocol; the Firefox adapter has none.
    engines: ['chromium'],
    modes: ['file'],
    async run(page, ctx) {
      const rel = ctx.htmlFiles().find((f) => fs.readFileSync(path.join(ctx.siteDir, f), 'utf8').includes('class="sy-meta-summary"'));
      ctx.assert(rel, 'no page has an info box that folds');
      await ctx.goto(page, rel);
      const word = () => page.evaluate(() => getComputedStyle(document.querySelector('.sy-meta-summary'), '::after').content);
      ctx.assert(/收起|展开/.test(await word()), `on screen the fold button says ${await word()}`);
      await page.emulateMedia({ media: 'print' });
      ctx.equal(await word(), 'none', `what ${rel} prints after its info box's title`);
      await page.emulateMedia({ media: 'screen' });
    },
  },

  {
    name: 'a handout prints to PDF with a cover, contents and a page per chapter',
    // Printing to PDF is Chromium's page.pdf(); the Firefox adapter has none.
    engines: ['chromium'],
    modes: ['file'],
    timeout: 120_000,
    async run(page, ctx) {
      const p = await firstPath(page, ctx);
      ctx.assert(p.handout, `${ctx.rel(p.url)} does not link its handout (…-handout.html)`);
      await ctx.goto(page, p.handout);
      ctx.assert(await page.locator('.sy-print-button').isVisible(), 'no visible print button');
      const chapters = await page.locator('section.sy-chapter').count();
      ctx.equal(chapters, p.steps.length, 'chapters in the handout');
      const pdf = await page.pdf({ format: 'A4' });
      const text = pdf.toString('latin1');
      const pages = (text.match(/\/Type\s*\/Page(?![s\w])/g) || []).length;
      ctx.note(`${ctx.rel(p.handout)}: ${chapters} chapters, ${pages} PDF pages, ${Math.round(pdf.length / 1024)} KB`);
      // Cover, contents, and every chapter starting on a new page.
      ctx.assert(pages >= chapters + 2, `the PDF has ${pages} pages for ${chapters} chapters`);
    },
  },

  {
    name: "a printed handout's contents give the page each chapter starts on",
    // page.pdf() and pdftotext: Chromium only. Firefox prints the contents without numbers.
    engines: ['chromium'],
    modes: ['file'],
    timeout: 180_000,
    async run(page, ctx) {
      const p = await firstPath(page, ctx);
      await ctx.goto(page, p.handout);
      // On screen there are no pages, so no numbers.
      const onScreen = await page.evaluate(() => [...document.querySelectorAll('.sy-handout-toc-page')].filter((s) => s.getClientRects().length && s.textContent.trim()).length);
      ctx.equal(onScreen, 0, 'page numbers shown on screen');
      // A print medium without pages (emulated here; Firefox's printing is like it) gets no
      // numbers rather than wrong ones.
      await page.emulateMedia({ media: 'print' });
      // Media-query listeners run at the next rendering update, before its animation frames.
      const unpaged = await page.evaluate(
        () =>
          new Promise((done) =>
            requestAnimationFrame(() => requestAnimationFrame(() => done([...document.querySelectorAll('.sy-handout-toc-page')].map((s) => s.textContent).join('')))),
          ),
      );
      await page.emulateMedia({ media: null });
      ctx.equal(unpaged, '', 'page numbers written for a print medium without pages');
      const a4 = await checkPrintedContents(page, ctx, { format: 'A4' });
      // Printed smaller, the chapters move to other pages, and so do the numbers.
      const smaller = await checkPrintedContents(page, ctx, { format: 'A4', scale: 0.6 });
      ctx.assert(a4.join() !== smaller.join(), `the numbers did not follow the layout: ${a4.join()} both times`);
      // A section's handout, read from a scrolled position.
      await ctx.goto(page, 'index.html');
      const sections = (await ctx.navLinks(page)).map((l) => ctx.rel(l.href)).filter((r) => r && /^[^/]+\/index\.html$/.test(r) && !r.startsWith('paths/'));
      const handout = sections.map((r) => r.replace(/index\.html$/, 'handout.html')).find((r) => ctx.fileFor(ctx.url(r)));
      ctx.assert(handout, 'no section has a handout');
      await ctx.goto(page, handout);
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight / 2));
      await checkPrintedContents(page, ctx, { format: 'A4' });
    },
  },

  {
    name: 'the unpacked pack opens from file://',
    modes: ['file'],
    async run(page, ctx) {
      const dir = process.env.SHUYUAN_PACKED_SITE;
      ctx.assert(dir, 'SHUYUAN_PACKED_SITE is not set: run through `cargo test --test browser`, or unzip the output of `shuyuan pack` and set it to the one folder inside');
      // The reader sees the shortcut, the notes and the site's folder, and nothing else.
      const top = fs.readdirSync(dir).sort();
      ctx.assert(
        JSON.stringify(top) === JSON.stringify(['使用说明.txt', '打开知识库.html', '站点文件'].sort()),
        `${dir} holds ${JSON.stringify(top)}`,
      );
      ctx.assert(fs.existsSync(path.join(dir, '站点文件', 'index.html')), `${dir}/站点文件 has no index.html`);
      // Double-clicking the shortcut lands on the site's home page.
      await ctx.goto(page, pathToFileURL(path.join(dir, '打开知识库.html')).href);
      const home = pathToFileURL(path.join(dir, '站点文件', 'index.html')).href;
      // The shortcut's meta refresh navigates after its own load, which `goto` waits for:
      // on a busy machine a check made at once still found the shortcut open.
      await page.waitForURL((u) => u.href === home, { timeout: 10_000 }).catch(() => {});
      ctx.assert(page.url() === home, `the shortcut opened ${page.url()}, not ${home}`);
      await ctx.h1(page);
      ctx.assert(await page.locator('form.sy-search input#sy-q').isVisible(), 'no search box on the unpacked home page');
      const sheets = await page.evaluate(() => [...document.querySelectorAll('link[rel~="stylesheet"]')].every((l) => !!l.sheet));
      ctx.assert(sheets, 'a stylesheet of the unpacked home page did not load');
      const section = page.locator('.sy-nav a[href$="/index.html"]').first();
      await ctx.clickAndWait(page, section);
      const entry = page.locator('.sy-item-title a').first();
      ctx.assert((await entry.count()) > 0, `${page.url()} lists no page`);
      await ctx.clickAndWait(page, entry);
      await ctx.h1(page);
      ctx.assert((await page.locator('article.sy-content').count()) === 1, `${page.url()} has no article`);
      ctx.note(`opened ${page.url()}`);
    },
  },
];
