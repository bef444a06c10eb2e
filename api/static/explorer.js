/* osteokg explorer, every page: search-as-you-type on the search box.
 *
 * The WAI-ARIA 1.2 combobox pattern with list autocomplete and manual selection: the input keeps the focus and
 * what the reader typed; ArrowDown / ArrowUp move aria-activedescendant through the options of the listbox
 * (aria-selected marks the active one); Enter on an option opens that term's page, Enter without one submits
 * the form (a search); Escape closes the list and a second Escape clears the box; a click opens an option;
 * Tab or leaving the box closes it. A polite status region says how many suggestions there are.
 *
 * Progressive enhancement: without this script the form submits to /search. Markup it works on (the
 * templates render it): an <input role="combobox" data-suggest="URL" data-lang="nl" aria-controls="LISTBOX">,
 * its <ul role="listbox" id="LISTBOX" hidden>, and a status region with the id "<input id>-status".
 * Suggestions are GET data-suggest?q=&lang=&limit= (the API's /suggest): debounced, the stale request
 * aborted, an answer that is not the latest ignored. Every UI string is the page's <script id="strings">
 * (api/explorer/strings.py SCRIPT_KEYS), read through t("key"). Nothing here talks to another host.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 120;
  var LIMIT = 8;

  var t = window.osteokgStrings.t; /* api/static/strings.js, loaded before this script */

  function fold(text) {
    return String(text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().trim();
  }

  /* The path of an entity's page: a CURIE keeps its colon, everything else is escaped. */
  function entityPath(id) {
    return "/entities/" + String(id).split(":").map(encodeURIComponent).join(":");
  }

  /* `url` (a path, maybe with a query) with `params` set, and the release this page is pinned to (?release=), which
     every URL it makes keeps: a reader who opened an earlier release stays in it. Path and query. */
  function withQuery(url, params) {
    var release = new URL(window.location.href).searchParams.get("release");
    var built = new URL(url, window.location.href);
    Object.keys(params).forEach(function (key) { built.searchParams.set(key, params[key]); });
    if (release && !built.searchParams.has("release")) built.searchParams.set("release", release);
    return built.pathname + built.search;
  }

  /* What the suggestion's match field is called ("synonym", "code", ...), or "" for none. */
  function fieldName(field) {
    if (!field) return "";
    if (field === "label") return t("field.label");
    if (field === "xref" || field === "code") return t("field.code");
    if (field === "exact synonym") return t("field.exact_synonym");
    if (/synonym/.test(field)) return t("field.synonym");
    return field;
  }

  /* Category labels by id, for suggestions that carry only category ids: the categories route, asked once. */
  var categoryLabels = {};
  var categoryRequests = {};
  function loadCategories(url, lang) {
    var key = url + "|" + lang;
    if (!categoryRequests[key]) {
      categoryRequests[key] = fetch(withQuery(url, { lang: lang }), {
        headers: { Accept: "application/json" }, credentials: "same-origin"
      }).then(function (response) {
        return response.ok ? response.json() : { items: [] };
      }).then(function (answer) {
        (answer.items || []).forEach(function (c) {
          if (c && c.id && c.label) categoryLabels[lang + "|" + c.id] = c.label;
        });
      }).catch(function () { /* the category is then left out, the suggestion still shown */ });
    }
    return categoryRequests[key];
  }

  function categoryText(item, lang) {
    var cats = item.category ? [item.category] : (item.categories || []);
    var labels = [];
    cats.forEach(function (c) {
      var label = typeof c === "string" ? categoryLabels[lang + "|" + c]
        : (c && (c.label || categoryLabels[lang + "|" + c.id]));
      if (label && labels.indexOf(label) < 0) labels.push(label);
    });
    return labels.join(", ");
  }

  function needsCategoryLabels(items) {
    return items.some(function (item) {
      return !item.category && (item.categories || []).some(function (c) {
        return typeof c === "string" || (c && !c.label);
      });
    });
  }

  function Combobox(input) {
    this.input = input;
    this.listbox = document.getElementById(input.getAttribute("aria-controls"));
    this.status = document.getElementById(input.id + "-status");
    this.form = input.form;
    this.url = input.getAttribute("data-suggest");
    this.categoriesUrl = input.getAttribute("data-categories") || "/categories";
    this.lang = input.getAttribute("data-lang") || document.documentElement.lang || "en";
    this.limit = parseInt(input.getAttribute("data-limit"), 10) || LIMIT;
    this.items = [];
    this.active = -1;
    this.timer = 0;
    this.controller = null;
    this.sequence = 0;   /* the number of the latest request: an answer to an older one is dropped */
    this.shownFor = null; /* the text the open list answers */
    this.pendingStep = 0; /* an arrow pressed before there was a list: applied when it comes */
    this.bind();
  }

  Combobox.prototype.bind = function () {
    var self = this;
    var input = this.input;
    input.addEventListener("input", function () { self.schedule(); });
    input.addEventListener("keydown", function (event) { self.onKey(event); });
    input.addEventListener("blur", function () { self.close(); });
    input.addEventListener("focus", function () {
      if (self.items.length && self.shownFor === input.value) self.open();
    });
    /* a press on the list must not take the focus from the input (its blur would close the list first) */
    this.listbox.addEventListener("mousedown", function (event) { event.preventDefault(); });
    this.listbox.addEventListener("click", function (event) {
      var option = event.target.closest ? event.target.closest("[role=option]") : null;
      if (option && self.listbox.contains(option)) self.go(Number(option.getAttribute("data-index")));
    });
    /* coming back to the page (the back button) shows the box as the reader left it, the list closed */
    window.addEventListener("pageshow", function () { self.close(); });
  };

  Combobox.prototype.schedule = function () {
    var self = this;
    clearTimeout(this.timer);
    this.pendingStep = 0;
    if (!this.input.value.trim()) {
      this.abort();
      this.clear();
      this.announce("");
      return;
    }
    this.timer = setTimeout(function () { self.fetch(); }, DEBOUNCE_MS);
  };

  Combobox.prototype.abort = function () {
    this.sequence += 1;
    if (this.controller) this.controller.abort();
    this.controller = null;
  };

  Combobox.prototype.fetch = function () {
    var self = this;
    var text = this.input.value;
    this.abort();
    var sequence = this.sequence;
    var controller = typeof AbortController === "function" ? new AbortController() : null;
    this.controller = controller;
    fetch(withQuery(this.url, { q: text.trim(), lang: this.lang, limit: this.limit }), {
      headers: { Accept: "application/json" }, credentials: "same-origin",
      signal: controller ? controller.signal : undefined
    }).then(function (response) {
      if (!response.ok) return { items: [] }; /* e.g. a 400 for words the index cannot take: no suggestions */
      return response.json();
    }).then(function (answer) {
      var items = (answer && Array.isArray(answer.items)) ? answer.items : [];
      if (!needsCategoryLabels(items)) return items;
      return loadCategories(self.categoriesUrl, self.lang).then(function () { return items; });
    }).then(function (items) {
      if (sequence !== self.sequence || self.input.value !== text) return; /* a newer request is on its way */
      self.controller = null;
      self.show(items, text);
    }).catch(function (error) {
      if (error && error.name === "AbortError") return;
      if (sequence === self.sequence) self.clear();
    });
  };

  Combobox.prototype.show = function (items, text) {
    var self = this;
    var listbox = this.listbox;
    this.items = items;
    this.active = -1;
    this.shownFor = text;
    this.input.removeAttribute("aria-activedescendant");
    while (listbox.firstChild) listbox.removeChild(listbox.firstChild);
    items.forEach(function (item, index) {
      listbox.appendChild(self.option(item, index));
    });
    var step = this.pendingStep;
    this.pendingStep = 0;
    if (items.length) {
      this.announce(t("search.suggestion_count", { count: items.length }));
      if (document.activeElement === this.input) {
        this.open();
        if (step) this.highlight(step > 0 ? 0 : items.length - 1, true);
      }
    } else {
      this.close();
      this.announce(t("search.no_suggestions"));
    }
  };

  Combobox.prototype.option = function (item, index) {
    var li = document.createElement("li");
    li.setAttribute("role", "option");
    li.id = this.listbox.id + "-option-" + index;
    li.setAttribute("aria-selected", "false");
    li.setAttribute("data-index", String(index));
    li.setAttribute("data-id", item.id);
    var label = document.createElement("span");
    label.className = "suggestion-label";
    label.textContent = item.label || item.id;
    li.appendChild(label);
    var notes = [];
    var category = categoryText(item, this.lang);
    if (category) notes.push(category);
    var match = item.match || item.matched;
    if (match && match.text && fold(match.text) !== fold(item.label)) {
      var name = fieldName(match.field);
      notes.push((name ? name + ": " : "") + match.text);
    }
    if (notes.length) {
      var note = document.createElement("span");
      note.className = "muted suggestion-note";
      note.textContent = notes.join(" · ");
      li.appendChild(document.createTextNode(" "));
      li.appendChild(note);
    }
    return li;
  };

  Combobox.prototype.href = function (item) {
    return withQuery(item.href || entityPath(item.id), { lang: this.lang });
  };

  Combobox.prototype.isOpen = function () {
    return !this.listbox.hidden;
  };

  Combobox.prototype.open = function () {
    if (!this.items.length) return;
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Combobox.prototype.close = function () {
    clearTimeout(this.timer);
    this.highlight(-1, false);
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
  };

  /* Forget the suggestions (the box was emptied, or the answer failed). */
  Combobox.prototype.clear = function () {
    this.items = [];
    this.shownFor = null;
    this.close();
    while (this.listbox.firstChild) this.listbox.removeChild(this.listbox.firstChild);
  };

  Combobox.prototype.announce = function (message) {
    if (this.status) this.status.textContent = message;
  };

  Combobox.prototype.highlight = function (index, scroll) {
    var options = this.listbox.querySelectorAll("[role=option]");
    this.active = index >= 0 && index < options.length ? index : -1;
    for (var i = 0; i < options.length; i += 1) {
      options[i].setAttribute("aria-selected", i === this.active ? "true" : "false");
    }
    if (this.active < 0) {
      this.input.removeAttribute("aria-activedescendant");
      return;
    }
    var option = options[this.active];
    this.input.setAttribute("aria-activedescendant", option.id);
    if (scroll && option.scrollIntoView) option.scrollIntoView({ block: "nearest" });
  };

  Combobox.prototype.move = function (step) {
    if (!this.isOpen()) {
      if (this.items.length && this.shownFor === this.input.value) {
        this.open();
      } else if (this.input.value.trim()) { /* e.g. the results page's box, filled in: ask now, then move */
        clearTimeout(this.timer);
        this.pendingStep = step;
        this.fetch();
        return;
      } else {
        return;
      }
    }
    var count = this.items.length;
    if (!count) return;
    var next;
    if (this.active < 0) next = step > 0 ? 0 : count - 1;
    else next = (this.active + step + count) % count;
    this.highlight(next, true);
  };

  Combobox.prototype.go = function (index) {
    var item = this.items[index];
    if (!item) return;
    this.close();
    window.location.assign(this.href(item));
  };

  Combobox.prototype.onKey = function (event) {
    if (event.altKey && event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    if (event.ctrlKey || event.metaKey || event.isComposing) return;
    switch (event.key) {
      case "ArrowDown":
      case "Down":
        event.preventDefault();
        if (event.altKey) { /* Alt+ArrowDown opens the list without choosing */
          if (this.items.length && this.shownFor === this.input.value) this.open();
          return;
        }
        this.move(1);
        break;
      case "ArrowUp":
      case "Up":
        event.preventDefault();
        if (event.altKey) { this.close(); return; }
        this.move(-1);
        break;
      case "Enter":
        if (this.isOpen() && this.active >= 0) {
          event.preventDefault();
          this.go(this.active);
        } else {
          this.abort();
          this.close(); /* the form submits: a search */
        }
        break;
      case "Escape":
      case "Esc":
        event.preventDefault(); /* the browser's own clearing of a search box would skip the first step */
        if (this.isOpen()) {
          this.close();
        } else if (this.input.value) {
          this.abort();
          this.input.value = "";
          this.clear();
          this.announce("");
        }
        break;
      case "Tab":
        this.close();
        break;
      default:
        break;
    }
  };

  function init() {
    var inputs = document.querySelectorAll("input[role=combobox][data-suggest]");
    for (var i = 0; i < inputs.length; i += 1) {
      var input = inputs[i];
      if (input.getAttribute("data-combobox") === "on") continue;
      if (!document.getElementById(input.getAttribute("aria-controls") || "")) continue;
      input.setAttribute("data-combobox", "on");
      new Combobox(input);
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
