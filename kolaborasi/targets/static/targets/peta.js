/* Peta kebutuhan: a Leaflet choropleth of remaining need, without a tile server by
   default. Data comes from /peta/data/<aid>.json (cached, compact); popups from
   /peta/info/<code>.json and /peta/sasaran/<id>.json. No inline scripts (CSP). */
(function () {
  "use strict";
  var cfgEl = document.getElementById("map-config");
  var el = document.getElementById("map");
  if (!cfgEl || !el || typeof L === "undefined") { return; }
  var cfg = JSON.parse(cfgEl.textContent);
  var T = cfg.labels;
  // The campaign (programme) the page shows: every data and popup request asks for it.
  var program = cfg.program ? "&program=" + encodeURIComponent(cfg.program) : "";
  // Same colours as .swatch.c0–c5 in targets.css.
  var COLORS = ["#f3f3f3", "#fee8c8", "#fdbb84", "#fc8d59", "#e34a33", "#b30000"];
  var KIND_COLORS = { "pesantren": "#1b7837", "panti-asuhan": "#2166ac", "panti-disabilitas": "#762a83", "panti-jompo": "#8c510a" };
  var fmt = new Intl.NumberFormat(document.documentElement.lang || "id");

  var map = L.map(el, { zoomSnap: 0.25, attributionControl: !!cfg.tileUrl });
  map.setView([-6.2, 106.85], 11);
  // The zoom buttons duplicate + and − on the focused map: not tab stops of their own.
  Array.prototype.forEach.call(el.querySelectorAll(".leaflet-control-zoom a"), function (a) { a.setAttribute("tabindex", "-1"); });
  // Outlying areas (Kepulauan Seribu) are left out of the first view; this shows them.
  var all = L.control({ position: "topleft" });
  all.onAdd = function () {
    var b = node("button", { type: "button", className: "map-all", text: T.showAll });
    L.DomEvent.disableClickPropagation(b);
    b.addEventListener("click", function () {
      if (areaLayer && areaLayer.getLayers().length) { map.fitBounds(areaLayer.getBounds()); }
    });
    return b;
  };
  all.addTo(map);
  if (cfg.tileUrl) {
    L.tileLayer(cfg.tileUrl, { attribution: cfg.tileAttribution, maxZoom: 19 }).addTo(map);
  }
  var aid = cfg.aidType;
  var areaLayer = null, rwLayer = null, markerLayer = null, lastData = null;

  function node(tag, attrs, children) {
    var n = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { n.textContent = attrs[k]; } else if (k === "className") { n.className = attrs[k]; } else { n.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { n.appendChild(c); } });
    return n;
  }
  function classOf(v, breaks) {
    if (!v) { return 0; }
    var i = 1;
    breaks.forEach(function (b) { if (v > b) { i += 1; } });
    return Math.min(i, 5);
  }

  // Legend: classes of remaining need plus institution kinds.
  // A <details>: open on a wide screen, folded to its title on a phone so that it does
  // not cover the map; a tap on the title opens it.
  var legend = L.control({ position: "bottomright" });
  var legendBox = node("details", { className: "legend", id: "legend" });
  legendBox.open = window.matchMedia("(min-width: 40em)").matches;
  var legendTitle = node("summary");
  var legendDiv = node("div", { className: "legend-body" });
  legendBox.appendChild(legendTitle);
  legendBox.appendChild(legendDiv);
  L.DomEvent.disableClickPropagation(legendBox);
  L.DomEvent.disableScrollPropagation(legendBox);
  legend.onAdd = function () { return legendBox; };
  legend.addTo(map);
  function drawLegend(data) {
    legendDiv.textContent = "";
    var select = document.getElementById("f-jenis");
    var aidName = select ? select.options[select.selectedIndex].text : aid;
    legendTitle.textContent = T.remaining + " · " + aidName;
    var ul = node("ul");
    var b = data.breaks;
    ul.appendChild(node("li", {}, [node("span", { className: "swatch c0" }), node("span", { text: "0 / " + T.noData })]));
    var lower = 1;
    for (var i = 0; i <= b.length; i++) {
      var label = i < b.length ? fmt.format(lower) + "–" + fmt.format(b[i]) : "> " + fmt.format(b.length ? b[b.length - 1] : 0);
      ul.appendChild(node("li", {}, [node("span", { className: "swatch c" + (i + 1) }), node("span", { text: label })]));
      if (i < b.length) { lower = b[i] + 1; }
    }
    legendDiv.appendChild(ul);
    var kinds = node("ul");
    Object.keys(KIND_COLORS).forEach(function (k) {
      kinds.appendChild(node("li", {}, [node("span", { className: "swatch dot k-" + k }), node("span", { text: T.kinds[k] })]));
    });
    legendDiv.appendChild(kinds);
    legendDiv.appendChild(node("span", { className: "badge synthetic", text: T.synthetic }));
  }

  function needsTable(needs) {
    var head = node("tr", {}, [node("th", { text: "" }), node("th", { text: T.need }), node("th", { text: T.committed }), node("th", { text: T.delivered }), node("th", { text: T.remaining })]);
    var rows = needs.map(function (n) {
      return node("tr", {}, [node("td", { text: n.aid_type_name }), node("td", { text: fmt.format(n.need) }), node("td", { text: fmt.format(n.committed) }), node("td", { text: fmt.format(n.delivered) }), node("td", { text: fmt.format(n.remaining) })]);
    });
    return node("table", {}, [node("thead", {}, [head]), node("tbody", {}, rows)]);
  }
  function line(label, value) { return value ? node("div", {}, [node("strong", { text: label + ": " }), node("span", { text: value })]) : null; }

  function targetPopup(t) {
    var isRw = t.kind === "rw";
    return node("div", { className: "map-popup" }, [
      node("h3", { text: t.name }),
      node("div", { className: "muted", text: t.kind_label + (t.synthetic ? " · " + T.synthetic : "") }),
      line(T.kota, t.city.name), line(T.kecamatan, t.district.name), line(T.kelurahan, t.village.name),
      isRw ? line(T.rw, t.region.name) : null,
      line(isRw ? T.households : T.residents, fmt.format(t.size)),
      isRw && t.head_name ? line(T.head, t.head_name) : null,
      needsTable(t.needs),
      node("a", { className: "button", href: "/sasaran/" + t.id + "/", text: T.give })
    ]);
  }
  function areaPopup(info, feature) {
    var p = {};
    info.path.forEach(function (r) { p[r.level] = r.name; });
    var top = info.top.map(function (t) {
      var need = t.needs.filter(function (n) { return n.aid_type === aid; })[0];
      return node("li", {}, [
        node("a", { href: "/sasaran/" + t.id + "/", text: t.name }),
        node("span", { text: " — " + T.remaining + " " + fmt.format(need ? need.remaining : 0) + (t.head_name ? " · " + T.head + ": " + t.head_name : "") })
      ]);
    });
    var actions = node("p", {}, [node("a", { href: "/daftar/?wilayah=" + info.code + "&jenis=" + aid + program, text: T.list })]);
    if (feature && feature.properties.rw) {
      var btn = node("button", { type: "button", className: "button secondary", text: T.showRw });
      btn.addEventListener("click", function () { loadRw(info.code); map.closePopup(); });
      actions.appendChild(document.createTextNode(" "));
      actions.appendChild(btn);
    }
    return node("div", { className: "map-popup" }, [
      node("h3", { text: info.name }),
      info.synthetic ? node("div", { className: "muted", text: T.synthetic }) : null,
      line(T.kota, p.city), line(T.kecamatan, p.district), line(T.kelurahan, p.village),
      line(T.households, fmt.format(info.households)),
      info.residents ? line(T.residents, fmt.format(info.residents)) : null,
      needsTable(info.needs),
      top.length ? node("strong", { text: T.top }) : node("p", { text: T.none }),
      top.length ? node("ol", {}, top) : null,
      top.length ? node("a", { className: "button", href: "/sasaran/" + info.top[0].id + "/", text: T.give }) : null,
      actions
    ]);
  }
  function openJson(url, latlng, render) {
    var popup = L.popup({ maxWidth: 360 }).setLatLng(latlng).setContent(T.loading).openOn(map);
    fetch(url, { headers: { "Accept": "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { popup.setContent(render(data)); })
      .catch(function () { popup.setContent(T.error); });
  }

  function styleFor(breaks) {
    return function (f) {
      return {
        color: "#555", weight: 0.7, fillOpacity: 0.85,
        fillColor: COLORS[classOf(f.properties.remaining, breaks)],
        className: "area a-" + f.properties.code.replace(/\./g, "-")
      };
    };
  }
  // Keyboard: the map is one tab stop (arrows pan, + and − zoom); areas are not tab
  // stops of their own. Institutions are reached through the list under the map: each
  // entry opens its marker's popup and moves the focus onto the marker.
  function untabbable(layer) {
    layer.eachLayer(function (l) {
      var path = l.getElement && l.getElement();
      if (path) { path.setAttribute("tabindex", "-1"); path.setAttribute("focusable", "false"); }
    });
  }
  function drawMarkers(data) {
    if (markerLayer) { map.removeLayer(markerLayer); }
    var list = document.getElementById("map-institutions");
    var items = [];
    markerLayer = L.layerGroup(data.markers.map(function (m) {
      var mk = L.circleMarker([m[2], m[3]], { radius: 5, weight: 1, color: "#fff", fillColor: KIND_COLORS[m[1]] || "#333", fillOpacity: 0.95, className: "marker k-" + m[1] });
      var open = function (latlng) { openJson(cfg.targetUrl + m[0] + ".json", latlng, targetPopup); };
      mk.on("click", function (e) { open(e.latlng); });
      var label = (m[5] || "") + " · " + (T.kinds[m[1]] || m[1]) + " · " + T.remaining + " " + fmt.format(m[4] || 0);
      var button = node("button", { type: "button", className: "link", text: label });
      button.addEventListener("click", function () {
        map.setView([m[2], m[3]], Math.max(map.getZoom(), 15));
        open(L.latLng(m[2], m[3]));
        var path = mk.getElement && mk.getElement();
        if (path) { path.focus(); }
      });
      items.push(node("li", {}, [button]));
      return mk;
    })).addTo(map);
    markerLayer.eachLayer(function (mk) {
      var path = mk.getElement && mk.getElement();
      if (path) { path.setAttribute("tabindex", "-1"); path.setAttribute("role", "img"); }
    });
    data.markers.forEach(function (m, i) {
      var path = markerLayer.getLayers()[i].getElement();
      if (path) { path.setAttribute("aria-label", (m[5] || "") + " · " + (T.kinds[m[1]] || m[1])); }
    });
    if (list) {
      var ul = list.querySelector("ul");
      ul.textContent = "";
      items.forEach(function (li) { ul.appendChild(li); });
      list.querySelector("[data-count]").textContent = String(items.length);
      list.hidden = items.length === 0;
    }
  }
  function draw(data, fit) {
    lastData = data;
    if (areaLayer) { map.removeLayer(areaLayer); }
    if (rwLayer) { map.removeLayer(rwLayer); rwLayer = null; }
    areaLayer = L.geoJSON(data, {
      style: styleFor(data.breaks),
      onEachFeature: function (f, layer) {
        layer.bindTooltip(f.properties.name + ": " + fmt.format(f.properties.remaining), { sticky: true });
        layer.on("click", function (e) {
          openJson(cfg.infoUrl + f.properties.code + ".json?jenis=" + aid + program, e.latlng, function (info) {
            return info.kind ? targetPopup(info) : areaPopup(info, f);
          });
        });
      }
    }).addTo(map);
    untabbable(areaLayer);
    if (fit && data.features.length) { map.fitBounds(window.kolaborasiCoreBounds(areaLayer)); }
    drawMarkers(data);
    drawLegend(data);
    el.setAttribute("data-loaded", String(data.features.length));
  }
  function load(fit) {
    var url = cfg.dataUrl + aid + ".json?level=" + cfg.level + (cfg.parent ? "&parent=" + cfg.parent : "") + program;
    el.setAttribute("data-loaded", "");
    fetch(url).then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { draw(data, fit); })
      .catch(function () { legendDiv.textContent = T.error; });
  }
  function loadRw(villageCode) {
    fetch(cfg.dataUrl + aid + ".json?level=rw&parent=" + villageCode + program)
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) {
        if (rwLayer) { map.removeLayer(rwLayer); }
        rwLayer = L.geoJSON(data, {
          style: styleFor(data.breaks),
          onEachFeature: function (f, layer) {
            layer.on("click", function (e) { openJson(cfg.infoUrl + f.properties.code + ".json?jenis=" + aid + program, e.latlng, targetPopup); });
          }
        }).addTo(map);
        untabbable(rwLayer);
        if (data.features.length) { map.fitBounds(rwLayer.getBounds()); }
      })
      .catch(function () { L.popup().setLatLng(map.getCenter()).setContent(T.error).openOn(map); });
  }

  // Switching the aid type redraws without reloading the page (the form still works without JS).
  var select = document.getElementById("f-jenis");
  var form = document.getElementById("map-controls");
  if (select && form) {
    select.addEventListener("change", function () {
      aid = select.value;
      var params = new URLSearchParams(window.location.search);
      params.set("jenis", aid);
      window.history.replaceState(null, "", "?" + params.toString());
      load(false);
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
  }
  load(true);
})();
