// Draws the points of a dataset preview with the vendored Leaflet (static/vendor/leaflet). The page lists the same
// points in a table, so without script nothing is lost. The points come from a JSON block: [[lat, lng, "label"], …].
(function () {
  var holder = document.getElementById("preview-map");
  var data = document.getElementById("preview-map-points");
  if (!holder || !data || typeof L === "undefined") return;
  var points = JSON.parse(data.textContent);
  if (!points.length) return;
  holder.hidden = false;
  var map = L.map(holder, { attributionControl: false, scrollWheelZoom: false });
  var markers = points.map(function (p) {
    return L.circleMarker([p[0], p[1]], { radius: 5, weight: 1, color: "#0b57d0", fillOpacity: 0.7 })
      .bindTooltip(p[2] || (p[0] + ", " + p[1]))
      .addTo(map);
  });
  map.fitBounds(L.featureGroup(markers).getBounds().pad(0.1));
  holder.setAttribute("data-points", String(markers.length));
})();
