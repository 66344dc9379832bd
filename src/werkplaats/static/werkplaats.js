/* Behaviour every page shares; loaded by base.html. A static file, because the Content
   Security Policy allows no inline script and no style attribute (docs/security.md).

   - Colours that come from data (a code's colour in a codebook): the element carries
     data-colour (and data-colour-as="background" for a swatch) and gets it here through
     the CSSOM, which the policy allows. */
(function () {
  "use strict";
  var colour = /^#[0-9a-fA-F]{3,8}$|^[a-zA-Z]+$/;
  Array.prototype.forEach.call(document.querySelectorAll("[data-colour]"), function (el) {
    var value = el.getAttribute("data-colour");
    if (!colour.test(value)) return;
    if (el.getAttribute("data-colour-as") === "background") { el.style.backgroundColor = value; }
    else { el.style.borderLeftColor = value; }
  });
})();
