/* Shuyuan (书院) default theme: small progressive enhancements.
 * Plain ES5, no modules, no network access: works when opened from file://.
 * 1. Highlights the table-of-contents entry of the section being read.
 * 2. Folds the table of contents on narrow screens (it stays open on wide ones).
 * 3. Over HTTP, records where the site's root is, for the 404 page a server shows in any folder.
 * 4. The “A+” button: text size in three steps, kept in localStorage (base.html applies it
 *    before the first paint).
 * 5. The “栏目” button that opens the navigation on phones (style.css shows it there).
 * 6. Printing shows the page's information panel even where a phone had folded it.
 */
(function () {
  "use strict";

  var WIDE = "(min-width: 68rem)";

  function isWide() {
    return !!(window.matchMedia && window.matchMedia(WIDE).matches);
  }

  function decode(s) {
    try { return decodeURIComponent(s); } catch (e) { return s; }
  }

  function initToc() {
    var toc = document.getElementById("sy-toc");
    if (!toc) { return; }

    // Fold on phones/tablets; keep open (and not foldable) in the wide sidebar.
    if (!isWide()) { toc.open = false; }
    var summary = toc.querySelector("summary");
    if (summary) {
      summary.addEventListener("click", function (ev) {
        if (isWide() && toc.open) { ev.preventDefault(); }
      });
    }

    var links = toc.querySelectorAll("a[href^='#']");
    var items = [];
    for (var i = 0; i < links.length; i++) {
      var id = decode(links[i].getAttribute("href").slice(1));
      var target = document.getElementById(id);
      if (target) { items.push({ link: links[i], target: target }); }
      // On small screens, close the folded TOC after choosing an entry.
      links[i].addEventListener("click", function () {
        if (!isWide()) { toc.open = false; }
      });
    }
    if (!items.length) { return; }

    var current = null;
    var ticking = false;

    function setActive(entry) {
      if (entry === current) { return; }
      if (current) {
        current.link.className = current.link.className.replace(/\s*\bsy-toc-active\b/g, "");
        current.link.removeAttribute("aria-current");
      }
      current = entry;
      if (!entry) { return; }
      entry.link.className += " sy-toc-active";
      entry.link.setAttribute("aria-current", "true");
      // Keep the active entry visible inside a scrollable sidebar without moving the page.
      if (isWide() && toc.scrollHeight > toc.clientHeight) {
        var top = entry.link.offsetTop - toc.offsetTop;
        if (top < toc.scrollTop || top > toc.scrollTop + toc.clientHeight - 40) {
          toc.scrollTop = Math.max(0, top - toc.clientHeight / 3);
        }
      }
    }

    function update() {
      ticking = false;
      var offset = 120;
      var found = null;
      for (var j = 0; j < items.length; j++) {
        if (items[j].target.getBoundingClientRect().top - offset <= 0) {
          found = items[j];
        } else {
          break;
        }
      }
      // At the very bottom of the page the last heading may never reach the top.
      var doc = document.documentElement;
      if ((window.innerHeight + (window.pageYOffset || doc.scrollTop)) >= doc.scrollHeight - 2) {
        found = items[items.length - 1];
      }
      setActive(found);
    }

    function onScroll() {
      if (!ticking) {
        ticking = true;
        (window.requestAnimationFrame || function (f) { return setTimeout(f, 50); })(update);
      }
    }

    window.addEventListener("scroll", onScroll, false);
    window.addEventListener("resize", onScroll, false);
    update();
  }

  // The 404 page (404.html) reads this when a server shows it below the root and the address
  // does not say where the root is. The key names the site, as the learning progress does.
  function recordRoot() {
    if (!/^https?:$/.test(location.protocol) || /\bsy-404\b/.test(document.body.className)) { return; }
    var sheet = document.querySelector('link[rel="stylesheet"][href$="static/style.css"]');
    var site = document.querySelector('meta[name="shuyuan-site"]');
    if (!sheet || !site) { return; }
    var root = sheet.href.replace(/^[a-z]+:\/\/[^\/]*/i, "").replace(/static\/style\.css$/, "");
    try {
      window.localStorage.setItem("shuyuan:base:" + site.getAttribute("content"), root);
    } catch (e) { /* no storage: the 404 page looks at its address alone */ }
  }

  var TEXT_SIZES = ["100", "115", "130"];
  var TEXT_SIZE_NAMES = { "100": "标准", "115": "较大", "130": "最大" };

  function initTextSize() {
    var button = document.querySelector(".sy-text-size");
    if (!button) { return; }
    var html = document.documentElement;
    var current = function () {
      var size = html.getAttribute("data-sy-text");
      return TEXT_SIZES.indexOf(size) >= 0 ? size : "100";
    };
    var label = function () {
      var size = current();
      var last = size === TEXT_SIZES[TEXT_SIZES.length - 1];
      button.textContent = last ? "A−" : "A+";
      var action = last ? "恢复标准字号" : "放大字号";
      button.setAttribute("aria-label", action + "（当前" + TEXT_SIZE_NAMES[size] + "）");
      button.title = action;
    };
    button.addEventListener("click", function () {
      var next = TEXT_SIZES[(TEXT_SIZES.indexOf(current()) + 1) % TEXT_SIZES.length];
      if (next === "100") { html.removeAttribute("data-sy-text"); } else { html.setAttribute("data-sy-text", next); }
      try {
        window.localStorage.setItem("shuyuan:text-size", next);
      } catch (e) { /* no storage: the size holds on this page only */ }
      label();
    });
    label();
    button.hidden = false;
  }

  function initMenu() {
    var button = document.querySelector(".sy-menu-button");
    var nav = document.getElementById("sy-nav");
    if (!button || !nav) { return; }
    var isOpen = function () { return button.getAttribute("aria-expanded") === "true"; };
    var setOpen = function (open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      nav.className = nav.className.replace(/\s*\bsy-nav-open\b/g, "") + (open ? " sy-nav-open" : "");
    };
    button.addEventListener("click", function () { setOpen(!isOpen()); });
    document.addEventListener("keydown", function (ev) {
      if ((ev.key === "Escape" || ev.key === "Esc") && isOpen()) {
        setOpen(false);
        button.focus();
      }
    });
  }

  // A folded <details> prints nothing of its content: open the information panel for the
  // printout and fold it back afterwards.
  function printMetaOpen() {
    var meta = document.getElementById("sy-meta");
    if (!meta) { return; }
    var folded = false;
    window.addEventListener("beforeprint", function () {
      folded = !meta.open;
      meta.open = true;
    });
    window.addEventListener("afterprint", function () {
      if (folded) { meta.open = false; }
    });
  }

  recordRoot();
  initTextSize();
  initMenu();
  printMetaOpen();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", initToc, false);
  } else {
    initToc();
  }
})();
