/* Where a map opens: on the areas that lie together, not on outliers. Jakarta's
   Kepulauan Seribu lies ~50 km off the coast; fitted to every area, the mainland would be
   a few dozen pixels wide. An area whose centre is more than OUTLIER times the median
   distance from the median centre is left out of the first view (each map offers a
   control that shows everything). Used by the needs map and the dashboard's map. */
(function () {
  "use strict";
  var OUTLIER = 4;
  function median(values) {
    var v = values.slice().sort(function (a, b) { return a - b; });
    var mid = Math.floor(v.length / 2);
    return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  }
  window.kolaborasiCoreBounds = function (layer) {
    var parts = [];
    layer.eachLayer(function (l) { parts.push({ bounds: l.getBounds(), centre: l.getBounds().getCenter() }); });
    if (parts.length < 3) { return layer.getBounds(); }
    var lat = median(parts.map(function (p) { return p.centre.lat; }));
    var lng = median(parts.map(function (p) { return p.centre.lng; }));
    var dist = parts.map(function (p) { return Math.sqrt(Math.pow(p.centre.lat - lat, 2) + Math.pow(p.centre.lng - lng, 2)); });
    var typical = median(dist) || 1e-9;
    var bounds = null;
    parts.forEach(function (p, i) {
      if (dist[i] > OUTLIER * typical) { return; }
      bounds = bounds ? bounds.extend(p.bounds) : L.latLngBounds(p.bounds.getSouthWest(), p.bounds.getNorthEast());
    });
    return bounds || layer.getBounds();
  };
})();
