/* Small map of an allocation plan: one circle per target, radius by packages.
   Data from the json_script block "plan-points" (no inline scripts: CSP). Works
   offline (no tile layer); the circles alone show where the packages go. */
(function () {
  "use strict";
  var dataEl = document.getElementById("plan-points");
  var el = document.getElementById("plan-map");
  if (!dataEl || !el || typeof L === "undefined") { return; }
  var points = JSON.parse(dataEl.textContent);
  if (!points.length) { el.hidden = true; return; }
  var map = L.map(el, { attributionControl: false });
  var max = points.reduce(function (m, p) { return Math.max(m, p.q); }, 1);
  var layer = L.featureGroup(points.map(function (p) {
    var c = L.circleMarker([p.lat, p.lng], {
      radius: 4 + 12 * Math.sqrt(p.q / max), color: "#b30000", weight: 1, fillOpacity: 0.6
    });
    c.bindTooltip(p.name + ": " + p.q);
    return c;
  })).addTo(map);
  map.fitBounds(layer.getBounds().pad(0.2));
}());
