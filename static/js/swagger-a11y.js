// Swagger UI renders code blocks (the curl command, request and response bodies) as boxes that scroll; a box
// that scrolls must be reachable by keyboard (WCAG 2.1.1; axe-core's scrollable-region-focusable). swagger-ui
// does not make them focusable, so every such block it adds gets tabindex="0" and a name.
(function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  if (!root) return;
  var label = document.documentElement.lang && document.documentElement.lang.indexOf("zh") === 0 ? "代码" : "Code";
  function reachable() {
    root.querySelectorAll("pre.microlight, .curl, .highlight-code pre").forEach(function (block) {
      if (!block.hasAttribute("tabindex")) {
        block.setAttribute("tabindex", "0");
        block.setAttribute("role", "region");
        block.setAttribute("aria-label", label);
      }
    });
  }
  new MutationObserver(reachable).observe(root, { childList: true, subtree: true });
  reachable();
})();
