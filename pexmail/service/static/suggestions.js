// Progressive enhancement of the Notice page: fill the place field's <datalist> with the
// places matching what is typed. The browser shows the list (keyboard and screen readers
// included); without JavaScript the server suggests places after the form is sent.
(function () {
  var input = document.querySelector("input[data-suggestions]");
  if (!input || !window.fetch) { return; }
  var list = document.getElementById(input.getAttribute("list"));
  var timer = null;
  var last = "";
  input.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var text = input.value.trim();
      if (text.length < 2 || text === last) { return; }
      last = text;
      fetch(input.getAttribute("data-suggestions") + "?q=" + encodeURIComponent(text), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { places: [] }; })
        .then(function (data) {
          list.textContent = "";
          data.places.forEach(function (place) {
            var option = document.createElement("option");
            option.value = place.label;
            option.label = place.territory_name;
            list.appendChild(option);
          });
        })
        .catch(function () {});
    }, 150);
  });
})();
