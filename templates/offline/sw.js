/* Qiancun's service worker (rendered by offline.views.service_worker; issue 23).

   - The shell (the style sheet, the scripts, the icons) and the fallback page are kept when the worker installs
     (Workbox precaching: a new release names new hashed files, so the browser installs a new worker).
   - The user's own pages (offline.selectors: the villages, the projects taking a progress report and their
     progress forms, the 待上传 page) are answered from the network when there is one and kept on the way; with no
     network, or none within a few seconds, the kept copy is shown. static/js/offline.js fills that cache after
     login and empties it at logout, and when another user logs in on the same phone.
   - Any other page without network: the fallback page.
   Nothing else passes through the worker: the API, the uploads and every other request go to the network as
   before. */
importScripts({% for url in workbox %}"{{ url }}"{% if not forloop.last %}, {% endif %}{% endfor %});

var SETTINGS = {{ settings_json|safe }};
var KEPT_PATHS = SETTINGS.keptPaths.map(function (pattern) { return new RegExp(pattern); });

workbox.core.setCacheNameDetails({prefix: "qiancun"});
self.skipWaiting();
workbox.core.clientsClaim();

workbox.precaching.precacheAndRoute(SETTINGS.shell);
workbox.precaching.cleanupOutdatedCaches();

function isKept(url) {
  return url.origin === self.location.origin && KEPT_PATHS.some(function (pattern) { return pattern.test(url.pathname); });
}

// Only a whole page of this site, answered as itself: never a redirect (to the login page), an error or a copy
// another response stands for.
// Only the page itself (no filtered or paged variant: /villages/?q=… is not kept as /villages/).
var onlyWholePages = {
  cacheWillUpdate: function (params) {
    var response = params.response;
    if (new URL(params.request.url).search) return null;
    return response && response.status === 200 && response.type === "basic" && !response.redirected ? response : null;
  }
};

// A kept copy says so (static/js/offline.js then shows the banner and keeps its other forms for later): the
// attribute is added to its <html> element on the way out of the cache.
var markKeptCopy = {
  cachedResponseWillBeUsed: function (params) {
    var response = params.cachedResponse;
    if (!response) return null;
    return response.text().then(function (html) {
      var headers = new Headers(response.headers);
      headers.delete("Content-Length");
      return new Response(html.replace("<html ", '<html data-kept-copy="1" '),
                          {status: response.status, statusText: response.statusText, headers: headers});
    });
  }
};

workbox.routing.registerRoute(
  function (options) { return options.request.mode === "navigate" && isKept(options.url); },
  new workbox.strategies.NetworkFirst({
    cacheName: SETTINGS.pagesCache,
    networkTimeoutSeconds: SETTINGS.networkTimeoutSeconds,
    matchOptions: {ignoreSearch: true, ignoreVary: true},
    plugins: [onlyWholePages, markKeptCopy]
  })
);
workbox.routing.registerRoute(
  function (options) { return options.request.mode === "navigate"; },
  new workbox.strategies.NetworkOnly()
);
workbox.routing.setCatchHandler(function (options) {
  if (options.request.mode === "navigate") {
    return workbox.precaching.matchPrecache(SETTINGS.fallback).then(function (response) { return response || Response.error(); });
  }
  return Promise.resolve(Response.error());
});
