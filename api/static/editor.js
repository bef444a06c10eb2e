/* The SPARQL editor (/sparql in a browser, api/editor.py): YASGUI over this server's endpoint, nothing else.
 *
 * The page's #editor-config gives the endpoint, osteokg's prefix map (kg.vocab.PREFIXES), the example questions
 * (one tab each, named in the page's language) and the routes completion reads. YASGUI's own completers call
 * lov.linkeddata.es (classes, properties) and can call prefix.cc (prefixes); they are removed and replaced by
 * completers that read osteokg's /relations, /suggest and prefix map. Its default endpoints (dbpedia, wikidata)
 * are replaced by this server's, its endpoint box is hidden, nothing is read from or written to the URL or
 * local storage (each page load builds its tabs from the page), and links to other hosts inside the editor
 * (YASGUI's documentation buttons, IRIs in the results) are made plain text; osteokg IRIs in the results link
 * to the entity pages. YASGUI's own words (English) are shown in the page's language (config.ui, from the
 * catalogue), and what it draws without a name gets one. Without scripts (or if YASGUI does not load) the page's form stays: it sends the query
 * and the answer comes back as a page.
 */
(function () {
  "use strict";

  var configElement = document.getElementById("editor-config");
  var mount = document.getElementById("yasgui");
  var Yasgui = window.Yasgui;
  if (!configElement || !mount || !Yasgui || !Yasgui.Yasqe || !Yasgui.Yasr) return;
  var config = JSON.parse(configElement.textContent);
  var strings = config.strings || {};
  var Yasqe = Yasgui.Yasqe;
  var Yasr = Yasgui.Yasr;
  var endpoint = new URL(config.endpoint, window.location.href).href;
  var osteokg = config.osteokg;
  var prefixes = config.prefixes;
  var prefixNames = Object.keys(prefixes);

  function entityHref(curie) {
    return config.entity.replace("CURIE", encodeURIComponent(curie).replace(/%3A/gi, ":"));
  }

  function curieOf(iri) {
    var best = null;
    prefixNames.forEach(function (name) {
      var ns = prefixes[name];
      if (iri.indexOf(ns) === 0 && (best === null || ns.length > prefixes[best].length)) best = name;
    });
    return best === null ? null : best + ":" + iri.slice(prefixes[best].length);
  }

  function declarations() {
    return prefixNames.map(function (name) { return "PREFIX " + name + ": <" + prefixes[name] + ">"; }).join("\n");
  }

  function ensurePrefix(yasqe, name) {
    var declared = yasqe.getPrefixesFromQuery();
    if (!(name in declared)) {
      var add = {};
      add[name] = prefixes[name];
      yasqe.addPrefixes(add);
    }
  }

  // ------------------------------------------------------------------ completion from osteokg only

  var labels = {}; // CURIE -> label, for the hints' display text

  function words(token) {
    // what the reader typed, without "<", ">" or a prefix: the text to search for
    var text = (token.string || "").trim();
    if (text.charAt(0) === "<") return text.replace(/^</, "").replace(/>$/, "");
    var colon = text.indexOf(":");
    return colon >= 0 ? text.slice(colon + 1) : text;
  }

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (response) {
      if (!response.ok) throw new Error(response.status + " " + response.statusText);
      return response.json();
    });
  }

  var relations = null; // one request per page: the list of osteokg's relations
  function relationList() {
    if (relations === null) {
      relations = fetchJson(config.relations + "?lang=" + encodeURIComponent(config.lang)).then(function (page) {
        return page.items || [];
      });
      relations.catch(function () { relations = null; });
    }
    return relations;
  }

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  function matches(relation, wanted) {
    if (!wanted) return true;
    var names = [relation.id, relation.label].concat(Object.values(relation.labels || {}));
    return names.some(function (name) { return name && fold(name).indexOf(wanted) >= 0; });
  }

  var pending = null;
  function suggest(text) {
    // search-as-you-type on /suggest, one request at a time per pause in typing
    if (pending) clearTimeout(pending.timer);
    return new Promise(function (resolve) {
      pending = { timer: setTimeout(function () {
        var url = config.suggest + "?q=" + encodeURIComponent(text) + "&lang=" + encodeURIComponent(config.lang) +
          "&limit=15";
        fetchJson(url).then(function (found) { resolve(found.items || []); }, function () { resolve(null); });
      }, 120) };
    });
  }

  function failed(yasqe, kind) {
    yasqe.showNotification("autocomplete_" + kind, strings.suggest_failed || "suggestions failed");
    return [];
  }

  function remember(items) {
    return items.map(function (item) {
      labels[item.id] = item.label;
      return item.iri;
    });
  }

  function asCurie(yasqe, iri) {
    var curie = curieOf(iri);
    if (curie === null) return "<" + iri + ">";
    ensurePrefix(yasqe, curie.slice(0, curie.indexOf(":")));
    return curie;
  }

  function withLabels(yasqe, hints) {
    return hints.map(function (hint) {
      var label = labels[hint.text];
      if (label) hint.displayText = hint.text + " — " + label;
      return hint;
    });
  }

  function isVariable(token) {
    return token.string.charAt(0) === "?" || token.string.charAt(0) === "$";
  }

  var base = Yasqe.Autocompleters;
  // the prefixes of osteokg's one prefix map, declared when chosen after PREFIX (the fork keeps YASQE's
  // "declare a prefix as it is typed" behaviour, with this list instead of prefix.cc's)
  Yasqe.forkAutocompleter("prefixes", {
    name: "osteokg-prefixes",
    persistenceId: null,
    get: function () {
      return prefixNames.map(function (name) { return name + ": <" + prefixes[name] + ">"; });
    }
  }, false);
  // where a relation goes: osteokg's relations, matched on their CURIE and labels in both languages
  Yasqe.forkAutocompleter("property", {
    name: "osteokg-relations",
    autoShow: true,
    get: function (yasqe, token) {
      var wanted = fold(words(token || { string: "" }));
      return relationList().then(function (items) {
        return remember(items.filter(function (relation) { return matches(relation, wanted); }));
      }, function () { return failed(yasqe, "property"); });
    },
    preProcessToken: function (yasqe, token) { return token; },
    postProcessSuggestion: function (yasqe, token, iri) { return asCurie(yasqe, iri); },
    postprocessHints: withLabels
  }, false);
  // terms: after "a" (rdf:type, rdfs:domain, rdfs:range), or anything written OSTEOKG:<words>, searched by name
  Yasqe.forkAutocompleter("class", {
    name: "osteokg-terms",
    autoShow: true,
    isValidCompletionPosition: function (yasqe) {
      var token = yasqe.getCompleteToken();
      if (isVariable(token) || !token.string.trim()) return false;
      if (/^OSTEOKG:/i.test(token.string) && !/^OSTEOKG:\d*$/i.test(token.string)) return true;
      var cursor = yasqe.getDoc().getCursor();
      var previous = yasqe.getPreviousNonWsToken(cursor.line, token);
      var property = previous && previous.state && previous.state.lastProperty;
      return property === "a" || property === "rdf:type" || property === "rdfs:domain" || property === "rdfs:range";
    },
    get: function (yasqe, token) {
      var text = words(token || { string: "" }).trim();
      if (text.length < 2) {
        yasqe.showNotification("autocomplete_class", strings.nothing_to_complete || "type more");
        return Promise.resolve([]);
      }
      return suggest(text).then(function (items) {
        return items === null ? failed(yasqe, "class") : remember(items);
      });
    },
    preProcessToken: function (yasqe, token) { return token; },
    postProcessSuggestion: function (yasqe, token, iri) { return asCurie(yasqe, iri); },
    postprocessHints: withLabels
  }, false);
  // YASGUI's own completers call lov.linkeddata.es and prefix.cc: gone, so nothing can select them
  ["prefixes", "property", "class"].forEach(function (name) { delete base[name]; });
  var completers = ["osteokg-prefixes", "osteokg-relations", "osteokg-terms", "variables"];
  Yasqe.defaults.autocompleters = completers.slice();
  Yasqe.defaults.prefixCcApi = null;

  // ------------------------------------------------------------------ links: osteokg's pages, no other host

  function unlink(anchor) {
    var span = document.createElement("span");
    span.className = anchor.className;
    span.textContent = anchor.textContent;
    if (/^https?:/.test(anchor.getAttribute("href") || "")) span.title = anchor.getAttribute("href");
    anchor.replaceWith(span);
  }

  function ariaControls(root) {
    // YASGUI draws a tab's panel when the tab is first shown: a tab points at its panel once it exists
    root.querySelectorAll(".tabsList [aria-controls], .tabsList [data-controls]").forEach(function (tab) {
      var id = tab.getAttribute("aria-controls") || tab.getAttribute("data-controls");
      tab.setAttribute("data-controls", id);
      if (document.getElementById(id)) {
        if (tab.getAttribute("aria-controls") !== id) tab.setAttribute("aria-controls", id);
      } else if (tab.hasAttribute("aria-controls")) {
        tab.removeAttribute("aria-controls");
      }
    });
  }

  function localize(root) {
    root.querySelectorAll("a[href]").forEach(function (anchor) {
      var href = anchor.getAttribute("href");
      var url;
      try { url = new URL(href, window.location.href); } catch (e) { return; }
      if (url.origin === window.location.origin) return;
      if (anchor.classList.contains("yasr_external_ref_btn")) { anchor.remove(); return; }
      var curie = href.indexOf(osteokg) === 0 ? curieOf(href) : null;
      if (curie !== null && curie.indexOf("OSTEOKG:") === 0) {
        anchor.setAttribute("href", entityHref(curie));
        anchor.removeAttribute("target");
        anchor.removeAttribute("ref");
        anchor.removeAttribute("rel");
      } else {
        unlink(anchor);
      }
    });
  }

  // ------------------------------------------------------------------ YASGUI

  // ------------------------------------------------------------------ YASGUI's own words, in the page's language

  var ui = config.ui || {};
  function word(key) { return ui[key] || key; }
  var table = Yasr.plugins.table;
  if (table && table.defaults) {
    table.defaults.openIriInNewWindow = false;
    var tableConfig = table.defaults.tableConfig || (table.defaults.tableConfig = {});
    tableConfig.language = Object.assign({}, tableConfig.language, {
      info: word("info"), infoEmpty: word("info_empty"), infoFiltered: word("info_filtered"),
      zeroRecords: word("zero_records"), emptyTable: word("zero_records"), lengthLabels: { "-1": word("All") },
      aria: {
        orderable: ": " + word("sort"), orderableReverse: ": " + word("sort_reverse"),
        orderableRemove: ": " + word("sort_remove"),
        paginate: { first: word("first"), previous: word("previous"), next: word("next"), last: word("last") }
      }
    });
  }

  var SKIP = ".CodeMirror, tbody, .dt-column-title, .tabsList .tab span"; // what the reader wrote or the graph says
  function translate(root) {
    if (config.lang === "en") return;
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    var node;
    while ((node = walker.nextNode())) {
      var text = node.nodeValue.trim();
      if (!text || node.parentElement.closest(SKIP)) continue;
      var counted = /^(\d+) results? in ([\d.]+) seconds?$/.exec(text);
      if (counted) {
        node.nodeValue = word(counted[1] === "1" ? "result_in" : "results_in").replace("{count}", counted[1])
          .replace("{seconds}", counted[2]);
      } else if (ui[text] && ui[text] !== text) {
        node.nodeValue = node.nodeValue.replace(text, ui[text]);
      }
    }
    root.querySelectorAll("[title], [aria-label], [placeholder]").forEach(function (element) {
      ["title", "aria-label", "placeholder"].forEach(function (name) {
        var value = element.getAttribute(name);
        if (value && ui[value] && ui[value] !== value) element.setAttribute(name, ui[value]);
      });
    });
  }

  var requestConfig = {
    endpoint: endpoint,
    method: "POST",
    acceptHeaderSelect: "application/sparql-results+json",
    acceptHeaderGraph: "text/turtle",
    acceptHeaderUpdate: "text/plain"
  };
  mount.hidden = false; // before YASGUI draws: CodeMirror measures its box
  var form = document.getElementById("sparql-form");
  if (form) form.hidden = true;
  var yasgui = new Yasgui(mount, {
    persistenceId: null,
    populateFromUrl: false,
    autoAddOnInit: false,
    copyEndpointOnNewTab: false,
    tabName: strings.new_tab || "Query",
    requestConfig: requestConfig,
    endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; }, keys: [] },
    yasqe: {
      value: declarations() + "\n\n",
      autocompleters: completers,
      persistenceId: null,
      consumeShareLink: null,
      collapsePrefixesOnLoad: false,
      screenReaderLabel: strings.query_label || "SPARQL",
      prefixCcApi: null
    },
    yasr: { prefixes: prefixes, persistenceId: null }
  });

  function addTab(id, name, query, select) {
    var tab = yasgui.addTab(select, { name: name, yasqe: { value: query }, requestConfig: requestConfig });
    tab.osteokgId = id;
    return tab;
  }

  if (config.query !== null && config.query !== undefined) {
    addTab("query", strings.your_query || "Query", config.query, config.selected === "query");
  }
  config.tabs.forEach(function (question) {
    addTab(question.id, question.name, question.query, question.id === config.selected);
  });
  if (!config.tabs.length && config.query == null) addTab("query", strings.your_query || "Query", declarations() + "\n\n", true);

  // a new tab from a button outside the tab list (YASGUI's "+" sits inside it, where only tabs belong)
  var newTab = document.getElementById("new-query");
  if (newTab) {
    newTab.hidden = false;
    newTab.addEventListener("click", function () {
      addTab("new", strings.new_tab || "Query", declarations() + "\n\n", true);
      yasgui.getTab().getYasqe().focus();
    });
  }
  function label(element, text) {
    if (text && !element.getAttribute("aria-label") && !element.getAttribute("aria-labelledby")) {
      element.setAttribute("aria-label", text);
    }
  }

  function accessible(root) {
    // what YASGUI draws without a name or out of a keyboard's reach: the page-size select, the response viewer,
    // the row-number column, the editors' scrolling boxes (CodeMirror gives them tabindex -1)
    root.querySelectorAll("select.tableSizer").forEach(function (select) { label(select, strings.page_size); });
    root.querySelectorAll(".yasr textarea").forEach(function (area) { label(area, strings.response_label); });
    root.querySelectorAll(".CodeMirror-scroll").forEach(function (box) {
      if (box.getAttribute("tabindex") !== "0") box.setAttribute("tabindex", "0"); // a keyboard reaches what scrolls
    });
    root.querySelectorAll(".yasr thead th").forEach(function (th) {
      if (!th.textContent.trim() && !th.querySelector(".sr-only")) {
        var hidden = document.createElement("span");
        hidden.className = "sr-only";
        hidden.textContent = strings.row || "#";
        th.appendChild(hidden);
      }
    });
  }

  function tidy() {
    localize(mount);
    ariaControls(mount);
    accessible(mount);
    translate(mount);
  }
  tidy();
  new MutationObserver(tidy).observe(mount, { childList: true, subtree: true, characterData: true, attributes: true,
    attributeFilter: ["aria-controls", "title", "aria-label", "placeholder"] });
  window.osteokgEditor = yasgui; // for the browser tests
}());
