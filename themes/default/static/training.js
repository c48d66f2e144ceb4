/*
 * Shuyuan (书院) default theme: learning-path progress, glossary popovers, handout printing.
 * Plain ES5 in one classic script: no modules, no network access, works from file://.
 *
 * Progress is kept in localStorage, one entry per learning path: a map from page URL
 * (root-relative, as the templates write it) to the date it was ticked. Every page opened
 * from file:// shares one origin in Chromium, so two sites on one USB stick would share
 * one storage: the key names the site too (<meta name="shuyuan-site">). Without storage
 * (private modes, strict settings) the checkboxes and bars stay hidden.
 */
(function () {
  "use strict";

  // ---------- Learning-path progress ----------

  var store = null;
  try {
    window.localStorage.setItem("shuyuan:probe", "1");
    window.localStorage.removeItem("shuyuan:probe");
    store = window.localStorage;
  } catch (e) {
    store = null;
  }

  var siteMeta = document.querySelector('meta[name="shuyuan-site"]');
  var site = siteMeta ? siteMeta.getAttribute("content") : "";

  function key(path) {
    return "shuyuan:progress:" + site + ":" + path;
  }

  function load(path) {
    try {
      var done = JSON.parse(store.getItem(key(path)) || "{}");
      return done && typeof done === "object" ? done : {};
    } catch (e) {
      return {};
    }
  }

  function save(path, done) {
    try {
      var any = false;
      for (var k in done) {
        if (Object.prototype.hasOwnProperty.call(done, k)) any = true;
      }
      if (any) store.setItem(key(path), JSON.stringify(done));
      else store.removeItem(key(path));
    } catch (e) {
      /* Storage full or refused: the tick simply does not stick. */
    }
  }

  function all(selector) {
    return document.querySelectorAll(selector);
  }

  function closest(el, className) {
    for (; el && el !== document; el = el.parentNode) {
      if (el.className && (" " + el.className + " ").indexOf(" " + className + " ") >= 0) return el;
    }
    return null;
  }

  function setClass(el, className, on) {
    if (!el) return;
    var has = (" " + el.className + " ").indexOf(" " + className + " ") >= 0;
    if (on && !has) el.className += " " + className;
    if (!on && has) el.className = (" " + el.className + " ").replace(" " + className + " ", " ").replace(/^\s+|\s+$/g, "");
  }

  function refresh() {
    var toggles = all("input.sy-study-toggle");
    var cache = {};
    function doneFor(path) {
      if (!cache.hasOwnProperty(path)) cache[path] = load(path);
      return cache[path];
    }
    for (var i = 0; i < toggles.length; i++) {
      var t = toggles[i];
      var on = !!doneFor(t.getAttribute("data-path"))[t.getAttribute("data-page")];
      t.checked = on;
      setClass(closest(t, "sy-step"), "sy-step-done", on);
      setClass(closest(t, "sy-study"), "sy-study-done", on);
    }
    var bars = all(".sy-progress");
    for (var j = 0; j < bars.length; j++) {
      var box = bars[j];
      var steps = [];
      try {
        steps = JSON.parse(box.getAttribute("data-steps") || "[]");
      } catch (e) {
        steps = [];
      }
      var done = doneFor(box.getAttribute("data-path"));
      var count = 0;
      for (var s = 0; s < steps.length; s++) if (done[steps[s]]) count++;
      var label = box.querySelector(".sy-progress-done");
      if (label) label.textContent = String(count);
      var bar = box.querySelector(".sy-progress-bar");
      if (bar) bar.setAttribute("aria-valuenow", String(count));
      var fill = box.querySelector(".sy-progress-fill");
      if (fill) fill.style.width = (steps.length ? Math.round((count * 100) / steps.length) : 0) + "%";
      var reset = box.querySelector(".sy-progress-reset");
      if (reset) reset.disabled = count === 0;
      setClass(box, "sy-progress-complete", steps.length > 0 && count === steps.length);
    }
    var goes = all("a.sy-path-go");
    for (var g = 0; g < goes.length; g++) pointAtNextStep(goes[g], doneFor(goes[g].getAttribute("data-path")));
  }

  // The path page's button: 开始学习 at step 1 until a step is ticked, then 继续学习 at the first
  // step not ticked yet (in path order), and back to step 1 once every step is.
  function pointAtNextStep(go, done) {
    var toggles = all("input.sy-study-toggle");
    var steps = [];
    for (var i = 0; i < toggles.length; i++) {
      if (toggles[i].getAttribute("data-path") === go.getAttribute("data-path")) steps.push(toggles[i]);
    }
    if (!steps.length) return;
    var next = -1, any = false;
    for (var k = 0; k < steps.length; k++) {
      if (done[steps[k].getAttribute("data-page")]) any = true;
      else if (next < 0) next = k;
    }
    var at = next < 0 ? 0 : next;
    var link = closest(steps[at], "sy-step");
    link = link && link.querySelector(".sy-step-title a");
    if (!link) return;
    go.setAttribute("href", link.getAttribute("href"));
    go.textContent = !any ? "开始学习" : next < 0 ? "从头复习" : "继续学习";
    var label = go.parentNode.querySelector(".sy-path-go-step");
    var title = link.lastChild ? link.lastChild.textContent : "";
    if (label) label.textContent = (next < 0 && any ? "已全部学完。" : "") + "第 " + (at + 1) + " 步：" + title;
  }

  function today() {
    var d = new Date();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  if (store) {
    var hidden = all(".sy-study[hidden], .sy-progress[hidden]");
    for (var h = 0; h < hidden.length; h++) hidden[h].removeAttribute("hidden");
    refresh();

    document.addEventListener("change", function (event) {
      var t = event.target;
      if (!t || !t.className || (" " + t.className + " ").indexOf(" sy-study-toggle ") < 0) return;
      var path = t.getAttribute("data-path");
      var done = load(path);
      if (t.checked) done[t.getAttribute("data-page")] = today();
      else delete done[t.getAttribute("data-page")];
      save(path, done);
      refresh();
    });

    document.addEventListener("click", function (event) {
      var button = closest(event.target, "sy-progress-reset");
      if (!button) return;
      if (!window.confirm("确定清除这条学习路径在本机的学习进度吗？")) return;
      save(button.getAttribute("data-path"), {});
      refresh();
    });

    // Another tab ticked a page: show it here too.
    window.addEventListener("storage", function (event) {
      if (!event.key || event.key.indexOf("shuyuan:progress:") === 0) refresh();
    });
  }

  // ---------- Glossary popovers ----------

  var terms = all("abbr.sy-term");
  if (terms.length) {
    // The glossary sits at the site root, which every page names for its scripts (base.html).
    var root = typeof window.__shuyuanRoot === "string" ? window.__shuyuanRoot : "";
    var pop = document.createElement("div");
    pop.className = "sy-term-pop";
    pop.id = "sy-term-pop";
    pop.setAttribute("role", "tooltip");
    pop.hidden = true;
    document.body.appendChild(pop);
    var current = null;
    var timer = null;

    var place = function (abbr) {
      var r = abbr.getBoundingClientRect();
      var width = document.documentElement.clientWidth;
      var left = Math.max(8, Math.min(r.left, width - pop.offsetWidth - 8));
      var top = r.bottom + 6;
      if (top + pop.offsetHeight > window.innerHeight && r.top - pop.offsetHeight - 6 > 0) {
        top = r.top - pop.offsetHeight - 6;
      }
      pop.style.left = left + window.pageXOffset + "px";
      pop.style.top = top + window.pageYOffset + "px";
    };

    var show = function (abbr) {
      window.clearTimeout(timer);
      if (current === abbr) return;
      if (current) current.removeAttribute("aria-describedby");
      current = abbr;
      pop.innerHTML = "";
      var name = document.createElement("strong");
      name.className = "sy-term-pop-name";
      name.textContent = abbr.getAttribute("data-term");
      var def = document.createElement("span");
      def.className = "sy-term-pop-def";
      def.textContent = abbr.getAttribute("data-def");
      var more = document.createElement("a");
      more.className = "sy-term-pop-more";
      more.href = root + "glossary.html#" + encodeURIComponent(abbr.getAttribute("data-id"));
      more.textContent = "查看术语表";
      pop.appendChild(name);
      pop.appendChild(def);
      pop.appendChild(more);
      pop.hidden = false;
      abbr.setAttribute("aria-describedby", "sy-term-pop");
      place(abbr);
    };

    var hide = function () {
      window.clearTimeout(timer);
      if (current) current.removeAttribute("aria-describedby");
      current = null;
      pop.hidden = true;
    };

    // A short delay lets the pointer travel from the term into the popover's link.
    var hideSoon = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(hide, 250);
    };

    for (var n = 0; n < terms.length; n++) {
      var abbr = terms[n];
      // The popover replaces the browser's own tooltip; keeping both would show it twice.
      abbr.removeAttribute("title");
      abbr.addEventListener("mouseenter", function () { show(this); });
      abbr.addEventListener("mouseleave", hideSoon);
      abbr.addEventListener("focus", function () { show(this); });
      abbr.addEventListener("blur", hideSoon);
      // Touch screens: a tap shows it; a tap anywhere else hides it.
      abbr.addEventListener("click", function () { show(this); });
    }
    pop.addEventListener("mouseenter", function () { window.clearTimeout(timer); });
    pop.addEventListener("mouseleave", hideSoon);
    pop.addEventListener("focusin", function () { window.clearTimeout(timer); });
    pop.addEventListener("focusout", hideSoon);
    var inTerm = function (el) {
      var t = closest(el, "sy-term");
      return t && t.tagName === "ABBR";
    };
    document.addEventListener("click", function (event) {
      if (current && !inTerm(event.target) && !closest(event.target, "sy-term-pop")) hide();
    });
    document.addEventListener("keydown", function (event) {
      if ((event.key === "Escape" || event.key === "Esc") && current) {
        var was = current;
        hide();
        was.focus();
      }
    });
    window.addEventListener("resize", function () { if (current) place(current); });
  }

  // ---------- Handouts ----------

  var printButtons = all(".sy-print-button");
  for (var p = 0; p < printButtons.length; p++) {
    printButtons[p].removeAttribute("hidden");
    printButtons[p].addEventListener("click", function () { window.print(); });
  }

  // The printed contents give the page each chapter starts on. Browsers have no CSS for it
  // (target-counter() is not in Chromium), but while Chromium lays the document out in pages
  // for printing it tells matchMedia("print") listeners, and the boxes they measure are that
  // layout: pages stacked one under the other, each as tall as its printable area. The
  // contents and every chapter start a page (training.css), so their tops are whole multiples
  // of that height, and a chapter's page is its top divided by it, plus one. A layout that is
  // not paged (Firefox prints a copy of the page, and an emulated print medium has no pages)
  // fails that test, and the contents are printed without numbers rather than with wrong ones.
  function pageNumbers(toc, entries) {
    var origin = document.documentElement.getBoundingClientRect().top;
    // A margin after a forced break is kept: the page starts at the top of the margin box.
    var top = function (el) { return el.getBoundingClientRect().top - (parseFloat(window.getComputedStyle(el).marginTop) || 0) - origin; };
    var tops = [];
    for (var i = 0; i < entries.length; i++) {
      if (!entries[i].chapter) { return null; }
      tops.push(top(entries[i].chapter));
    }
    var tocBox = toc.getBoundingClientRect();
    var tocTop = top(toc);
    var whole = function (y, height) { return Math.abs(y / height - Math.round(y / height)) * height < 1; };
    // The cover takes one page, or a few when its introduction is long.
    for (var coverPages = 1; coverPages <= 4; coverPages++) {
      var height = tocTop / coverPages;
      // A printable area is taller than wide in portrait, and not much less tall in landscape.
      if (!(height > 0.5 * tocBox.width && height < 2.2 * tocBox.width)) { continue; }
      var fits = true;
      for (var j = 0; j < tops.length && fits; j++) { fits = tops[j] > tocTop && whole(tops[j], height); }
      if (!fits) { continue; }
      var pages = [];
      for (var k = 0; k < tops.length; k++) { pages.push(Math.round(tops[k] / height) + 1); }
      return pages;
    }
    return null;
  }

  var handoutToc = document.querySelector(".sy-handout-toc");
  var printMedia = window.matchMedia ? window.matchMedia("print") : null;
  if (handoutToc && printMedia) {
    var entries = [];
    var items = handoutToc.querySelectorAll("li");
    for (var t = 0; t < items.length; t++) {
      var link = items[t].querySelector("a[href^='#']");
      var slot = items[t].querySelector(".sy-handout-toc-page");
      if (!link || !slot) { continue; }
      var id = link.getAttribute("href").slice(1);
      try { id = decodeURIComponent(id); } catch (e) { /* the id as written */ }
      entries.push({ chapter: document.getElementById(id), slot: slot });
    }
    var writePageNumbers = function () {
      if (!printMedia.matches) { return; }
      var pages = pageNumbers(handoutToc, entries);
      for (var n = 0; n < entries.length; n++) { entries[n].slot.textContent = pages ? String(pages[n]) : ""; }
    };
    if (printMedia.addEventListener) {
      printMedia.addEventListener("change", writePageNumbers);
    } else if (printMedia.addListener) {
      printMedia.addListener(writePageNumbers);
    }
  }
})();
