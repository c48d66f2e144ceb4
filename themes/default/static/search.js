/* 书院 search, the page side (the core it runs on is search-core.js, loaded just before it).
 *
 * Owns: loading the static index from <root>search/ by inserting classic <script> tags (no
 * fetch, modules, WebAssembly or workers, so it works from file:// and under any sub-path),
 * running a query through the core's plan → settle → rank, describing results from their page
 * fragments, the header dropdown on #sy-q, the full search page in #sy-search-page, and
 * highlighting ?hl= terms inside article.sy-content after navigation.
 * The index format is described in src/search/export/mod.rs.
 * Exposes window.__shuyuan.tokenize(text), .search(query), .ranked(query) and
 * .rankingConstants for tests.
 */
(function () {
  "use strict";

  var NS = (window.__shuyuan = window.__shuyuan || {});
  var ROOT = typeof window.__shuyuanRoot === "string" ? window.__shuyuanRoot : "";
  var BASE = ROOT + "search/";
  var C = NS.core;
  // search-core.js sets the core to false in a browser that cannot read \p{…} regexes.
  if (C === false) {
    var tooOld = function () {
      var page = document.getElementById("sy-search-page");
      if (!page) return;
      var note = document.createElement("div");
      note.className = "sy-noscript";
      note.setAttribute("role", "note");
      note.textContent = "当前浏览器版本过旧，无法使用全文搜索。请换用新版的 Edge、Chrome、Firefox 或 360 安全浏览器（极速模式）打开本页；也可以通过栏目导航浏览全部内容。";
      page.appendChild(note);
    };
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", tooOld);
    else tooOld();
    return;
  }
  if (!C) {
    if (window.console) console.error("书院搜索：static/search-core.js 没有加载，搜索不可用");
    return;
  }
  var parseQuery = C.parseQuery, expand = C.expand, plan = C.plan, trim = C.trim;
  var varints = C.varints, postings = C.postings, heavyStub = C.heavyStub, keyHash = C.keyHash;
  var allKeys = C.allKeys, mark = C.mark, esc = C.esc, markedHtml = C.markedHtml;
  var snippet = C.snippet, bestSection = C.bestSection, piecesRead = C.piecesRead;

  NS.tokenize = C.tokenize;

  /* ------------------------------------------------------------------- loader */

  var state = {
    meta: null,        // {v, build, ed, shards, docs}
    metaLoading: null, // Promise of the meta
    shards: {},        // shard number -> {key: postings string or heavy stub}
    heavy: {},         // "k-j" -> postings string of a heavy key
    decoded: {},       // key -> decoded postings
    pages: {},         // page number -> fragment
    more: {},          // "page-j" -> pieces of a fragment's continuation file j
    facets: null,
    loading: {}        // file path -> Promise
  };
  var nextMeta = null;

  NS.meta = function (m) { nextMeta = m; };
  NS.shard = function (build, k, data) {
    if (!state.meta || build !== state.meta.build) return;
    var map = Object.create(null), parts = data ? data.split(" ") : [];
    for (var i = 0; i + 1 < parts.length; i += 2) map[parts[i]] = parts[i + 1];
    state.shards[k] = map;
  };
  NS.heavy = function (build, k, j, data) {
    if (state.meta && build === state.meta.build) state.heavy[k + "-" + j] = data;
  };
  // A fragment file holds its JSON packed (src/search/fragment_code.rs); a damaged one
  // registers nothing, so the page's wait for it fails and says which file.
  function unpacked(packed) {
    try {
      return JSON.parse(C.unpackFragment(packed));
    } catch (e) {
      logFailure(e);
      return null;
    }
  }
  NS.page = function (build, id, packed) {
    if (state.meta && build === state.meta.build) {
      var p = unpacked(packed);
      if (p) state.pages[id] = p;
    }
  };
  NS.more = function (build, id, j, packed) {
    if (state.meta && build === state.meta.build) {
      var pieces = unpacked(packed);
      if (pieces) state.more[id + "-" + j] = pieces;
    }
  };
  NS.facets = function (build, f) {
    if (state.meta && build === state.meta.build) state.facets = decodeFacets(f);
  };

  // The reader sees one plain sentence; whoever opens the console sees what failed and why.
  function logFailure(err) {
    // The message as text first: a console that shows the object folded still says why.
    if (window.console) console.error("书院搜索：" + (err && err.message ? err.message : String(err)), err);
  }

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src;
      s.charset = "utf-8";
      s.async = true;
      s.onload = function () { s.remove(); resolve(); };
      s.onerror = function () { s.remove(); reject(new Error("cannot load " + src)); };
      document.head.appendChild(s);
    });
  }

  // meta.js has a fixed name; over HTTP a query string keeps a cached copy from naming an old
  // build (file:// URLs are left plain).
  function loadMeta(fresh) {
    if (state.metaLoading && !fresh) return state.metaLoading;
    var src = BASE + "meta.js" + (location.protocol === "file:" ? "" : "?t=" + Date.now());
    state.metaLoading = loadScript(src).then(function () {
      var m = nextMeta;
      if (!m || !m.build) throw new Error("search/meta.js did not register");
      // A browser may hold an older search-core.js (static files load without ?v=) next to a
      // newer index, or the other way round: it would misread every file, so it reads none.
      if (m.v !== C.indexFormat) throw new Error("search/meta.js is index format " + m.v + ", search-core.js reads " + C.indexFormat + ": reload the page without the cache, or rebuild the site");
      if (!state.meta || state.meta.build !== m.build || state.meta.ed !== m.ed) {
        state = { meta: m, metaLoading: state.metaLoading, shards: {}, heavy: {}, decoded: {}, pages: {}, more: {}, facets: null, loading: {} };
      }
      return m;
    });
    state.metaLoading.catch(function () { state.metaLoading = null; });
    return state.metaLoading;
  }

  // Loads one file of the current build once; resolves when `ready()` holds. A rebuild keeps
  // the files it made as they were, so over HTTP the edition in the query string keeps a
  // cached copy of an older edition from being read (src/search/export/mod.rs).
  function need(file, ready) {
    if (ready()) return Promise.resolve();
    var path = BASE + state.meta.build + "/" + file;
    if (!state.loading[path]) {
      var src = path + (location.protocol === "file:" || !state.meta.ed ? "" : "?v=" + state.meta.ed);
      state.loading[path] = loadScript(src).then(function () {
        if (!ready()) throw new Error(path + " did not register");
      });
      state.loading[path].catch(function () { delete state.loading[path]; });
    }
    return state.loading[path];
  }

  // A numbered file's path in the build folder, a thousand to a folder (FAT32 USB sticks hold
  // at most 65,534 entries in one): src/search/export/mod.rs, index_file.
  function indexFile(prefix, n, suffix) {
    return prefix + Math.floor(n / 1000) + "/" + n + suffix + ".js";
  }

  function needShards(keys) {
    var n = state.meta.shards, wanted = {};
    keys.forEach(function (k) { wanted[keyHash(k) % n] = true; });
    return Promise.all(Object.keys(wanted).map(function (k) {
      return need(indexFile("s", k, ""), function () { return !!state.shards[k]; });
    }));
  }

  // The files of the heavy keys among `keys` (their shards already loaded).
  function needHeavy(keys) {
    var n = state.meta.shards;
    return Promise.all(keys.map(function (key) {
      var k = keyHash(key) % n, stub = heavyStub(state.shards[k][key]);
      if (!stub) return null;
      var id = k + "-" + stub[0];
      return need(indexFile("s", k, "-" + stub[0]), function () { return id in state.heavy; });
    }));
  }

  // The fragments of pages `ids`, each with the continuation files the terms `ts` read
  // (src/search/fragments.rs: in turn, until the text read holds every term verbatim).
  // `most`, when given, caps the continuation files read.
  function needPages(ids, ts, most) {
    return Promise.all(ids.map(function (id) {
      return need(indexFile("p", id, ""), function () { return !!state.pages[id]; }).then(function () {
        return readMore(id, ts || [], most);
      });
    }));
  }

  function readMore(id, ts, most) {
    var wants = pageRead(id, ts, most).wants;
    if (!wants) return null;
    return need(indexFile("p", id, "-" + wants), function () { return (id + "-" + wants) in state.more; }).then(function () {
      return readMore(id, ts, most);
    });
  }

  // A page's fragment with the pieces the terms `ts` read: {s, held, wants}.
  function pageRead(id, ts, most) {
    return piecesRead(ts, state.pages[id], function (j) { return state.more[id + "-" + j]; }, most);
  }

  function needFacets() {
    return need("facets.js", function () { return !!state.facets; });
  }

  // Runs `work` against the current build; when a file is missing because the site was rebuilt
  // meanwhile, reloads meta.js once and runs it again on the new build.
  function withIndex(work) {
    return loadMeta(false).then(work).catch(function (err) {
      var build = state.meta && state.meta.build;
      var ed = state.meta && state.meta.ed;
      return loadMeta(true).then(function (m) {
        if (m.build === build && m.ed === ed) throw err;
        return work();
      });
    });
  }

  function lookup(key) {
    if (!(key in state.decoded)) {
      var k = keyHash(key) % state.meta.shards, shard = state.shards[k];
      var s = shard && shard[key], stub = heavyStub(s);
      state.decoded[key] = stub ? C.heavyPostings(state.heavy[k + "-" + stub[0]])
        : s ? postings(s) : { docs: new Int32Array(0), levels: new Uint8Array(0) };
    }
    return state.decoded[key];
  }

  // A key's value in its loaded shard: postings, a heavy stub, or undefined.
  function shardValue(key) {
    return state.shards[keyHash(key) % state.meta.shards][key];
  }

  // Each page's series number for the current build, decoded once.
  function seriesOfPages() {
    if (!("series" in state)) state.series = C.seriesOfPages(state.meta.series, state.meta.docs);
    return state.series;
  }

  // A query as the page quotes it: in “…”, without doubling the quotes a phrase search already has
  // (“"四议两公开"” read ““四议两公开””).
  function quoted(q) {
    var m = /^\s*["“”＂]([^"“”＂]*)["“”＂]\s*$/.exec(q);
    return "“" + (m ? m[1] : q) + "”";
  }

  // What snippets and highlights mark: the terms, then each synonym alternative whole (quoted,
  // so its pieces are not marked).
  function markedTerms(ts, alts) {
    return ts.concat.apply(ts, alts.map(function (as) {
      return as.map(function (a) { return Object.assign({}, a, { quoted: true }); });
    }));
  }

  // All candidate pages for a query, ranked: [{id, held, score}], plus the analysed terms and,
  // for marking snippets, the terms with their synonym alternatives.
  // A query with quotes that finds nothing runs again without them, marked `relaxed`
  // (StaticIndex::rank does the same).
  function query(q) {
    return queryTerms(parseQuery(q)).then(function (res) {
      if (res.results.length || !res.terms.some(function (t) { return t.quoted; })) return res;
      return queryTerms(parseQuery(C.withoutQuotes(q))).then(function (relaxed) {
        relaxed.relaxed = true;
        return relaxed;
      });
    });
  }

  function queryTerms(ts) {
    if (!ts.length) return loadMeta(false).then(function () { return { terms: ts, marked: ts, results: [] }; });
    return withIndex(function () {
      var alts = expand(ts, state.meta.syn || []), planned = plan(ts, alts), marked = markedTerms(ts, alts);
      return needShards(allKeys(planned)).then(function () {
        var settled = C.settle(planned, shardValue);
        return needHeavy(allKeys(settled)).then(function () {
          return {
            terms: ts, marked: marked, loose: planned.loose.some(Boolean),
            results: C.rank(ts, settled, lookup, state.meta.docs, seriesOfPages())
          };
        });
      });
    });
  }

  // The `n` results to show of the ranked `list` (src/search/reader.rs, StaticIndex::search):
  // of its shortest start holding `n` pages that hold every term verbatim, looking at most
  // 2n deep (n for a query with a loose term, which no page holds verbatim), the holders
  // first, each group in rank order. A page holding a keyword's bigrams apart then never
  // pushes one holding the keyword out of view. Past the first n, a page is judged on its
  // fragment alone (no continuation files), which keeps the look deeper cheap.
  function pickShown(res, list, n) {
    var deepest = Math.min(list.length, res.loose ? n : 2 * n), looked = Math.min(n, list.length);
    var holds = function (r, i) { return pageRead(r.id, res.terms, i < n ? undefined : 0).held; };
    function step() {
      var first = list.slice(0, Math.min(looked, n)), past = list.slice(n, looked);
      return Promise.all([
        needPages(first.map(function (r) { return r.id; }), res.terms),
        needPages(past.map(function (r) { return r.id; }), res.terms, 0)
      ]).then(function () {
        var held = list.slice(0, looked).filter(holds).length;
        var more = Math.min(n - held, deepest - looked);
        if (more > 0) {
          looked += more;
          return step();
        }
        var yes = [], no = [];
        list.slice(0, looked).forEach(function (r, i) { (holds(r, i) ? yes : no).push(r); });
        return yes.concat(no).slice(0, n);
      });
    }
    return step();
  }

  // Each policy status with its badge class, as the page names them (base.html's meta tag).
  var STATUS_CLASS = (function () {
    var meta = document.querySelector('meta[name="shuyuan-statuses"]');
    try {
      return (meta && JSON.parse(meta.getAttribute("content"))) || {};
    } catch (e) {
      return {};
    }
  })();

  // Everything a result needs for display, from its fragment: `res` has the query's terms and
  // what its snippets mark.
  function describe(r, res, q) {
    var p = state.pages[r.id], ts = res.marked, sections = pageRead(r.id, res.terms).s, best = bestSection(ts, sections);
    var section = sections[best.index], anchor = section ? section[0] : "";
    var href = ROOT + p.u + (q ? "?hl=" + encodeURIComponent(q) : "") + (anchor ? "#" + encodeURIComponent(anchor) : "");
    var title = mark(ts, p.t);
    return {
      id: r.id,
      url: p.u + (anchor ? "#" + anchor : ""),
      href: href,
      title: p.t,
      titleHtml: markedHtml(p.t, title.ranges, 0, p.t.length),
      kind: p.k,
      kindLabel: p.l,
      date: p.d || "",
      status: p.st || "",
      breadcrumbs: p.b || [],
      section: section ? section[1] : "",
      snippet: section ? snippet(section[2], best.marks) : "",
      held: r.held,
      score: r.score
    };
  }

  // Kind and status badges use the theme's own classes, so results look like the pages' badges.
  function metaHtml(x) {
    var h = "<span class=\"sy-kind sy-kind-" + esc(x.kind) + "\">" + esc(x.kindLabel) + "</span>";
    if (x.status) h += "<span class=\"sy-status sy-status-" + (STATUS_CLASS[x.status] || "other") + "\">" + esc(x.status) + "</span>";
    if (x.breadcrumbs.length) h += "<span class=\"sy-hit-crumbs\">" + x.breadcrumbs.map(esc).join(" › ") + "</span>";
    if (x.date) h += "<time class=\"sy-hit-date\">" + esc(x.date) + "</time>";
    return h;
  }

  // Test hook: resolves to the described results of a query (first `limit`, default 10).
  NS.search = function (q, limit) {
    return query(q).then(function (res) {
      return pickShown(res, res.results, limit || 10).then(function (shown) {
        return shown.map(function (r) { return describe(r, res, q); });
      });
    });
  };

  // Test hook for tests/vectors/ranking.json: the ranking's constants, compared with Rust's.
  NS.rankingConstants = C.constants;

  // Test hook for tests/vectors/ranking.json: the first `limit` pages of the ranking itself,
  // before the shown results are reordered, as {url, held, score}.
  NS.ranked = function (q, limit) {
    return query(q).then(function (res) {
      var top = res.results.slice(0, limit || 10);
      return needPages(top.map(function (r) { return r.id; })).then(function () {
        return top.map(function (r) { return { url: state.pages[r.id].u, held: r.held, score: r.score }; });
      });
    });
  };

  /* ----------------------------------------------------------------- dropdown */

  var DROPDOWN_RESULTS = 8, DEBOUNCE_MS = 120;

  function debounce(fn, ms) {
    var timer = 0;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  // Calls `fn` once the reader pauses typing in `input`, but never while an input method is
  // composing: the pinyin shown inline meanwhile (wang'ge) is not what the reader means to
  // search. Chromium fires its last `input` before `compositionend`, so the chosen characters
  // are searched from `compositionend`.
  function onTyped(input, ms, fn) {
    var composing = false;
    var later = debounce(function () { if (!composing) fn(); }, ms);
    input.addEventListener("compositionstart", function () { composing = true; });
    input.addEventListener("compositionend", function () { composing = false; later(); });
    input.addEventListener("input", function (e) { if (!composing && !e.isComposing) later(); });
  }

  // Keys pressed while an input method is composing belong to it (Enter commits, arrows pick a
  // candidate, Escape cancels); keyCode 229 marks them in browsers that do not set isComposing.
  function forComposition(e) {
    return e.isComposing || e.keyCode === 229;
  }

  function searchPageHref(q) {
    return ROOT + "search.html" + (q ? "?q=" + encodeURIComponent(q) : "");
  }

  function setupDropdown(input) {
    var form = input.form || input.parentNode;
    var box = document.createElement("div");
    box.id = "sy-dd";
    box.className = "sy-dd";
    box.setAttribute("role", "listbox");
    box.setAttribute("aria-label", "搜索结果");
    box.hidden = true;
    form.appendChild(box);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-controls", box.id);
    input.setAttribute("aria-expanded", "false");
    var active = -1, seq = 0;

    function options() {
      return box.querySelectorAll("[role=option]");
    }
    function setActive(i) {
      var opts = options();
      if (!opts.length) return;
      active = (i + opts.length) % opts.length;
      opts.forEach(function (o, k) {
        o.classList.toggle("is-active", k === active);
        o.setAttribute("aria-selected", k === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    }
    function close() {
      box.hidden = true;
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function show(html) {
      box.innerHTML = html;
      box.hidden = false;
      active = -1;
      input.setAttribute("aria-expanded", "true");
      input.removeAttribute("aria-activedescendant");
    }
    function run() {
      var q = input.value, mine = ++seq;
      if (!trim(q)) { close(); return; }
      query(q).then(function (res) {
        return pickShown(res, res.results, DROPDOWN_RESULTS).then(function (shown) {
          if (mine !== seq) return;
          if (!shown.length) {
            show("<div class=\"sy-dd-empty\">没有找到" + esc(quoted(q)) + "的结果</div>");
            return;
          }
          var html = (res.relaxed ? "<div class=\"sy-dd-empty\">" + RELAXED_NOTE + "</div>" : "") + shown.map(function (r, i) {
            var x = describe(r, res, q);
            return "<a class=\"sy-dd-item\" role=\"option\" aria-selected=\"false\" id=\"sy-dd-" + i + "\" href=\"" + esc(x.href) + "\">" +
              "<span class=\"sy-dd-title\">" + x.titleHtml + "</span>" +
              "<span class=\"sy-hit-meta\">" + metaHtml(x) + "</span>" +
              (x.snippet ? "<span class=\"sy-hit-snippet\">" + x.snippet + "</span>" : "") + "</a>";
          }).join("");
          html += "<a class=\"sy-dd-more\" href=\"" + esc(searchPageHref(q)) + "\">查看全部 " + res.results.length + " 条结果 →</a>";
          show(html);
        });
      }).catch(function (err) {
        logFailure(err);
        if (mine === seq) show("<div class=\"sy-dd-empty\">搜索索引加载失败，请重新生成站点。</div>");
      });
    }
    onTyped(input, DEBOUNCE_MS, run);
    input.addEventListener("focus", function () {
      loadMeta(false).catch(function () {});
      if (trim(input.value) && box.hidden && box.innerHTML) { box.hidden = false; input.setAttribute("aria-expanded", "true"); }
    });
    input.addEventListener("keydown", function (e) {
      if (forComposition(e)) return;
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        if (box.hidden) { run(); return; }
        e.preventDefault();
        setActive(active + (e.key === "ArrowDown" ? 1 : -1));
      } else if (e.key === "Enter" && !box.hidden && active >= 0) {
        e.preventDefault();
        location.href = options()[active].getAttribute("href");
      } else if (e.key === "Escape") {
        if (!box.hidden) { e.preventDefault(); close(); } else { input.blur(); }
      }
    });
    document.addEventListener("mousedown", function (e) {
      if (!form.contains(e.target)) close();
    });
  }

  // "/" focuses the search box unless the reader is typing somewhere.
  function onSlash(e) {
    if (e.key !== "/" || e.ctrlKey || e.metaKey || e.altKey) return;
    var t = e.target, tag = t && t.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
    var box = document.getElementById("sy-sp-q") || document.getElementById("sy-q");
    if (box) { e.preventDefault(); box.focus(); box.select(); }
  }

  /* -------------------------------------------------------------- facets data */

  function decodeFacets(f) {
    var n = state.meta.docs;
    function lists(s) {
      var v = varints(s), out = [], at = 0;
      for (var d = 0; d < n; d++) { var c = v[at++]; out.push(v.slice(at, at + c)); at += c; }
      return out;
    }
    var date = varints(f.date);
    return {
      kinds: f.kinds, statuses: f.statuses, regions: f.regions, tags: f.tags, topics: f.topics,
      kind: varints(f.kind), date: date, status: varints(f.status), region: varints(f.region),
      tag: lists(f.tag), topic: lists(f.topic),
      year: date.map(function (v) { return v ? Math.floor((v - 1) / 372) + 1000 : 0; })
    };
  }

  // The facet dimensions of the full page: URL parameter, label, and per page its value names.
  var DIMENSIONS = [
    { param: "kind", label: "类型", values: function (F, d) { var k = F.kinds[F.kind[d]]; return k ? [k[0]] : []; },
      name: function (F, v) { var k = F.kinds.filter(function (x) { return x[0] === v; })[0]; return k ? k[1] : v; } },
    { param: "year", label: "年份", values: function (F, d) { return F.year[d] ? [String(F.year[d])] : []; }, sort: "desc" },
    { param: "status", label: "效力", values: function (F, d) { return F.status[d] ? [F.statuses[F.status[d] - 1]] : []; } },
    { param: "tag", label: "标签", values: function (F, d) { return F.tag[d].map(function (i) { return F.tags[i]; }); } },
    { param: "topic", label: "专题", values: function (F, d) { return F.topic[d].map(function (i) { return F.topics[i]; }); } },
    { param: "region", label: "地区", values: function (F, d) { return F.region[d] ? [F.regions[F.region[d] - 1]] : []; } }
  ];

  /* --------------------------------------------------------------- full page */

  var PAGE_SIZE = 10, FACET_SHOWN = 12;
  // The same words as search::RELAXED_NOTE.
  var RELAXED_NOTE = "没有完全符合引号内容的结果，以下是去掉引号后的结果。";

  function readParams() {
    var p = new URLSearchParams(location.search), out = { q: p.get("q") || "", sort: p.get("sort") || "" };
    DIMENSIONS.forEach(function (dim) { out[dim.param] = p.get(dim.param) || ""; });
    return out;
  }

  function writeParams(s) {
    var p = new URLSearchParams();
    if (s.q) p.set("q", s.q);
    DIMENSIONS.forEach(function (dim) { if (s[dim.param]) p.set(dim.param, s[dim.param]); });
    if (s.sort) p.set("sort", s.sort);
    var qs = p.toString();
    try {
      history.replaceState(null, "", location.pathname + (qs ? "?" + qs : ""));
    } catch (e) {
      // Some browsers refuse history changes on file:// pages; the results still show.
    }
  }

  function setupPage(el) {
    // `pending`: a query is loading; facet and sort clicks then only change `s`, and the
    // query renders with them when it arrives (rendering the old results would win the race).
    var s = readParams(), ranked = null, shown = PAGE_SIZE, seq = 0, pending = false;
    // The facet data (facets.js) grows with the site, so a query loads it only when the reader
    // asks for filters, sorts by date, browses without a query or arrives with a filter set.
    var facetsAsked = false;
    // The summary is one lasting live region, so each new count is announced. The filters follow
    // it; on narrow screens search.css folds them behind the "筛选" button under the summary,
    // as they would otherwise push the first result off a phone's screen.
    el.innerHTML =
      "<form class=\"sy-sp-form\" role=\"search\">" +
      "<label for=\"sy-sp-q\" class=\"visually-hidden\">搜索</label>" +
      "<input id=\"sy-sp-q\" type=\"search\" autocomplete=\"off\" placeholder=\"搜索案例、指南、政策\">" +
      "<label class=\"sy-sort\">排序 <select id=\"sy-sp-sort\">" +
      "<option value=\"\">按相关度</option><option value=\"date\">按日期（新→旧）</option><option value=\"date-asc\">按日期（旧→新）</option>" +
      "</select></label></form>" +
      "<div class=\"sy-sp-body\"><div class=\"sy-sp-status\"><p class=\"sy-summary\" role=\"status\"></p>" +
      "<button type=\"button\" class=\"sy-filter-toggle\" aria-expanded=\"false\" aria-controls=\"sy-facets\" hidden>筛选</button></div>" +
      "<aside id=\"sy-facets\" class=\"sy-facets\" aria-label=\"筛选\"></aside>" +
      "<section class=\"sy-results\" aria-label=\"搜索结果\"></section></div>";
    var input = el.querySelector("#sy-sp-q"), sort = el.querySelector("#sy-sp-sort");
    var summaryEl = el.querySelector(".sy-summary"), toggle = el.querySelector(".sy-filter-toggle");
    var facetsEl = el.querySelector(".sy-facets"), resultsEl = el.querySelector(".sy-results");
    input.value = s.q;
    sort.value = s.sort === "date" || s.sort === "date-asc" ? s.sort : "";

    function passes(F, d, skip) {
      return DIMENSIONS.every(function (dim) {
        return dim.param === skip || !s[dim.param] || dim.values(F, d).indexOf(s[dim.param]) >= 0;
      });
    }

    function filtersOn() {
      return DIMENSIONS.filter(function (dim) { return s[dim.param]; }).length;
    }

    // A chosen value keeps its button even when no result carries it (a bookmarked filter, or one
    // the new query rules out), or it could not be unset. `matching`: results the filters leave.
    function renderFacets(F, list, matching) {
      var was = document.activeElement, refocus = facetsEl.contains(was) && was.getAttribute("data-param") ? was : null;
      var groups = DIMENSIONS.map(function (dim) {
        var counts = Object.create(null), chosen = s[dim.param];
        list.forEach(function (r) {
          if (passes(F, r.id, dim.param)) dim.values(F, r.id).forEach(function (v) { counts[v] = (counts[v] || 0) + 1; });
        });
        var values = Object.keys(counts);
        values.sort(dim.sort === "desc" ? function (a, b) { return b < a ? -1 : 1; } : function (a, b) { return counts[b] - counts[a] || (a < b ? -1 : 1); });
        values = values.slice(0, FACET_SHOWN);
        if (chosen && values.indexOf(chosen) < 0) values.push(chosen);
        if (!values.length) return "";
        var buttons = values.map(function (v) {
          var on = chosen === v;
          return "<button type=\"button\" class=\"sy-facet" + (on ? " is-on" : "") + "\" aria-pressed=\"" + on + "\" data-param=\"" + dim.param +
            "\" data-value=\"" + esc(v) + "\">" + esc(dim.name ? dim.name(F, v) : v) + " <span class=\"sy-count\">" + (counts[v] || 0) + "</span></button>";
        }).join("");
        return "<div class=\"sy-facet-group\" role=\"group\" aria-label=\"" + dim.label + "\"><h3>" + dim.label + "</h3>" + buttons + "</div>";
      }).join("");
      facetsEl.innerHTML = groups + (groups ? "<button type=\"button\" class=\"sy-filter-done\">查看 " + matching + " 条结果</button>" : "");
      var n = filtersOn();
      toggle.hidden = !groups;
      toggle.textContent = n ? "筛选（已选 " + n + " 项）" : "筛选";
      // Rebuilding the buttons drops keyboard focus; put it back on the button just pressed.
      if (refocus) facetsEl.querySelectorAll("button[data-param]").forEach(function (b) {
        if (b.getAttribute("data-param") === refocus.getAttribute("data-param") && b.getAttribute("data-value") === refocus.getAttribute("data-value")) b.focus();
      });
    }

    function facetsNeeded() {
      return facetsAsked || filtersOn() > 0 || !s.q || !!s.sort;
    }

    // Until the facet data is asked for, the filters are one button that loads them.
    function renderFacetsOffer() {
      facetsEl.innerHTML = "<button type=\"button\" class=\"sy-facet sy-load-facets\">按类型、年份、标签等筛选</button>";
      toggle.hidden = false;
      toggle.textContent = "筛选";
    }

    function loadFacets() {
      facetsAsked = true;
      if (state.facets) return;
      facetsEl.innerHTML = "<p class=\"sy-facets-loading\">正在统计…</p>";
      withIndex(needFacets).then(function () { if (ranked && !pending) render(); }).catch(failed);
    }

    function setFiltersOpen(open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      facetsEl.classList.toggle("is-open", open);
    }

    function ordered(F, list) {
      var out = list.filter(function (r) { return passes(F, r.id, null); });
      if (s.sort === "date" || s.sort === "date-asc" || !s.q) {
        var dir = s.sort === "date-asc" ? 1 : -1;
        out = out.slice().sort(function (a, b) {
          var da = F.date[a.id], db = F.date[b.id];
          if (!da !== !db) return da ? -1 : 1;
          return dir * (da - db) || a.id - b.id;
        });
      }
      return out;
    }

    // The summary line for `count` results. An empty result suggests only what the reader did:
    // filters when one is set, quotes when the query has them (a quoted phrase must occur as is).
    function summary(count) {
      if (count && ranked.relaxed) return "没有完全符合" + quoted(s.q) + "的结果，以下是去掉引号后的 " + count + " 条结果。";
      if (count) return s.q ? quoted(s.q) + "共 " + count + " 条结果" : "共 " + count + " 篇";
      if (!s.q) return "没有符合筛选条件的页面。";
      var advice = filtersOn() ? "可以换个说法，或去掉筛选条件。" : /["“”＂]/.test(s.q) ? "可以换个说法，或去掉引号。" : "可以换个说法再试。";
      return "没有找到" + quoted(s.q) + "的结果。" + advice;
    }

    function render() {
      var mine = ++seq, F = state.facets, list = F ? ordered(F, ranked.results) : ranked.results;
      if (F) renderFacets(F, ranked.results, list.length);
      else renderFacetsOffer();
      // Sorted by date, the order is the reader's: no verbatim holders first.
      var picked = s.sort ? needPages(list.slice(0, shown).map(function (r) { return r.id; }), ranked.terms).then(function () {
        return list.slice(0, shown);
      }) : pickShown(ranked, list, shown);
      picked.then(function (page) {
        if (mine !== seq) return;
        summaryEl.textContent = summary(list.length);
        resultsEl.innerHTML = "<ol class=\"sy-result-list\">" +
          page.map(function (r) {
            var x = describe(r, ranked, s.q);
            return "<li class=\"sy-result\"><a class=\"sy-result-title\" href=\"" + esc(x.href) + "\">" + x.titleHtml + "</a>" +
              "<div class=\"sy-hit-meta\">" + metaHtml(x) + (x.section ? "<span class=\"sy-hit-section\">" + esc(x.section) + "</span>" : "") + "</div>" +
              (x.snippet ? "<p class=\"sy-hit-snippet\">" + x.snippet + "</p>" : "") + "</li>";
          }).join("") + "</ol>" +
          (list.length > shown ? "<button type=\"button\" class=\"sy-more\">显示更多结果</button>" : "") +
          (!list.length && filtersOn() ? "<button type=\"button\" class=\"sy-clear-filters\">去掉筛选条件</button>" : "");
      }).catch(failed);
    }

    function failed(err) {
      logFailure(err);
      summaryEl.textContent = "搜索索引加载失败，请重新生成站点。";
      resultsEl.innerHTML = "";
    }

    function run() {
      var mine = ++seq;
      pending = true;
      shown = PAGE_SIZE;
      writeParams(s);
      summaryEl.textContent = "正在搜索…";
      resultsEl.innerHTML = "";
      withIndex(function () {
        return (facetsNeeded() ? needFacets() : Promise.resolve()).then(function () { return s.q ? query(s.q) : null; });
      }).then(function (res) {
        if (mine !== seq) return;
        pending = false;
        var all = [];
        if (!res) for (var d = 0; d < state.meta.docs; d++) all.push({ id: d, held: 0, score: 0 });
        ranked = res || { terms: [], marked: [], results: all };
        render();
      }).catch(function (err) {
        if (mine !== seq) return;
        pending = false;
        failed(err);
      });
    }

    function refilter() {
      shown = PAGE_SIZE;
      writeParams(s);
      if (!pending) render();
    }

    el.addEventListener("submit", function (e) { e.preventDefault(); s.q = input.value; run(); });
    onTyped(input, DEBOUNCE_MS * 2, function () { s.q = input.value; run(); });
    sort.addEventListener("change", function () {
      s.sort = sort.value;
      writeParams(s);
      if (s.sort && !state.facets) loadFacets();
      else if (ranked && !pending) render();
    });
    toggle.addEventListener("click", function () {
      var open = toggle.getAttribute("aria-expanded") !== "true";
      setFiltersOpen(open);
      if (open) loadFacets();
    });
    facetsEl.addEventListener("click", function (e) {
      if (e.target.closest(".sy-load-facets")) { loadFacets(); return; }
      if (e.target.closest(".sy-filter-done")) { setFiltersOpen(false); toggle.focus(); return; }
      var b = e.target.closest("button[data-param]");
      if (!b || !ranked) return;
      var p = b.getAttribute("data-param"), v = b.getAttribute("data-value");
      s[p] = s[p] === v ? "" : v;
      refilter();
    });
    facetsEl.addEventListener("keydown", function (e) {
      // Where the panel folds (the button is shown), Escape folds it and returns to the button.
      if (e.key === "Escape" && toggle.offsetParent && facetsEl.classList.contains("is-open")) { setFiltersOpen(false); toggle.focus(); }
    });
    resultsEl.addEventListener("click", function (e) {
      if (e.target.closest(".sy-more")) { shown += PAGE_SIZE; render(); }
      if (e.target.closest(".sy-clear-filters")) { DIMENSIONS.forEach(function (dim) { s[dim.param] = ""; }); refilter(); }
    });
    if (s.q || filtersOn()) run();
    else summaryEl.textContent = "输入关键词开始搜索；支持整句提问。要按原文顺序查找完整短语，请加引号：中文引号“…”和英文引号\"…\"都可以。";
  }

  /* ------------------------------------------------- highlight after arrival */

  function highlightPage() {
    var hl = new URLSearchParams(location.search).get("hl");
    var article = document.querySelector("article.sy-content");
    if (!hl || !article) return;
    var ts = parseQuery(hl);
    if (!ts.length) return;
    // The synonym groups are in meta.js; without it (a broken index) the terms alone are marked.
    loadMeta(false).then(function (m) {
      return markedTerms(ts, expand(ts, m.syn || []));
    }, function (err) {
      logFailure(err);
      return ts;
    }).then(function (marked) { highlightTerms(article, marked); });
  }

  // Wraps what `ts` marks in the article's text in <mark class="sy-hl"> and scrolls to the
  // first mark after the #fragment's heading.
  function highlightTerms(article, ts) {
    var nodes = [], text = "";
    var walker = document.createTreeWalker(article, NodeFilter.SHOW_TEXT, {
      acceptNode: function (n) {
        return n.parentNode.closest("script,style,textarea,mark") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    for (var n = walker.nextNode(); n; n = walker.nextNode()) {
      nodes.push({ node: n, start: text.length });
      text += n.nodeValue;
    }
    var ranges = mark(ts, text).ranges, marks = [];
    // Wrap from the end so earlier offsets stay valid; a range may span several text nodes.
    for (var r = ranges.length - 1; r >= 0; r--) {
      for (var k = nodes.length - 1; k >= 0; k--) {
        var item = nodes[k], len = item.node.nodeValue.length;
        var s = Math.max(ranges[r][0], item.start) - item.start, e = Math.min(ranges[r][1], item.start + len) - item.start;
        if (s >= e) continue;
        var target = item.node;
        if (e < len) target.splitText(e);
        if (s > 0) target = target.splitText(s);
        var m = document.createElement("mark");
        m.className = "sy-hl";
        target.parentNode.insertBefore(m, target);
        m.appendChild(target);
        marks.unshift(m);
      }
    }
    if (!marks.length) return;
    var anchor = null;
    try {
      anchor = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    } catch (e) {
      // A fragment that is not valid percent-encoding names no heading.
    }
    var first = marks.filter(function (m) {
      return !anchor || anchor.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING;
    })[0] || marks[0];
    first.scrollIntoView({ block: "center" });
  }

  /* -------------------------------------------------------------------- start */

  function init() {
    var input = document.getElementById("sy-q");
    if (input) setupDropdown(input);
    var page = document.getElementById("sy-search-page");
    if (page) setupPage(page);
    highlightPage();
    document.addEventListener("keydown", onSlash);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();