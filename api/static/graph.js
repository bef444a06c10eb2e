/* osteokg explorer, entity pages: the graph view of a term's neighbourhood, drawn with cytoscape.js.
 *
 * Reads #graph's data-src (the API's /entities/{id}/graph: {center, nodes, edges, relations}) and draws it:
 * nodes coloured and shaped by category (a colour-blind-safe palette, Okabe & Ito, each colour paired with a
 * shape, so no category is told by colour alone; #graph-legend lists them), edges labelled with their relation,
 * stated edges solid and concluded (inferred) ones dashed and lighter, laid out in rings around the centre
 * stretched to the canvas's shape (its neighbours first, a full ring going on in the next, theirs further out).
 * #graph-controls gets a checkbox per relation with its count (and one for the concluded edges), and a link to
 * the page of the term in the centre. A click (tap) on a node recentres on it; a double click (dbltap) also
 * expands it: its own graph is fetched and merged in, each node and edge once. Unticking a relation takes its
 * edges out of the drawing, and the nodes left with none. The view's state (centre, expanded terms, relations
 * unticked) is kept in the address's #graph?… fragment and the page's permalink, and restored from it.
 *
 * Progressive enhancement: the server-rendered #graph-table holds the same edges for keyboard and screen-reader
 * users and is left alone; the canvas is role="img" with an aria-label. If cytoscape or the data cannot be had,
 * the canvas is hidden and a note says so. Hooks for the browser tests: the cytoscape instance is
 * document.getElementById("graph")._cy, and #graph gets data-state="ready" once drawn ("busy" while fetching or
 * laying out, "error" when it could not draw) and data-centre (the id in the centre). Every UI string is the
 * page's <script id="strings">, read through t("key"). Nothing here talks to another host.
 */
