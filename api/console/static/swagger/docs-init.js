// Starts Swagger UI on /docs from the vendored bundle: no script from another
// site, no inline script (the Content-Security-Policy allows neither), and no
// call to the public validator. The tags start folded: with every one of the
// 140-odd operations open at once the bundle stopped drawing after the first ten.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    docExpansion: "none",
    validatorUrl: null,
  });
});
