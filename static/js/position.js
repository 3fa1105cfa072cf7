/* The inspection form's position: a button fills latitude and longitude from the phone's position
   (navigator.geolocation); the fields can still be typed in or left empty. Without geolocation the button
   stays hidden. */
(function () {
  "use strict";
  document.querySelectorAll("[data-locate-for]").forEach(function (box) {
    var button = box.querySelector("button.locate");
    var note = box.querySelector(".locate-note");
    var ids = box.dataset.locateFor.split(" ");
    var latitude = document.getElementById(ids[0]);
    var longitude = document.getElementById(ids[1]);
    if (!button || !latitude || !longitude || !("geolocation" in navigator)) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      button.disabled = true;
      note.classList.remove("error");
      note.textContent = box.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (position) {
        latitude.value = position.coords.latitude.toFixed(6);
        longitude.value = position.coords.longitude.toFixed(6);
        note.textContent = box.dataset.found.replace("{m}", Math.round(position.coords.accuracy));
        button.disabled = false;
      }, function () {
        note.textContent = box.dataset.failed;
        note.classList.add("error");
        button.disabled = false;
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  });
})();