(function () {
  "use strict";

  /* Okabe & Ito's palette (colour-blind safe); each node also has a dark border, so a light fill still stands out */
  var PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442", "#000000"];
  var SHAPES = ["ellipse", "round-rectangle", "diamond", "triangle", "hexagon", "pentagon"];
  var NO_CATEGORY = { colour: "#BBBBBB", shape: "ellipse" };
  var INK = "#1d1f24";
  var STATED = "#4f5562";
  var CONCLUDED = "#9aa1b0";
  var STEP = 80; /* between two rings (model units: a label's font is 12) */
  var SPACING = 88; /* between two nodes on a ring */
  var MAX_FIT_ZOOM = 1.4;

  var element = document.getElementById("graph");
  if (!element) return;
  var controls = document.getElementById("graph-controls");
  var legend = document.getElementById("graph-legend");

  var t = window.osteokgStrings.t; /* api/static/strings.js, loaded before this script */

  function setState(state) {
    element.setAttribute("data-state", state);
  }

  var source = new URL(element.getAttribute("data-src") || "", window.location.href);
  var lang = element.getAttribute("data-lang") || document.documentElement.lang || "en";

  function segment(id) {
    return String(id).split(":").map(encodeURIComponent).join(":");
  }

  /* /entities/{id}/graph?lang=..: data-src with its id swapped for `id` (same host, same query) */
  function graphUrl(id) {
    var url = new URL(source.href);
    url.pathname = url.pathname.replace(/[^/]+(\/graph\/?)$/, segment(id) + "$1");
    return url.pathname + url.search;
  }

  /* the page of the term `id`: the graph's URL without /graph, in the page's language (and its release, if the
     page is pinned to one) */
  function pageUrl(id) {
    if (nodes[id] && nodes[id].href) return nodes[id].href;
    var url = new URL(source.href);
    var release = url.searchParams.get("release");
    url.pathname = url.pathname.replace(/[^/]+\/graph\/?$/, segment(id));
    url.search = "";
    url.searchParams.set("lang", lang);
    if (release) url.searchParams.set("release", release);
    return url.pathname + url.search;
  }

  function fail() {
    setState("error");
    element.hidden = true;
    if (legend) legend.hidden = true;
    if (controls) {
      controls.textContent = "";
      var note = document.createElement("p");
      note.className = "notice graph-error";
      note.textContent = t("graph.error");
      controls.appendChild(note);
    }
  }

  if (typeof window.cytoscape !== "function") {
    fail();
    return;
  }

  function load(url) {
    var asked = { headers: { Accept: "application/json" }, credentials: "same-origin" };
    return fetch(url, asked).then(function (response) {
      if (!response.ok) throw new Error("graph: HTTP " + response.status);
      return response.json();
    }).then(function (data) {
      if (!data || !Array.isArray(data.nodes) || !Array.isArray(data.edges)) throw new Error("graph: not a graph");
      return data;
    });
  }

  /* ------------------------------------------------------------ categories: colour, shape, legend */

  var categories = []; /* [{id, label, colour, shape}] in the order first seen: a category keeps its look */
  var categoryIndex = Object.create(null);

  function categoryOf(category) {
    if (!category || !category.id) return null;
    if (!Object.prototype.hasOwnProperty.call(categoryIndex, category.id)) {
      var i = categories.length;
      categoryIndex[category.id] = i;
      categories.push({
        id: category.id, label: category.label || category.id,
        colour: PALETTE[i % PALETTE.length], shape: SHAPES[i % SHAPES.length]
      });
    }
    return categories[categoryIndex[category.id]];
  }

  var SVG = "http://www.w3.org/2000/svg"; /* the SVG namespace, not a request */

  /* cytoscape's regular polygons (generateUnitNgonPoints, fitted to the square), for the legend's swatches */
  function ngon(sides) {
    var increment = 2 * Math.PI / sides;
    var start = sides % 2 === 0 ? Math.PI / 2 + increment / 2 : Math.PI / 2;
    var points = [];
    for (var i = 0; i < sides; i += 1) {
      points.push([Math.cos(start + i * increment), Math.sin(-(start + i * increment))]);
    }
    var xs = points.map(function (p) { return p[0]; });
    var ys = points.map(function (p) { return p[1]; });
    var minX = Math.min.apply(null, xs), maxX = Math.max.apply(null, xs);
    var minY = Math.min.apply(null, ys), maxY = Math.max.apply(null, ys);
    return points.map(function (p) {
      return [(p[0] - minX) / (maxX - minX), (p[1] - minY) / (maxY - minY)];
    });
  }

  /* An SVG element with the given attributes. */
  function svgNode(tag, attributes) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    return node;
  }

  /* A swatch's frame: `width` × 16, hidden from assistive technology (the legend's text says it). */
  function swatchFrame(className, width) {
    return svgNode("svg", { "class": className, viewBox: "0 0 " + width + " 16", width: String(width), height: "16",
                            "aria-hidden": "true", focusable: "false" });
  }

  function swatch(look) {
    var svg = swatchFrame("graph-swatch", 16);
    var shape;
    if (look.shape === "ellipse") {
      shape = svgNode("circle", { cx: "8", cy: "8", r: "6.5" });
    } else if (look.shape === "round-rectangle") {
      shape = svgNode("rect", { x: "1.5", y: "1.5", width: "13", height: "13", rx: "3" });
    } else {
      var unit = look.shape === "diamond" ? [[0.5, 0], [1, 0.5], [0.5, 1], [0, 0.5]]
        : ngon({ triangle: 3, pentagon: 5, hexagon: 6 }[look.shape] || 6);
      shape = svgNode("polygon", { points: unit.map(function (p) {
        return (1.5 + 13 * p[0]).toFixed(2) + "," + (1.5 + 13 * p[1]).toFixed(2);
      }).join(" ") });
    }
    shape.setAttribute("fill", look.colour);
    shape.setAttribute("stroke", INK);
    shape.setAttribute("stroke-width", "1.2");
    svg.appendChild(shape);
    return svg;
  }

  function lineSwatch(dashed) {
    var svg = swatchFrame("graph-swatch graph-swatch-line", 28);
    var line = svgNode("line", { x1: "1", y1: "8", x2: "27", y2: "8", stroke: dashed ? CONCLUDED : STATED,
                                 "stroke-width": "2.5" });
    if (dashed) line.setAttribute("stroke-dasharray", "5 3");
    svg.appendChild(line);
    return svg;
  }

  function legendItem(swatchNode, text) {
    var li = document.createElement("li");
    li.appendChild(swatchNode);
    li.appendChild(document.createTextNode(" " + text));
    return li;
  }

  function drawLegend() {
    if (!legend) return;
    legend.textContent = "";
    var seen = {};
    var uncategorised = false;
    nodeOrder.forEach(function (id) {
      var category = nodes[id].category;
      if (category) seen[category] = true;
      else uncategorised = true;
    });
    categories.forEach(function (c) {
      if (seen[c.id]) legend.appendChild(legendItem(swatch(c), c.label));
    });
    if (uncategorised) legend.appendChild(legendItem(swatch(NO_CATEGORY), t("graph.no_category")));
    legend.appendChild(legendItem(lineSwatch(false), t("edge.stated")));
    legend.appendChild(legendItem(lineSwatch(true), t("edge.concluded")));
  }

  /* ------------------------------------------------------------ relations: the checkboxes */

  var relations = []; /* [{id, label}] in the order of the answers */
  var relationIndex = Object.create(null);
  var hiddenRelations = Object.create(null);
  var showConcluded = true;
  var relationList = null; /* the fieldset's list of checkboxes */
  var focusLink = null;
  var focusName = null;

  function addRelation(relation) {
    if (!relation || !relation.id || Object.prototype.hasOwnProperty.call(relationIndex, relation.id)) return;
    relationIndex[relation.id] = relations.length;
    relations.push({ id: relation.id, label: relation.label || relation.id });
  }

  function checkbox(id, text, checked, onChange) {
    var label = document.createElement("label");
    var box = document.createElement("input");
    box.type = "checkbox";
    box.id = id;
    box.checked = checked;
    box.addEventListener("change", function () { onChange(box.checked); });
    label.appendChild(box);
    label.appendChild(document.createTextNode(" " + text));
    return label;
  }

  function buildControls() {
    if (!controls) return;
    controls.textContent = "";
    var focus = document.createElement("p");
    focus.className = "graph-focus";
    focusName = document.createElement("strong");
    focusLink = document.createElement("a");
    focusLink.id = "graph-open";
    focus.appendChild(document.createTextNode(t("graph.centre") + " "));
    focus.appendChild(focusName);
    focus.appendChild(document.createTextNode(" · "));
    focus.appendChild(focusLink);
    controls.appendChild(focus);
    var fieldset = document.createElement("fieldset");
    fieldset.className = "graph-relations";
    var caption = document.createElement("legend");
    caption.textContent = t("entity.graph_filter");
    fieldset.appendChild(caption);
    relationList = document.createElement("div");
    relationList.className = "graph-relation-list";
    fieldset.appendChild(relationList);
    var concluded = document.createElement("div");
    concluded.className = "graph-concluded";
    concluded.appendChild(checkbox("graph-show-concluded", t("graph.show_concluded"), showConcluded, function (on) {
      showConcluded = on;
      sync(true);
    }));
    fieldset.appendChild(concluded);
    controls.appendChild(fieldset);
  }

  function drawRelationBoxes() {
    if (!relationList) return;
    var counts = {};
    edgeOrder.forEach(function (id) {
      var predicate = edges[id].data.predicate;
      counts[predicate] = (counts[predicate] || 0) + 1;
    });
    relationList.textContent = "";
    relations.forEach(function (relation, i) {
      if (!counts[relation.id]) return;
      relationList.appendChild(checkbox("graph-relation-" + i, relation.label + " (" + counts[relation.id] + ")",
        !hiddenRelations[relation.id], function (on) {
          if (on) delete hiddenRelations[relation.id];
          else hiddenRelations[relation.id] = true;
          sync(true);
        }));
    });
  }

  /* ------------------------------------------------------------ the drawing */

  /* Every node and edge received is kept here; cytoscape holds only those shown (the edges of the ticked
   * relations and the nodes they touch). Hidden elements are taken out of it rather than styled display:none:
   * cytoscape's bundling of parallel edges failed on hidden members (findEdgeControlPoints, cytoscape 3.35).
   * The maps keyed by ids from the data or the address have no prototype ("__proto__" is not a term). */
  var nodes = Object.create(null);
  var nodeOrder = [];
  var edges = Object.create(null);
  var edgeOrder = [];
  var edgeKeys = Object.create(null); /* source|predicate|target|inferred of each edge had: each merged once */
  var cy = null;
  var centre = null;
  var expanded = Object.create(null);
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  var STYLE = [
    { selector: "node", style: {
      "background-color": "data(colour)", "shape": "data(shape)", "width": 24, "height": 24,
      "border-width": 1.5, "border-color": INK,
      "label": "data(label)", "color": INK, "font-size": 12, "font-family": "system-ui, sans-serif",
      "text-valign": "bottom", "text-halign": "center", "text-margin-y": 4,
      "text-wrap": "wrap", "text-max-width": 96,
      "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 2,
      "text-background-shape": "round-rectangle"
    } },
    { selector: "node.centre", style: {
      "width": 38, "height": 38, "border-width": 4, "border-color": "#1f4fa3", "font-weight": "bold", "font-size": 13,
      "z-index": 10
    } },
    { selector: "node.expanded", style: { "border-style": "double", "border-width": 5 } },
    { selector: "node.centre.expanded", style: { "border-width": 6 } },
    { selector: "edge", style: {
      "width": 2, "line-color": STATED, "target-arrow-color": STATED, "target-arrow-shape": "triangle",
      "curve-style": "bezier", "arrow-scale": 0.9,
      "label": "data(label)", "font-size": 10, "color": INK, "text-rotation": "autorotate",
      "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 1,
      "min-zoomed-font-size": 7
    } },
    { selector: "edge.concluded", style: {
      "line-style": "dashed", "line-dash-pattern": [6, 4], "width": 1.5, "line-color": CONCLUDED,
      "target-arrow-color": CONCLUDED, "color": STATED
    } }
  ];

  function edgeKey(edge) {
    return [edge.source, edge.predicate && edge.predicate.id, edge.target, edge.inferred ? 1 : 0].join("|");
  }

  /* Keep the nodes and edges of an answer not yet had (an edge needs both its ends). */
  function merge(data) {
    (data.relations || []).forEach(addRelation);
    data.nodes.forEach(function (node) {
      if (!node || !node.id || Object.prototype.hasOwnProperty.call(nodes, node.id)) return;
      var look = categoryOf(node.category) || NO_CATEGORY;
      nodes[node.id] = {
        id: node.id, label: node.label || node.id, category: node.category && node.category.id ? node.category.id : "",
        colour: look.colour, shape: look.shape, href: node.href || ""
      };
      nodeOrder.push(node.id);
    });
    data.edges.forEach(function (edge) {
      if (!edge || !edge.source || !edge.target || !edge.predicate || !edge.predicate.id) return;
      if (!nodes[edge.source] || !nodes[edge.target]) return;
      var key = edgeKey(edge);
      if (edgeKeys[key]) return;
      edgeKeys[key] = true;
      addRelation(edge.predicate);
      var id = "edge:" + (edge.id || key);
      if (edges[id]) return;
      edges[id] = {
        data: {
          id: id, source: edge.source, target: edge.target, predicate: edge.predicate.id,
          label: edge.predicate.label || edge.predicate.id,
          strength: edge.strength && edge.strength.label ? edge.strength.label : ""
        },
        classes: edge.inferred ? "concluded" : "stated"
      };
      edgeOrder.push(id);
    });
  }

  function shown(edge) {
    return !hiddenRelations[edge.data.predicate] && (showConcluded || edge.classes !== "concluded");
  }

  /* Make cytoscape hold what is shown: the edges of the ticked relations (the concluded ones if asked for) and
   * the nodes they touch, and the centre (a node that comes back appears beside it); then lay it out again.
   * Unticking a relation hides exactly its edges, and the nodes left with no edge. */
  function sync(relayout) {
    var reached = {};
    reached[centre] = true;
    edgeOrder.forEach(function (id) {
      var edge = edges[id];
      if (!shown(edge)) return;
      reached[edge.data.source] = true;
      reached[edge.data.target] = true;
    });
    var at = cy.getElementById(centre).nonempty() ? cy.getElementById(centre).position() : { x: 0, y: 0 };
    cy.batch(function () {
      cy.edges().forEach(function (edge) {
        if (!shown(edges[edge.id()])) edge.remove();
      });
      cy.nodes().forEach(function (node) {
        if (!reached[node.id()]) node.remove();
      });
      var added = [];
      nodeOrder.forEach(function (id) {
        if (!reached[id] || cy.getElementById(id).nonempty()) return;
        added.push({
          group: "nodes", data: nodes[id], position: { x: at.x, y: at.y },
          classes: (expanded[id] === true ? "expanded" : "") + (id === centre ? " centre" : "")
        });
      });
      edgeOrder.forEach(function (id) {
        var edge = edges[id];
        if (!shown(edge) || cy.getElementById(id).nonempty()) return;
        added.push({ group: "edges", data: edge.data, classes: edge.classes });
      });
      cy.add(added);
    });
    writeState();
    if (relayout) layout();
  }

  /* Rings around the centre, stretched to the canvas's shape: the centre's neighbours on the inner rings, theirs
   * further out (each near the neighbour it hangs from), a ring holding as many nodes as fit its length at
   * SPACING apart, the nodes of one relation side by side. cytoscape's concentric layout keeps every ring a
   * circle and its spacing includes the widest label, which left a 43-node neighbourhood a small disc in a wide
   * canvas; these positions go to its preset layout. */
  function ringPositions() {
    var width = element.clientWidth || 600, height = element.clientHeight || 400;
    var stretch = Math.max(1, Math.min(2.4, width / height));
    var label = function (id) { return nodes[id].label; };
    var byLabel = function (a, b) { return label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0; };
    var seen = {};
    var via = {};
    var parent = {};
    var angle = {};
    var positions = {};
    var ring = 0;
    seen[centre] = true;
    positions[centre] = { x: 0, y: 0 };
    angle[centre] = 0;

    function place(ids) {
      var rest = ids.slice();
      while (rest.length) {
        ring += 1;
        var b = ring * STEP, a = stretch * b;
        /* the ellipse's perimeter (Ramanujan), in SPACING steps */
        var perimeter = Math.PI * (3 * (a + b) - Math.sqrt((3 * a + b) * (a + 3 * b)));
        var take = rest.splice(0, Math.max(6, Math.floor(perimeter / SPACING)));
        take.forEach(function (id, j) {
          var theta = 2 * Math.PI * (j + (ring % 2 ? 0 : 0.5)) / take.length;
          angle[id] = theta;
          positions[id] = { x: a * Math.sin(theta), y: -b * Math.cos(theta) };
        });
      }
    }

    var layer = [centre];
    while (layer.length) {
      var next = [];
      layer.forEach(function (id) {
        cy.getElementById(id).connectedEdges().forEach(function (edge) {
          var outward = edge.source().id() === id;
          var other = outward ? edge.target().id() : edge.source().id();
          if (seen[other]) return;
          seen[other] = true;
          parent[other] = id;
          via[other] = edge.data("label") + (outward ? "\u0001" : "\u0000");
          next.push(other);
        });
      });
      next.sort(function (a, b) {
        var pa = angle[parent[a]], pb = angle[parent[b]];
        if (pa !== pb) return pa - pb;
        if (via[a] !== via[b]) return via[a] < via[b] ? -1 : 1;
        return byLabel(a, b);
      });
      if (!next.length) { /* nodes that what is shown does not link to the centre: on the outer rings */
        next = cy.nodes().map(function (node) { return node.id(); }).filter(function (id) { return !seen[id]; });
        next.sort(byLabel);
        next.forEach(function (id) { seen[id] = true; });
      }
      place(next);
      layer = next;
    }
    return positions;
  }

  var running = null;

  function layout() {
    setState("busy");
    if (running) running.stop();
    var positions = ringPositions();
    running = cy.layout({
      name: "preset",
      positions: function (node) { return positions[node.id()] || { x: 0, y: 0 }; },
      fit: true,
      padding: 20,
      animate: !reduceMotion,
      animationDuration: 350
    });
    var layoutRun = running;
    layoutRun.one("layoutstop", function () {
      if (running !== layoutRun) return;
      running = null;
      if (cy.zoom() > MAX_FIT_ZOOM) { /* a small neighbourhood is not blown up */
        cy.zoom(MAX_FIT_ZOOM);
        cy.center();
      }
      setState("ready");
    });
    layoutRun.run();
  }

  function focusOn(id) {
    if (!nodes[id]) return;
    centre = id;
    element.setAttribute("data-centre", id);
    cy.nodes(".centre").removeClass("centre");
    cy.getElementById(id).addClass("centre");
    if (focusLink) {
      focusName.textContent = nodes[id].label;
      focusLink.textContent = t("graph.open", { label: nodes[id].label });
      focusLink.href = pageUrl(id);
    }
    sync(true);
  }

  function expand(id) {
    if (expanded[id]) return;
    expanded[id] = true;
    setState("busy");
    load(graphUrl(id)).then(function (data) {
      merge(data);
      cy.getElementById(id).addClass("expanded");
      drawRelationBoxes();
      drawLegend();
      focusOn(centre);
    }).catch(function () {
      expanded[id] = false;
      setState("ready"); /* the graph as it was; a second double click tries again */
    });
  }

  /* ------------------------------------------------------------ the view's state in the address */

  /* The centre, the expanded terms, the relations unticked and the concluded lines' box are kept in the
   * address's fragment (#graph?centre=…&open=…&hide=…&concluded=off, replaced, not pushed), and in the page's
   * permalink (a[rel=bookmark]), so a link to the page shows the same graph. */
  var STATE = "#graph?";
  var MAX_RESTORED = 20; /* terms a link may ask to expand */
  var pageCentre = null;

  function list(value) {
    return value ? value.split(",").filter(Boolean).slice(0, MAX_RESTORED) : [];
  }

  function readState() {
    var hash = window.location.hash;
    if (hash.indexOf(STATE) !== 0) return null;
    var params = new URLSearchParams(hash.slice(STATE.length));
    return { centre: params.get("centre"), open: list(params.get("open")), hide: list(params.get("hide")),
             concluded: params.get("concluded") !== "off" };
  }

  function writeState() {
    var params = new URLSearchParams();
    if (centre !== pageCentre) params.set("centre", centre);
    var open = Object.keys(expanded).filter(function (id) { return expanded[id] === true; });
    if (open.length) params.set("open", open.join(","));
    var hide = Object.keys(hiddenRelations);
    if (hide.length) params.set("hide", hide.join(","));
    if (!showConcluded) params.set("concluded", "off");
    var text = params.toString().replace(/%3A/gi, ":").replace(/%2C/gi, ","); /* CURIEs read as CURIEs */
    var fragment = text ? STATE + text : "";
    if (!fragment && window.location.hash.indexOf(STATE) !== 0) return; /* leave another #anchor alone */
    if (window.history && window.history.replaceState) {
      window.history.replaceState(window.history.state, "",
        window.location.pathname + window.location.search + fragment);
    }
    var bookmarks = document.querySelectorAll("a[rel~=bookmark]");
    for (var i = 0; i < bookmarks.length; i += 1) {
      bookmarks[i].setAttribute("href", (bookmarks[i].getAttribute("href") || "").split("#")[0] + fragment);
    }
  }

  /* Expand the terms a link names, one after another (one may come from another's graph); no layout between. */
  function restore(ids) {
    return ids.reduce(function (chain, id) {
      return chain.then(function () {
        if (!nodes[id] || expanded[id]) return null;
        return load(graphUrl(id)).then(function (data) {
          merge(data);
          expanded[id] = true;
        }, function () { /* that term stays as it is */ });
      });
    }, Promise.resolve());
  }

  function draw(data) {
    merge(data);
    centre = data.center && nodes[data.center] ? data.center : nodeOrder[0];
    if (!centre) {
      fail();
      return;
    }
    pageCentre = centre;
    cy = window.cytoscape({
      container: element,
      style: STYLE,
      minZoom: 0.2,
      maxZoom: 3,
      boxSelectionEnabled: false,
      autounselectify: true
    });
    element._cy = cy;
    expanded[centre] = "page"; /* the page's own term came expanded (not marked: it is the page) */
    var state = readState();
    if (state) {
      state.hide.forEach(function (id) { hiddenRelations[id] = true; });
      showConcluded = state.concluded;
    }
    buildControls();
    restore(state ? state.open : []).then(function () {
      drawRelationBoxes();
      drawLegend();
      /* a tap recentres once it is clear it is not the first of a double tap (cytoscape's onetap, 250 ms
       * later): moving the node at once would take it from under the second tap */
      cy.on("onetap", "node", function (event) {
        if (event.target.id() !== centre) focusOn(event.target.id());
      });
      cy.on("dbltap", "node", function (event) {
        var id = event.target.id();
        if (id !== centre) focusOn(id);
        expand(id);
      });
      focusOn(state && state.centre && nodes[state.centre] ? state.centre : centre);
    });
  }

  setState("busy");
  load(source.pathname + source.search).then(draw).catch(fail);
})();
