/* 书院 search core: everything both engines must agree on, with no page and no loading.
 *
 * Owns the tokenizer and query analysis (mirroring src/search/tokenizer.rs and query.rs, pinned
 * by tests/vectors/tokenizer.json), the index codec (format in src/search/export/mod.rs; the
 * fragments' code in src/search/fragment_code.rs, pinned by tests/vectors/fragment_code.json), the
 * ranking (mirroring src/search/rank.rs line for line, specified in ARCHITECTURE.md "Ranking",
 * pinned by tests/vectors/ranking.json) and match marking and snippets (src/search/snippet.rs).
 * Plain script: in a page it sets window.__shuyuan.core for search.js; under Node
 * (tests/node/core_vectors.js) it is a CommonJS module, so the vectors are checked without a
 * browser too.
 */
(function (global) {
  "use strict";

  // The static index format this core reads (FORMAT_VERSION in src/search/export/mod.rs). The
  // build warns when the search-core.js it copies does not say this: a site's own copy left
  // from an older version would look keys up as that version spelled them, and miss.
  var INDEX_FORMAT = 6;

  // The tokenizer needs Unicode property classes (\p{…}), which browsers before 2018–2020 cannot
  // read. They are built with new RegExp below, never written as literals, so such a browser
  // gets here instead of stopping at a syntax error; the core is then `false`, and search.js
  // tells the reader why search does not work.
  var UNICODE_CLASSES = (function () {
    try {
      return new RegExp("\\p{L}", "u").test("书");
    } catch (e) {
      return false;
    }
  })();
  if (!UNICODE_CLASSES) {
    if (typeof module === "object" && module.exports) module.exports = false;
    else (global.__shuyuan = global.__shuyuan || {}).core = false;
    return;
  }

  /* ------------------------------------------------------------------ tokenizer */

  var HAN = 1, WORD = 2, SEP = 0;
  var MAX_WORD_CHARS = 32;
  var GRAM = "*";
  var ALNUM = new RegExp("[\\p{Alphabetic}\\p{N}]", "u");
  var SPACE = new RegExp("\\p{White_Space}", "u");
  var EDGE_SPACES = new RegExp("^\\p{White_Space}+|\\p{White_Space}+$", "gu");

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

  function tokenize(text) {
    return terms(String(text)).map(function (t) { return t.t; });
  }

  /* ------------------------------------------------------------- query analysis */

  var MAX_KEYS = 64, STRICT_MAX_KEYS = 16;
  var PAIR = "+";

  function isQuote(c) {
    return c === "\"" || c === "\u201c" || c === "\u201d";
  }

  function trim(s) {
    return s.replace(EDGE_SPACES, "");
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
        term.pairs.push(exact[i].t + PAIR + exact[i + 1].t);
        term.paired[i] = term.paired[i + 1] = true;
      }
    }
    term.exact = exact.map(function (t) { return [t.pos, t.t]; });
    return term.exact.length || term.grams.length ? term : null;
  }

  // The query with its quotes taken out (query::without_quotes).
  function withoutQuotes(q) {
    return Array.from(String(q), normChar).map(function (c) { return isQuote(c) ? " " : c; }).join("");
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
        // A quote without a closing one separates like a space (query::parse).
        var close = i + 1;
        while (close < chars.length && !isQuote(chars[close])) close++;
        if (close < chars.length) {
          push(chars.slice(i + 1, close).join(""), true);
          i = close;
        }
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

  // A heavy key's file: plain postings, or tiered (src/search/codec.rs): the postings that keep
  // their level, ".", the level all the others share (one digit), and their pages as "g" and
  // gaps or "b" and a bitmap of six pages a digit. Decoded into one list in page order.
  function heavyPostings(s) {
    var dot = s.indexOf(".");
    if (dot < 0) return postings(s);
    var high = postings(s.slice(0, dot)), shared = DIGIT[s.charCodeAt(dot + 1)] & 31;
    var mode = s.charAt(dot + 2), body = s.slice(dot + 3), rest = [];
    if (mode === "g") {
      var next = 0;
      varints(body).forEach(function (gap) { rest.push(next + gap); next += gap + 1; });
    } else if (mode === "b") {
      for (var i = 0; i < body.length; i++) {
        var d = DIGIT[body.charCodeAt(i)];
        for (var j = 0; j < 6; j++) if (d & (1 << j)) rest.push(i * 6 + j);
      }
    }
    var n = high.docs.length + rest.length, docs = new Int32Array(n), levels = new Uint8Array(n);
    for (var h = 0, r = 0, o = 0; o < n; o++) {
      if (r === rest.length || (h < high.docs.length && high.docs[h] < rest[r])) {
        docs[o] = high.docs[h]; levels[o] = high.levels[h]; h++;
      } else {
        docs[o] = rest[r]; levels[o] = shared; r++;
      }
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


  /* ------------------------------------------------------------------ ranking */

  // The ranking function, mirrored line for line from src/search/rank.rs (specified in
  // ARCHITECTURE.md, "Ranking"; pinned by tests/vectors/ranking.json).
  var BM25_K1 = 8.0, TF_LEVELS = 15, TITLE_BIT = 16;
  var TITLE_BONUS = 1.0, WHOLE_TERM = 2.0, TITLE_TERM = 3.0, MAX_HEAVY_KEYS = 3, LOOSE_MIN_DF = 2, SYNONYM = 0.5;
  var SERIES_TOP = 20, SERIES_WEIGHT = 1.0;

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
  // `valueOf(key)` is the key's value in its (loaded) shard: postings, a heavy stub, or nothing.
  function settle(p, valueOf) {
    var per = p.per.map(function (keys, t) {
      if (!p.loose[t]) return keys;
      var heavy = [], dropped = [];
      keys.forEach(function (key, i) {
        var v = valueOf(key), stub = heavyStub(v);
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

  // Ranks every candidate page of the `n` pages: pages holding more terms whole first, then by
  // score, then by page. `lookup(key)` gives a settled key's postings ({docs, levels}); `series`
  // each page's series number (seriesOfPages), or null.
  function rank(ts, p, lookup, n, series) {
    var score = new Float64Array(n), held = new Uint32Array(n), hit = new Uint8Array(n), excluded = new Uint8Array(n);
    ts.forEach(function (t, ti) {
      var synonymScore = synonymScores(p.alternatives[ti] || [], lookup, n);
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
    out.sort(byRank);
    liftSeries(out, series);
    return out;
  }

  function byRank(a, b) { return b.held - a.held || b.score - a.score || a.id - b.id; }

  // The series vote (rank::lift_series): the SERIES_TOP best pages lift the other pages of
  // their series (articles of one law) by the share of the best score they hold.
  function liftSeries(out, series) {
    if (!series) return;
    var top = out.slice(0, SERIES_TOP), best = 0, votes = Object.create(null), any = false;
    top.forEach(function (r) { best = Math.max(best, r.score); });
    if (!(best > 0)) return;
    top.forEach(function (r) {
      var s = series[r.id];
      if (s) { votes[s] = (votes[s] || 0) + r.score / best; any = true; }
    });
    if (!any) return;
    out.forEach(function (r) {
      var v = votes[series[r.id]];
      if (v !== undefined) r.score += SERIES_WEIGHT * best * v / SERIES_TOP;
    });
    out.sort(byRank);
  }

  // One series number per page of `n` from meta.js's runs (series::per_page); null for none.
  function seriesOfPages(runs, n) {
    if (!runs || !runs.length) return null;
    var out = new Uint32Array(n), at = 0;
    for (var i = 0; i + 1 < runs.length; i += 2) {
      var start = Math.min(at + runs[i], n), end = Math.min(start + runs[i + 1], n);
      for (var d = start; d < end; d++) out[d] = i / 2 + 1;
      at = end;
    }
    return out;
  }

  // Per page, what a term's synonym alternatives held whole give it (rank::synonym_scores).
  function synonymScores(alternatives, lookup, n) {
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
      // A piece starts and ends outside a word, number or code: "202" of "2023" marks other years.
      var isWord = function (k) { return k < chars.length && classify(chars[k]) === WORD; };
      var boundary = function (k) { return k === 0 || !(isWord(k - 1) && isWord(k)); };
      for (var i = 0; i + 1 < chars.length;) {
        if (!boundary(i)) { i++; continue; }
        var found = 0;
        for (var j = chars.length; j >= i + 2; j--) {
          if (!boundary(j)) continue;
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

  // The sections the terms `ts` read of a page whose fragment is `p` (src/search/fragments.rs,
  // pieces_read): the fragment's, then each continuation file's in turn until the title and the
  // sections read hold every term verbatim (the index has no positions, so a page holding all
  // of a term's keys may still lack the term itself), or all of them. A section cut between
  // two files is read whole again: its pieces share its anchor, which no other section has.
  // `more(j)` gives file j's pieces once loaded; `most`, when given, caps the continuation files
  // read. {s: sections, held, wants: the file to load next, or 0}.
  function piecesRead(ts, p, more, most) {
    var sections = (p.s || []).slice(), read = 0;
    for (;;) {
      var texts = [normalize(p.t)];
      sections.forEach(function (s) { texts.push(normalize(s[1]), normalize(s[2])); });
      var held = ts.every(function (t) {
        return texts.some(function (x) { return x.indexOf(t.text) >= 0; });
      });
      if (held || read === Math.min(p.c || 0, most === undefined ? Infinity : most)) return { s: sections, held: held, wants: 0 };
      read++;
      var next = more(read);
      if (!next) return { s: sections, held: false, wants: read };
      next.forEach(function (piece) {
        var last = sections[sections.length - 1];
        if (last && last[0] === piece[0]) sections[sections.length - 1] = [last[0], last[1], last[2] + piece[2]];
        else sections.push(piece);
      });
    }
  }


  /* ------------------------------------------------------------------ fragment code */

  // A fragment file's string back to the JSON it spells (src/search/fragment_code.rs, which
  // says why and how; pinned by tests/vectors/fragment_code.json): fifteen bits per code unit
  // from U+3000; per JSON code unit an exponential-Golomb number, either its place among the
  // recently seen units or 0 and the unit itself (7 bits ASCII, 12 bits a place in the GBK
  // table, 16 bits anything else).
  var RECENT = 256, GOLOMB_ORDER = 4, UNIT_BASE = 0x3000, MAX_ZEROS = 20;
  // keyHash of the table as Rust makes it (fragment_code::gbk_table_hash, pinned by a test): a
  // browser whose decoder read one of its rows otherwise would show wrong characters silently.
  var GBK_TABLE_HASH = 2936777027;
  var gbk = null;

  // GB2312's punctuation, full-width and first-level rows as the WHATWG GBK decoder reads
  // them: the same table Rust makes with encoding_rs, so no file carries it.
  function gbkTable() {
    if (gbk) return gbk;
    var leads = [0xA1, 0xA3], bytes = [];
    for (var lead = 0xB0; lead <= 0xD7; lead++) leads.push(lead);
    leads.forEach(function (l) {
      for (var t = 0xA1; t <= 0xFE; t++) if (!(l === 0xD7 && t >= 0xFA)) bytes.push(l, t);
    });
    var text = new TextDecoder("gbk").decode(new Uint8Array(bytes));
    if (text.length !== bytes.length / 2 || keyHash(text) !== GBK_TABLE_HASH) throw new Error("TextDecoder(\"gbk\") reads the GB2312 rows otherwise than Rust's encoding_rs");
    return (gbk = text);
  }

  function unpackFragment(packed) {
    var table = gbkTable(), recent = new Uint16Array(RECENT), held = 0;
    var units = new Uint16Array(3 * packed.length), n = 0; // a unit's code takes 5 bits at least
    var at = 0, bits = 0, count = 0; // `bits` holds `count` ≤ 30 bits not read yet
    var damaged = function () { return new Error("a fragment file's string is damaged"); };
    function fill() {
      while (count < 16 && at < packed.length) {
        var group = packed.charCodeAt(at++) - UNIT_BASE;
        if (group < 0 || group >= 0x8000) throw damaged();
        bits = (bits << 15) | group;
        count += 15;
      }
    }
    // The next `width` ≤ 16 bits.
    function take(width) {
      if (count < width) fill();
      if (count < width) throw damaged();
      count -= width;
      var value = bits >>> count;
      bits &= (1 << count) - 1;
      return value;
    }
    for (;;) {
      var zeros = 0, bit = 0;
      while (bit === 0) {
        if (count === 0) fill();
        if (count === 0) break;
        bit = take(1);
        if (bit === 0 && ++zeros > MAX_ZEROS) throw damaged();
      }
      if (bit === 0) break; // only the padding's zeros were left
      var width = zeros + GOLOMB_ORDER;
      var rest = width > 16 ? take(width - 16) * 0x10000 + take(16) : take(width);
      var code = Math.pow(2, width) + rest - (1 << GOLOMB_ORDER), unit;
      if (code === 0) {
        if (take(1) === 0) unit = take(7);
        else if (take(1) === 0) {
          var place = take(12);
          if (place >= table.length) throw damaged();
          unit = table.charCodeAt(place);
        } else unit = take(16);
        recent.copyWithin(1, 0, Math.min(held, RECENT - 1));
        if (held < RECENT) held++;
      } else {
        if (code > held) throw damaged();
        unit = recent[code - 1];
        recent.copyWithin(1, 0, code - 1);
      }
      recent[0] = unit;
      units[n++] = unit;
    }
    var out = "";
    for (var i = 0; i < n; i += 4096) out += String.fromCharCode.apply(null, units.subarray(i, Math.min(n, i + 4096)));
    return out;
  }

  /* ------------------------------------------------------------------ exports */

  var core = {
    tokenize: tokenize, parseQuery: parseQuery, withoutQuotes: withoutQuotes, expand: expand, plan: plan, trim: trim,
    varints: varints, postings: postings, heavyPostings: heavyPostings, heavyStub: heavyStub, keyHash: keyHash,
    settle: settle, rank: rank, allKeys: allKeys, seriesOfPages: seriesOfPages,
    mark: mark, esc: esc, markedHtml: markedHtml, snippet: snippet, bestSection: bestSection, piecesRead: piecesRead,
    unpackFragment: unpackFragment, gbkTable: gbkTable,
    indexFormat: INDEX_FORMAT,
    // The ranking's constants, compared with Rust's by the vector checks.
    constants: {
      MAX_KEYS: MAX_KEYS, STRICT_MAX_KEYS: STRICT_MAX_KEYS, BM25_K1: BM25_K1, TF_LEVELS: TF_LEVELS,
      TITLE_BIT: TITLE_BIT, TITLE_BONUS: TITLE_BONUS, WHOLE_TERM: WHOLE_TERM, TITLE_TERM: TITLE_TERM,
      MAX_HEAVY_KEYS: MAX_HEAVY_KEYS, LOOSE_MIN_DF: LOOSE_MIN_DF, SYNONYM: SYNONYM,
      MAX_ALTERNATIVES: MAX_ALTERNATIVES, SERIES_TOP: SERIES_TOP, SERIES_WEIGHT: SERIES_WEIGHT
    }
  };
  if (typeof module === "object" && module.exports) module.exports = core;
  else (global.__shuyuan = global.__shuyuan || {}).core = core;
})(typeof window !== "undefined" ? window : globalThis);
