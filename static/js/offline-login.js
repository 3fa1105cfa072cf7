/* The login page: whoever logs in next on this phone must not be shown the pages kept for the last user (a
   session that ended without logout), not even while the network is slow. The kept pages go; the waiting reports
   stay in the store, each with its owner, unseen by anyone else (static/js/offline.js). */
(function () {
  "use strict";
  var script = document.currentScript;
  if (script && "caches" in window) caches.delete(script.dataset.pagesCache);
})();
