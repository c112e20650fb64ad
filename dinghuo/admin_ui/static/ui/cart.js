// The cart page: a changed quantity re-prices the cart at once (the server prices it; the
// page swaps in the new lines and totals). Without JavaScript, "Update quantities" does it.
(function () {
  "use strict";
  let timer = null;

  function bind() {
    const form = document.querySelector("[data-cart-form]");
    if (!form) return;
    form.addEventListener("change", function (event) {
      if (!event.target.matches("[data-qty]")) return;
      clearTimeout(timer);
      timer = setTimeout(function () { submit(form); }, 250);
    });
  }

  function submit(form) {
    const body = document.getElementById("cart-body");
    body.querySelector(".cart-lines").classList.add("is-busy");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        const page = new DOMParser().parseFromString(html, "text/html");
        const fresh = page.getElementById("cart-body");
        if (fresh) {
          body.replaceWith(fresh);
          const count = page.querySelector(".portal-nav [data-cart-count]");
          const mine = document.querySelector(".portal-nav [data-cart-count]");
          if (mine && count) mine.textContent = count.textContent;
          bind();
        } else {
          form.submit();
        }
      })
      .catch(function () { form.submit(); });
  }

  document.addEventListener("DOMContentLoaded", bind);
})();
