// The checkout page: choosing a delivery option updates freight and total at once; choosing
// another address re-quotes the delivery options (the server quotes them; the page swaps in
// the new options and totals). Without JavaScript, "Update delivery options" does it.
(function () {
  "use strict";

  function showChoice(form) {
    const chosen = form.querySelector("input[name='delivery_method']:checked");
    if (!chosen) return;
    const freight = document.querySelector("#checkout-summary [data-freight]");
    const total = document.querySelector("#checkout-summary [data-total]");
    if (freight) freight.textContent = chosen.dataset.freightText;
    if (total) total.textContent = chosen.dataset.totalText;
  }

  function requote(form) {
    const data = new FormData(form);
    data.set("refresh", "1");
    const parts = ["checkout-address", "checkout-delivery", "checkout-summary"];
    parts.forEach(function (id) {
      const node = document.getElementById(id);
      if (node) node.classList.add("is-busy");
    });
    fetch(form.action, {
      method: "POST",
      body: data,
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        const page = new DOMParser().parseFromString(html, "text/html");
        parts.forEach(function (id) {
          const fresh = page.getElementById(id);
          const mine = document.getElementById(id);
          if (fresh && mine) mine.replaceWith(fresh);
        });
      })
      .catch(function () {
        const button = form.querySelector("[data-refresh]");
        if (button) button.click();
      });
  }

  function bind() {
    const form = document.querySelector("[data-checkout-form]");
    if (!form) return;
    const refresh = form.querySelector("[data-refresh]");
    if (refresh) refresh.hidden = true;
    form.addEventListener("change", function (event) {
      if (event.target.matches("[data-address]")) requote(form);
      if (event.target.matches("input[name='delivery_method']")) showChoice(form);
    });
    // A second click while the first submission is on its way sends nothing more (the form
    // token makes a repeat harmless anyway: it answers the same order).
    form.addEventListener("submit", function (event) {
      if (event.submitter && event.submitter.matches("[data-refresh]")) return;
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
    });
    window.addEventListener("pageshow", function () { delete form.dataset.sent; });
  }

  document.addEventListener("DOMContentLoaded", bind);
})();
