/* osteokg explorer, every page, before its other scripts: the page's UI strings.
 *
 * The strings are the page's <script type="application/json" id="strings"> (api/explorer/strings.py
 * SCRIPT_KEYS, in the page's language). window.osteokgStrings.t("key", {name: value}) gives one, with its
 * {name} placeholders filled (the key itself when the page has no such string), for explorer.js, graph.js
 * and any script after them. Nothing here talks to another host.
 */
(function () {
  "use strict";

  function readStrings() {
    var node = document.getElementById("strings");
    try {
      return node ? JSON.parse(node.textContent) : {};
    } catch (e) {
      return {};
    }
  }
  var STRINGS = readStrings();

  /* The UI string `key` in the page's language, `{name}` filled from `values` (the key itself if missing). */
  function t(key, values) {
    var found = Object.prototype.hasOwnProperty.call(STRINGS, key) ? STRINGS[key] : key;
    return found.replace(/\{(\w+)\}/g, function (all, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : all;
    });
  }

  window.osteokgStrings = { t: t };
})();
