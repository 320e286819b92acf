// Shows a connection setting only when it applies: the password only for basic sign-in, the cursor
// settings only for cursor pagination. Hidden settings keep their values; the server checks them all.
(function () {
  "use strict";
  function rowOf(input) {
    return input.closest(".form-row") || input.closest("div");
  }
  function refresh() {
    document.querySelectorAll("[data-shown-when]").forEach(function (input) {
      var controller = document.getElementById("id_" + input.dataset.shownWhen);
      if (!controller) return;
      var shown = input.dataset.shownValues.split(" ").indexOf(controller.value) !== -1;
      rowOf(input).hidden = !shown;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var controllers = new Set();
    document.querySelectorAll("[data-shown-when]").forEach(function (input) {
      controllers.add(input.dataset.shownWhen);
    });
    controllers.forEach(function (name) {
      var controller = document.getElementById("id_" + name);
      if (controller) controller.addEventListener("change", refresh);
    });
    refresh();
  });
})();
