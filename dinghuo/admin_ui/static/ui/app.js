// Dinghuo UI: small progressive enhancements; every page works without this file.
"use strict";

document.addEventListener("submit", (event) => {
  // Forms that change something important ask first (data-confirm="question").
  const question = event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

document.addEventListener("DOMContentLoaded", () => {
  // The invitation form asks for a dealer only when a dealer role is chosen.
  for (const role of document.querySelectorAll("[data-dealer-roles]")) {
    const dealerRoles = role.getAttribute("data-dealer-roles").split(" ");
    const field = document.getElementById(role.getAttribute("data-dealer-field"));
    if (!field) continue;
    const sync = () => {
      field.hidden = !dealerRoles.includes(role.value);
    };
    role.addEventListener("change", sync);
    sync();
  }
  // A colour picker mirrors its text field, both ways.
  for (const picker of document.querySelectorAll("input[type=color][data-mirror]")) {
    const text = document.getElementById(picker.getAttribute("data-mirror"));
    if (!text) continue;
    picker.addEventListener("input", () => {
      text.value = picker.value;
    });
    text.addEventListener("input", () => {
      if (/^#[0-9a-fA-F]{6}$/.test(text.value)) picker.value = text.value;
    });
  }
});
