// Starts Swagger UI on /docs from the vendored bundle: no script from another
// site, no inline script (the Content-Security-Policy allows neither), and no
// call to the public validator.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    validatorUrl: null,
  });
});
