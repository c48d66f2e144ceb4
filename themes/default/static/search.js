/* 书院 search (browser side).
 *
 * Owns: the tokenizer and query analysis (mirroring src/search/tokenizer.rs and query.rs, pinned
 * by tests/vectors/tokenizer.json), loading the static index from <root>search/ by inserting
 * classic <script> tags (no fetch, modules, WebAssembly or workers, so it works from file:// and
 * under any sub-path), the ranking (mirroring src/search/rank.rs line for line, pinned by
 * tests/vectors/ranking.json; `shuyuan search` and /api/search rank the same files with it),
 * snippets, the header dropdown on #sy-q, the full search page in #sy-search-page, and
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

  /* ------------------------------------------------------------------ tokenizer */

  var HAN = 1, WORD = 2, SEP = 0;
  var MAX_WORD_CHARS = 32;
  var GRAM = "\u0001";
  var ALNUM = /[\p{Alphabetic}\p{N}]/u;
  var SPACE = /\p{White_Space}/u;

  // Traditional characters folded to simplified, the table Rust uses (OpenCC's TSCharacters,
  // derived by build.rs): for each pair in code point order, the distance from the previous
  // traditional character in decimal (left out when 1), then the simplified character. shuyuan
  // writes it into the slot below when it copies this file; an empty slot folds nothing. Read on
  // first use, so pages where nobody searches skip it.
  var FOLD_PAIRS = /*shuyuan:fold*/"";
  var fold = null;

  function foldTable() {
    if (fold) return fold;
    var cp = 0, gap = "";
    fold = new Map();
    for (var ch of FOLD_PAIRS) {
      if (ch >= "0" && ch <= "9") {
        gap += ch;
        continue;
      }
      cp += gap ? Number(gap) : 1;
      gap = "";
      fold.set(String.fromCodePoint(cp), ch);
    }
    return fold;
  }

  // Full-width ASCII to half-width, ideographic space to space, traditional to simplified, then
  // lowercase when that gives one character of the same UTF-16 length (so offsets stay put),
  // exactly as in Rust.
  function normChar(ch) {
    var cp = ch.codePointAt(0);
    if (cp >= 0xff01 && cp <= 0xff5e) {
      cp -= 0xfee0;
      ch = String.fromCharCode(cp);
    } else if (cp === 0x3000) {
      return " ";
    }
    if (cp < 128) return ch.toLowerCase();
    var simplified = foldTable().get(ch);
    if (simplified !== undefined) return simplified;
    var l = ch.toLowerCase();
    if (l.length === ch.length && (l.length === 1 || l.codePointAt(0) > 0xffff)) return l;
    return ch;
  }

  function normalize(text) {
    var out = "";
    for (var ch of text) out += normChar(ch);
    return out;
  }

  function classify(ch) {
    var cp = ch.codePointAt(0);
    if ((cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) ||
        (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x20000 && cp <= 0x2ffff)) return HAN;
    if ((cp >= 97 && cp <= 122) || (cp >= 48 && cp <= 57)) return WORD;
    if (cp < 128) return SEP;
    return ALNUM.test(ch) ? WORD : SEP;
  }

  // Normalised characters (one string per code point) and runs of Han or word characters.
  function analyze(text) {
    var chars = [];
    for (var ch of text) chars.push(normChar(ch));
    var runs = [];
    for (var i = 0; i < chars.length;) {
      var cls = classify(chars[i]), start = i;
      i++;
      if (cls === SEP) continue;
      while (i < chars.length && classify(chars[i]) === cls) i++;
      runs.push({ cls: cls, start: start, end: i });
    }
    return { chars: chars, runs: runs };
  }

  function piece(a, s, e) {
    return a.chars.slice(s, e).join("");
  }

  // Tokens {t, pos, s, e, word} of one run; s and e are character indices.
  function runTerms(a, run, pos) {
    var out = [], n = run.end - run.start, word = run.cls === WORD;
    if (run.cls === HAN && n === 1) {
      out.push({ t: a.chars[run.start], pos: pos, s: run.start, e: run.end, word: word });
    } else if (run.cls === HAN) {
      for (var i = run.start; i < run.end - 1; i++) out.push({ t: piece(a, i, i + 2), pos: pos + i - run.start, s: i, e: i + 2, word: word });
    } else {
      var end = Math.min(run.end, run.start + MAX_WORD_CHARS);
      out.push({ t: piece(a, run.start, end), pos: pos, s: run.start, e: end, word: word });
    }
    return out;
  }

  // Adjacent tokens across a run boundary, one of them a word: a pair key (see tokenizer.rs).
  function formsPair(x, y) {
    return y.pos === x.pos + 1 && x.e <= y.s && (x.word || y.word);
  }

  // Single characters, and for word runs their bigrams.
  function runGrams(a, run) {
    var out = [], i;
    for (i = run.start; i < run.end; i++) out.push({ t: a.chars[i], n: 1 });
    if (run.cls === WORD) for (i = run.start; i < run.end - 1; i++) out.push({ t: piece(a, i, i + 2), n: 2 });
    return out;
  }

  function terms(text) {
    var a = analyze(text), out = [];
    a.runs.forEach(function (run) { out = out.concat(runTerms(a, run, out.length)); });
    return out;
  }

  NS.tokenize = function (text) {
    return terms(String(text)).map(function (t) { return t.t; });
  };

  /* ------------------------------------------------------------- query analysis */

  var MAX_KEYS = 64, STRICT_MAX_KEYS = 16;
  var PAIR = "\u0002";

  function isQuote(c) {
    return c === "\"" || c === "\u201c" || c === "\u201d";
  }

  function trim(s) {
    return s.replace(/^\p{White_Space}+|\p{White_Space}+$/gu, "");
  }

  // What a page must hold for the term's text to occur in it (see src/search/query.rs).
  function analyseTerm(text, quoted) {
    var a = analyze(text), len = a.chars.length, pos = 0, exact = [];
    var term = { text: text, quoted: quoted, exact: [], grams: [], boosts: [], pairs: [], paired: [] };
    a.runs.forEach(function (run) {
      var toks = runTerms(a, run, pos);
      pos += toks.length;
      var atEdge = run.start === 0 || run.end === len;
      var singleHan = run.cls === HAN && run.end - run.start === 1;
      if (atEdge && (singleHan || run.cls === WORD)) {
        runGrams(a, run).forEach(function (g) {
          if ((run.end - run.start === 1 || g.n === 2) && term.grams.indexOf(g.t) < 0) term.grams.push(g.t);
        });
        if (run.cls === WORD) toks.forEach(function (t) { term.boosts.push(t.t); });
      } else {
        exact = exact.concat(toks);
      }
    });
    // Where a Han run and a word run touch, that character pair is a gram too (3条 in 第3条).
    for (var r = 0; r + 1 < a.runs.length; r++) {
      if (a.runs[r].end !== a.runs[r + 1].start) continue;
      var touch = piece(a, a.runs[r].end - 1, a.runs[r].end + 1);
      if (term.grams.indexOf(touch) < 0) term.grams.push(touch);
    }
    term.paired = exact.map(function () { return false; });
    for (var i = 0; i + 1 < exact.length; i++) {
      if (formsPair(exact[i], exact[i + 1])) {
        term.pairs.push(PAIR + exact[i].t + PAIR + exact[i + 1].t);
        term.paired[i] = term.paired[i + 1] = true;
      }
    }
    term.exact = exact.map(function (t) { return [t.pos, t.t]; });
    return term.exact.length || term.grams.length ? term : null;
  }

  function parseQuery(q) {
    var chars = Array.from(String(q), normChar), out = [], cur = "";
    function push(text, quoted) {
      var t = analyseTerm(trim(text), quoted);
      if (t) out.push(t);
    }
    for (var i = 0; i < chars.length; i++) {
      var c = chars[i];
      if (isQuote(c)) {
        push(cur, false);
        cur = "";
        var quoted = "";
        for (i++; i < chars.length && !isQuote(chars[i]); i++) quoted += chars[i];
        push(quoted, true);
      } else if (SPACE.test(c)) {
        push(cur, false);
        cur = "";
      } else {
        cur += c;
      }
    }
    push(cur, false);
    return out;
  }

  var MAX_ALTERNATIVES = 8;

  // Per term, the terms a page may hold instead through the site's synonym groups (meta "syn":
  // the typed word first, then its synonyms); mirrors query::expand.
  function expand(ts, groups) {
    function holds(t, w) {
      return t.text === w || (Array.from(w).length >= 2 && t.text.indexOf(w) >= 0);
    }
    return ts.map(function (t) {
      var words = [], out = [];
      if (!t.quoted) groups.forEach(function (g) {
        var synonyms = g.slice(1);
        if (holds(t, g[0])) words = words.concat(synonyms);
        if (synonyms.some(function (s) { return holds(t, s); })) words.push(g[0]);
      });
      words.forEach(function (w) {
        if (out.length < MAX_ALTERNATIVES && w !== t.text && !out.some(function (a) { return a.text === w; })) {
          var a = analyseTerm(w, false);
          if (a) out.push(a);
        }
      });
      return out;
    });
  }

  // Keys to load per term and per synonym alternative, whether each term is loose, and
  // optional boost keys (mirrors query::plan).
  function plan(ts, alts) {
    function keys(t) {
      var out = [];
      var unpaired = t.exact.filter(function (e, i) { return !t.paired[i]; }).map(function (e) { return e[1]; });
      t.pairs.concat(unpaired, t.grams.map(function (g) { return GRAM + g; })).forEach(function (k) {
        if (out.indexOf(k) < 0) out.push(k);
      });
      return out;
    }
    function count(p) {
      return p.reduce(function (n, k) { return n + k.length; }, 0);
    }
    var per = ts.map(keys);
    var loose = ts.map(function (t, i) { return !t.quoted && per[i].length > STRICT_MAX_KEYS; });
    if (count(per) > MAX_KEYS) {
      var share = Math.max(1, Math.floor(MAX_KEYS / ts.length));
      per = per.map(function (k) {
        if (k.length <= share) return k;
        var step = k.length / share, out = [];
        for (var i = 0; i < share; i++) out.push(k[Math.floor(i * step)]);
        return out;
      });
    }
    var room = Math.max(0, MAX_KEYS - count(per)), boosts = [];
    var alternatives = ts.map(function (t, i) {
      var out = [];
      (alts[i] || []).forEach(function (a) {
        var k = keys(a);
        if (k.length <= room) { room -= k.length; out.push(k); }
      });
      return out;
    });
    ts.forEach(function (t) {
      t.boosts.forEach(function (b) {
        if (room > 0 && boosts.indexOf(b) < 0) { boosts.push(b); room--; }
      });
    });
    return { per: per, alternatives: alternatives, loose: loose, boosts: boosts };
  }

  /* --------------------------------------------------------------- index codec */

  var DIGIT = new Int8Array(128).fill(-1);
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".split("").forEach(function (c, i) {
    DIGIT[c.charCodeAt(0)] = i;
  });

  // Base64url varints, five bits per digit, least significant first; digits >= 32 continue.
  function varints(s) {
    var out = [], v = 0, mul = 1;
    for (var i = 0; i < s.length; i++) {
      var d = DIGIT[s.charCodeAt(i)];
      v += (d & 31) * mul;
      if (d < 32) { out.push(v); v = 0; mul = 1; } else { mul *= 32; }
    }
    return out;
  }

  // A posting list as parallel arrays of pages and levels: (page gap << 5) | level.
  function postings(s) {
    var nums = varints(s), docs = new Int32Array(nums.length), levels = new Uint8Array(nums.length), next = 0;
    for (var i = 0; i < nums.length; i++) {
      var page = next + Math.floor(nums[i] / 32);
      docs[i] = page;
      levels[i] = nums[i] % 32;
      next = page + 1;
    }
    return { docs: docs, levels: levels };
  }

  // A heavy key's stub "~j.df" in its shard: [file number j, document frequency], or null.
  function heavyStub(v) {
    var m = /^~(\d+)\.(\d+)$/.exec(v || "");
    return m ? [Number(m[1]), Number(m[2])] : null;
  }

  function keyHash(s) {
    var h = 0x811c9dc5;
    for (var i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    return h >>> 0;
  }

  /* ------------------------------------------------------------------- loader */

  var state = {
    meta: null,        // {v, build, shards, docs}
    metaLoading: null, // Promise of the meta
    shards: {},        // shard number -> {key: postings string or heavy stub}
    heavy: {},         // "k-j" -> postings string of a heavy key
    decoded: {},       // key -> decoded postings
    pages: {},         // page number -> fragment
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
  NS.page = function (build, id, p) {
    if (state.meta && build === state.meta.build) state.pages[id] = p;
  };
  NS.facets = function (build, f) {
    if (state.meta && build === state.meta.build) state.facets = decodeFacets(f);
  };

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
      if (!state.meta || state.meta.build !== m.build) {
        state = { meta: m, metaLoading: state.metaLoading, shards: {}, heavy: {}, decoded: {}, pages: {}, facets: null, loading: {} };
      }
      return m;
    });
    state.metaLoading.catch(function () { state.metaLoading = null; });
    return state.metaLoading;
  }

  // Loads one file of the current build once; resolves when `ready()` holds.
  function need(file, ready) {
    if (ready()) return Promise.resolve();
    var path = BASE + state.meta.build + "/" + file;
    if (!state.loading[path]) {
      state.loading[path] = loadScript(path).then(function () {
        if (!ready()) throw new Error(path + " did not register");
      });
      state.loading[path].catch(function () { delete state.loading[path]; });
    }
    return state.loading[path];
  }

  function needShards(keys) {
    var n = state.meta.shards, wanted = {};
    keys.forEach(function (k) { wanted[keyHash(k) % n] = true; });
    return Promise.all(Object.keys(wanted).map(function (k) {
      return need("s" + k + ".js", function () { return !!state.shards[k]; });
    }));
  }

  // The files of the heavy keys among `keys` (their shards already loaded).
  function needHeavy(keys) {
    var n = state.meta.shards;
    return Promise.all(keys.map(function (key) {
      var k = keyHash(key) % n, stub = heavyStub(state.shards[k][key]);
      if (!stub) return null;
      var id = k + "-" + stub[0];
      return need("s" + id + ".js", function () { return id in state.heavy; });
    }));
  }

  function needPages(ids) {
    return Promise.all(ids.map(function (id) {
      return need("p" + id + ".js", function () { return !!state.pages[id]; });
    }));
  }

  function needFacets() {
    return need("facets.js", function () { return !!state.facets; });
  }

  // Runs `work` against the current build; when a file is missing because the site was rebuilt
  // meanwhile, reloads meta.js once and runs it again on the new build.
  function withIndex(work) {
    return loadMeta(false).then(work).catch(function (err) {
      var build = state.meta && state.meta.build;
      return loadMeta(true).then(function (m) {
        if (m.build === build) throw err;
        return work();
      });
    });
  }

  function lookup(key) {
    if (!(key in state.decoded)) {
      var k = keyHash(key) % state.meta.shards, shard = state.shards[k];
      var s = shard && shard[key], stub = heavyStub(s);
      if (stub) s = state.heavy[k + "-" + stub[0]];
      state.decoded[key] = s ? postings(s) : { docs: new Int32Array(0), levels: new Uint8Array(0) };
    }
    return state.decoded[key];
  }

  /* ------------------------------------------------------------------ ranking */

  // The ranking function, mirrored line for line from src/search/rank.rs (specified in
  // ARCHITECTURE.md, "Ranking"; pinned by tests/vectors/ranking.json).
  var BM25_K1 = 8.0, TF_LEVELS = 15, TITLE_BIT = 16;
  var TITLE_BONUS = 1.0, WHOLE_TERM = 2.0, TITLE_TERM = 3.0, MAX_HEAVY_KEYS = 3, LOOSE_MIN_DF = 2, SYNONYM = 0.5;

  // The middle of a level's range of BM25's term-frequency part (levels are square-root spaced).
  function tfPart(level) {
    var lv = level & 15;
    if (!lv) return 0;
    var x = (lv - 0.5) / TF_LEVELS;
    return x * x * (BM25_K1 + 1.0);
  }

  function weight(level) {
    return tfPart(level) + (level & TITLE_BIT ? TITLE_BONUS : 0);
  }

  // Rounded to six decimals, so Math.log and Rust's ln give the same weights.
  function idf(n, df) {
    return Math.round(Math.log(1 + (n - df + 0.5) / (df + 0.5)) * 1e6) / 1e6;
  }

  // A loose term keeps its light keys found in at least LOOSE_MIN_DF pages and its
  // MAX_HEAVY_KEYS rarest heavy ones (rank::settle).
  function settle(p) {
    var n = state.meta.shards;
    var per = p.per.map(function (keys, t) {
      if (!p.loose[t]) return keys;
      var heavy = [], dropped = [];
      keys.forEach(function (key, i) {
        var v = state.shards[keyHash(key) % n][key], stub = heavyStub(v);
        if (stub) heavy.push([stub[1], i]);
        else if (lightDf(v) < LOOSE_MIN_DF) dropped.push(i);
      });
      heavy.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
      heavy.slice(MAX_HEAVY_KEYS).forEach(function (h) { dropped.push(h[1]); });
      return keys.filter(function (k, i) { return dropped.indexOf(i) < 0; });
    });
    return { per: per, alternatives: p.alternatives, loose: p.loose, boosts: p.boosts };
  }

  // The document frequency of inline postings: every posting ends with a digit below 32.
  function lightDf(v) {
    var df = 0;
    for (var i = 0; v && i < v.length; i++) if (DIGIT[v.charCodeAt(i)] < 32) df++;
    return df;
  }

  // Ranks every candidate page: pages holding more terms whole first, then by score, then by page.
  function rank(ts, p) {
    var n = state.meta.docs;
    var score = new Float64Array(n), held = new Uint32Array(n), hit = new Uint8Array(n), excluded = new Uint8Array(n);
    ts.forEach(function (t, ti) {
      var synonymScore = synonymScores(p.alternatives[ti] || [], n);
      var keys = p.per[ti], count = new Uint32Array(n), inTitle = new Uint32Array(n);
      var termScore = new Float64Array(n), exactScore = new Float64Array(n), titleScore = new Float64Array(n);
      keys.forEach(function (key) {
        var post = lookup(key), w = idf(n, post.docs.length), isGram = key.charAt(0) === GRAM;
        for (var i = 0; i < post.docs.length; i++) {
          var d = post.docs[i], level = post.levels[i];
          count[d]++;
          var sc = w * weight(level);
          termScore[d] += sc;
          if (!isGram) exactScore[d] += sc;
          if (level & TITLE_BIT) { inTitle[d]++; titleScore[d] += w; }
        }
      });
      for (var d = 0; d < n; d++) {
        if (keys.length && count[d] === keys.length) {
          held[d]++;
          hit[d] = 1;
          score[d] += WHOLE_TERM * termScore[d];
          if (inTitle[d] === count[d]) score[d] += TITLE_TERM * titleScore[d];
        } else {
          if (t.quoted) excluded[d] = 1;
          // Grams alone (shared characters or digits) do not make a partial answer.
          if (exactScore[d] > 0 || synonymScore[d] > 0) { hit[d] = 1; score[d] += exactScore[d] + SYNONYM * synonymScore[d]; }
        }
      }
    });
    p.boosts.forEach(function (key) {
      var post = lookup(key), w = idf(n, post.docs.length);
      for (var i = 0; i < post.docs.length; i++) if (hit[post.docs[i]]) score[post.docs[i]] += w * weight(post.levels[i]);
    });
    var out = [];
    for (var d = 0; d < n; d++) if (hit[d] && !excluded[d]) out.push({ id: d, held: held[d], score: score[d] });
    out.sort(function (a, b) { return b.held - a.held || b.score - a.score || a.id - b.id; });
    return out;
  }

  // Per page, what a term's synonym alternatives held whole give it (rank::synonym_scores).
  function synonymScores(alternatives, n) {
    var out = new Float64Array(n);
    alternatives.forEach(function (keys) {
      var count = new Uint32Array(n), all = new Float64Array(n);
      keys.forEach(function (key) {
        var post = lookup(key), w = idf(n, post.docs.length);
        for (var i = 0; i < post.docs.length; i++) {
          count[post.docs[i]]++;
          all[post.docs[i]] += w * weight(post.levels[i]);
        }
      });
      for (var d = 0; d < n; d++) if (keys.length && count[d] === keys.length) out[d] += WHOLE_TERM * all[d];
    });
    return out;
  }

  function allKeys(p) {
    var alt = p.alternatives.reduce(function (a, ks) { return ks.reduce(function (b, k) { return b.concat(k); }, a); }, []);
    return p.per.reduce(function (a, k) { return a.concat(k); }, []).concat(alt, p.boosts);
  }

  // All candidate pages for a query, ranked: [{id, held, score}], plus the analysed terms and,
  // for marking snippets, the terms with their synonym alternatives.
  function query(q) {
    var ts = parseQuery(q);
    if (!ts.length) return loadMeta(false).then(function () { return { terms: ts, marked: ts, results: [] }; });
    return withIndex(function () {
      var alts = expand(ts, state.meta.syn || []), planned = plan(ts, alts);
      var marked = ts.concat.apply(ts, alts.map(function (as) {
        return as.map(function (a) { return Object.assign({}, a, { quoted: true }); });
      }));
      return needShards(allKeys(planned)).then(function () {
        var settled = settle(planned);
        return needHeavy(allKeys(settled)).then(function () { return { terms: ts, marked: marked, results: rank(ts, settled) }; });
      });
    });
  }

  /* -------------------------------------------------------- marks and snippets */

  var SNIPPET_CHARS = 110, SNIPPET_LEAD = 30, MAX_TERM_CHARS = 64;

  // Ranges (UTF-16 offsets) answering the terms in `text` (mirrors src/search/snippet.rs).
  function mark(ts, text) {
    var norm = normalize(text), ranges = [], score = 0;
    function markAll(p) {
      var found = false;
      for (var i = norm.indexOf(p); i >= 0; i = norm.indexOf(p, i + p.length)) {
        ranges.push([i, i + p.length]);
        found = true;
      }
      return found;
    }
    ts.forEach(function (t) {
      if (markAll(t.text)) { score += 1000; return; }
      // A quoted term (or a synonym) means its whole text: its pieces are not marked.
      if (t.quoted) return;
      var chars = Array.from(t.text).slice(0, MAX_TERM_CHARS);
      for (var i = 0; i + 1 < chars.length;) {
        var found = 0;
        for (var j = chars.length; j >= i + 2; j--) {
          var part = chars.slice(i, j), solid = part.filter(function (c) { return classify(c) !== SEP; }).length;
          if (solid >= 2 && markAll(part.join(""))) { found = j; break; }
        }
        if (found) { score += (found - i) * (found - i); i = found; } else { i++; }
      }
    });
    ranges.sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    var merged = [];
    ranges.forEach(function (r) {
      var last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    });
    return { ranges: merged, score: score };
  }

  // A query as the page quotes it: in “…”, without doubling the quotes a phrase search already has
  // (“"四议两公开"” read ““四议两公开””).
  function quoted(q) {
    var m = /^\s*["“”＂]([^"“”＂]*)["“”＂]\s*$/.exec(q);
    return "“" + (m ? m[1] : q) + "”";
  }

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  // `text[start, end)` escaped, with <mark> around the ranges.
  function markedHtml(text, ranges, start, end) {
    var out = "", at = start;
    ranges.forEach(function (r) {
      var s = Math.max(r[0], start), e = Math.min(r[1], end);
      if (s >= e) return;
      out += esc(text.slice(at, s)) + "<mark>" + esc(text.slice(s, e)) + "</mark>";
      at = e;
    });
    return out + esc(text.slice(at, end));
  }

  function isLowSurrogate(text, i) {
    var c = text.charCodeAt(i);
    return c >= 0xdc00 && c <= 0xdfff;
  }

  function snippet(text, marks) {
    var focus = null;
    marks.ranges.forEach(function (r) { if (!focus || r[1] - r[0] > focus[1] - focus[0]) focus = r; });
    var start = focus ? Math.max(0, focus[0] - SNIPPET_LEAD) : 0;
    var end = Math.min(text.length, start + SNIPPET_CHARS);
    start = Math.max(0, Math.min(start, end - SNIPPET_CHARS));
    if (isLowSurrogate(text, start)) start--;
    if (isLowSurrogate(text, end)) end++;
    return (start > 0 ? "…" : "") + markedHtml(text, marks.ranges, start, end) + (end < text.length ? "…" : "");
  }

  // Section that best answers the terms (heading matches count double).
  function bestSection(ts, sections) {
    var best = { index: 0, score: -1, marks: { ranges: [], score: 0 } };
    sections.forEach(function (s, i) {
      var m = mark(ts, s[2]), score = m.score + 2 * mark(ts, s[1]).score;
      if (score > best.score) best = { index: i, score: score, marks: m };
    });
    return best;
  }

  // Whether a loaded page holds every term verbatim (the index has no positions, so a page
  // holding all of a term's keys may still lack the term itself).
  function holdsAll(ts, p) {
    var texts = [normalize(p.t)];
    (p.s || []).forEach(function (s) { texts.push(normalize(s[1]), normalize(s[2])); });
    return ts.every(function (t) {
      return texts.some(function (x) { return x.indexOf(t.text) >= 0; });
    });
  }

  // Among results whose fragments are loaded, those holding every term verbatim go first.
  function exactFirst(ts, list) {
    var yes = [], no = [];
    list.forEach(function (r) { (holdsAll(ts, state.pages[r.id]) ? yes : no).push(r); });
    return yes.concat(no);
  }

  var STATUS_CLASS = { "现行有效": "current", "已修订": "revised", "已废止": "repealed" };

  // Everything a result needs for display, from its fragment.
  function describe(r, ts, q) {
    var p = state.pages[r.id], sections = p.s || [], best = bestSection(ts, sections);
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
      var shown = res.results.slice(0, limit || 10);
      return needPages(shown.map(function (r) { return r.id; })).then(function () {
        return exactFirst(res.terms, shown).map(function (r) { return describe(r, res.marked, q); });
      });
    });
  };

  // Test hook for tests/vectors/ranking.json: the ranking's constants, compared with Rust's.
  NS.rankingConstants = {
    MAX_KEYS: MAX_KEYS, STRICT_MAX_KEYS: STRICT_MAX_KEYS, BM25_K1: BM25_K1, TF_LEVELS: TF_LEVELS,
    TITLE_BIT: TITLE_BIT, TITLE_BONUS: TITLE_BONUS, WHOLE_TERM: WHOLE_TERM, TITLE_TERM: TITLE_TERM,
    MAX_HEAVY_KEYS: MAX_HEAVY_KEYS, LOOSE_MIN_DF: LOOSE_MIN_DF, SYNONYM: SYNONYM,
    MAX_ALTERNATIVES: MAX_ALTERNATIVES
  };

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
        var shown = res.results.slice(0, DROPDOWN_RESULTS);
        return needPages(shown.map(function (r) { return r.id; })).then(function () {
          if (mine !== seq) return;
          if (!shown.length) {
            show("<div class=\"sy-dd-empty\">没有找到" + esc(quoted(q)) + "的结果</div>");
            return;
          }
          var html = exactFirst(res.terms, shown).map(function (r, i) {
            var x = describe(r, res.marked, q);
            return "<a class=\"sy-dd-item\" role=\"option\" aria-selected=\"false\" id=\"sy-dd-" + i + "\" href=\"" + esc(x.href) + "\">" +
              "<span class=\"sy-dd-title\">" + x.titleHtml + "</span>" +
              "<span class=\"sy-hit-meta\">" + metaHtml(x) + "</span>" +
              (x.snippet ? "<span class=\"sy-hit-snippet\">" + x.snippet + "</span>" : "") + "</a>";
          }).join("");
          html += "<a class=\"sy-dd-more\" href=\"" + esc(searchPageHref(q)) + "\">查看全部 " + res.results.length + " 条结果 →</a>";
          show(html);
        });
      }).catch(function () {
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
      if (count) return s.q ? quoted(s.q) + "共 " + count + " 条结果" : "共 " + count + " 篇";
      if (!s.q) return "没有符合筛选条件的页面。";
      var advice = filtersOn() ? "可以换个说法，或去掉筛选条件。" : /["“”＂]/.test(s.q) ? "可以换个说法，或去掉引号。" : "可以换个说法再试。";
      return "没有找到" + quoted(s.q) + "的结果。" + advice;
    }

    function render() {
      var mine = ++seq, F = state.facets, list = F ? ordered(F, ranked.results) : ranked.results, page = list.slice(0, shown);
      if (F) renderFacets(F, ranked.results, list.length);
      else renderFacetsOffer();
      needPages(page.map(function (r) { return r.id; })).then(function () {
        if (mine !== seq) return;
        summaryEl.textContent = summary(list.length);
        resultsEl.innerHTML = "<ol class=\"sy-result-list\">" +
          (s.sort ? page : exactFirst(ranked.terms, page)).map(function (r) {
            var x = describe(r, ranked.marked, s.q);
            return "<li class=\"sy-result\"><a class=\"sy-result-title\" href=\"" + esc(x.href) + "\">" + x.titleHtml + "</a>" +
              "<div class=\"sy-hit-meta\">" + metaHtml(x) + (x.section ? "<span class=\"sy-hit-section\">" + esc(x.section) + "</span>" : "") + "</div>" +
              (x.snippet ? "<p class=\"sy-hit-snippet\">" + x.snippet + "</p>" : "") + "</li>";
          }).join("") + "</ol>" +
          (list.length > shown ? "<button type=\"button\" class=\"sy-more\">显示更多结果</button>" : "") +
          (!list.length && filtersOn() ? "<button type=\"button\" class=\"sy-clear-filters\">去掉筛选条件</button>" : "");
      }).catch(failed);
    }

    function failed() {
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
      }).catch(function () {
        if (mine !== seq) return;
        pending = false;
        failed();
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
