// The public site's only script: filters the project list of zoeken.html as one types. The page lists
// every project without it; nothing is loaded from elsewhere.
(function () {
  var input = document.getElementById("zoekterm");
  var items = Array.prototype.slice.call(document.querySelectorAll("#resultaten > li"));
  var count = document.getElementById("aantal");
  function fold(text) { return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, ""); }
  input.addEventListener("input", function () {
    var words = fold(input.value).split(/\s+/).filter(Boolean);
    var shown = 0;
    items.forEach(function (item) {
      var text = fold(item.getAttribute("data-zoek"));
      var match = words.every(function (word) { return text.indexOf(word) >= 0; });
      item.hidden = !match;
      if (match) { shown += 1; }
    });
    count.textContent = shown === 1 ? "1 project" : shown + " projecten";
  });
})();
