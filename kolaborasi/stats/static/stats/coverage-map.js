// Coverage map of the dashboard: Leaflet (served from /static/vendor/leaflet/) drawing the
// GeoJSON of /api/v1/exports/coverage.geojson. No inline script: everything it needs is
// in data-* attributes of #coverage-map. Re-initialised after an htmx swap.
(function () {
  "use strict";

  function colour(share) {
    if (share === null || share === undefined || share <= 0) return "#f7f7f7";
    if (share < 0.34) return "#c7e9c0";
    if (share < 0.67) return "#74c476";
    return "#238b45";
  }

  function init() {
    var el = document.getElementById("coverage-map");
    if (!el || el.dataset.ready || typeof L === "undefined") return;
    el.dataset.ready = "1";
    var map = L.map(el, { scrollWheelZoom: false, attributionControl: false, zoomSnap: 0.25 });
    map.setView([-6.2, 106.83], 10);
    fetch(el.dataset.geojsonUrl, { headers: { Accept: "application/geo+json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        var drawn = data.features.filter(function (f) { return f.geometry; });
        if (!drawn.length) {
          el.classList.add("empty");
          return;
        }
        var layer = L.geoJSON({ type: "FeatureCollection", features: drawn }, {
          style: function (f) {
            return { color: "#555", weight: 1, fillOpacity: 0.75, fillColor: colour(f.properties.coverage) };
          },
          onEachFeature: function (f, lyr) {
            var p = f.properties;
            var div = document.createElement("div");
            var a = document.createElement("a");
            a.href = el.dataset.regionUrl + "?region=" + encodeURIComponent(p.code) +
              (el.dataset.program ? "&program=" + encodeURIComponent(el.dataset.program) : "");
            a.textContent = p.name + " (" + p.code + ")";
            div.appendChild(a);
            var line = document.createElement("div");
            line.textContent = el.dataset.labelRws + ": " + p.rws_receiving + " / " + p.rws +
              " · " + el.dataset.labelMet + ": " + p.rws_met;
            div.appendChild(line);
            lyr.bindPopup(div);
          }
        }).addTo(map);
        // Open on where most areas are: outlying islands (Kepulauan Seribu) would shrink
        // the mainland to a few pixels; the control below shows everything.
        map.fitBounds(window.kolaborasiCoreBounds(layer));
        var all = L.control({ position: "topleft" });
        all.onAdd = function () {
          var b = L.DomUtil.create("button", "map-all");
          b.type = "button";
          b.textContent = el.dataset.labelAll;
          L.DomEvent.disableClickPropagation(b);
          b.addEventListener("click", function () { map.fitBounds(layer.getBounds()); });
          return b;
        };
        all.addTo(map);
        layer.eachLayer(function (l) {
          var path = l.getElement && l.getElement();
          if (path) { path.setAttribute("tabindex", "-1"); }
        });
        var legend = L.control({ position: "bottomright" });
        legend.onAdd = function () {
          var box = L.DomUtil.create("div", "coverage-legend");
          [["c0", "0"], ["c1", "< 1/3"], ["c2", "< 2/3"], ["c3", "≥ 2/3"]].forEach(function (item) {
            var row = document.createElement("div");
            var sw = document.createElement("i");
            sw.className = item[0];
            row.appendChild(sw);
            row.appendChild(document.createTextNode(item[1] + " " + el.dataset.labelRws));
            box.appendChild(row);
          });
          return box;
        };
        legend.addTo(map);
      })
      .catch(function () { el.classList.add("empty"); });
  }

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);
})();
