// Import list: while an import runs, poll its status and move its progress bar.
// The page works without this file; it then shows the figures of when it loaded.
"use strict";

(() => {
  const POLL_MS = 1000;
  const FINAL = new Set(["applied", "rejected", "failed"]);

  const poll = async (row) => {
    const url = row.getAttribute("data-status-url");
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    } catch {
      window.setTimeout(() => poll(row), POLL_MS * 5);
      return;
    }
    if (!response.ok) return;
    const batch = await response.json();
    const bar = row.querySelector("progress");
    if (bar) {
      bar.max = Math.max(batch.total_rows, 1);
      bar.value = batch.processed_rows;
    }
    const rows = row.querySelector("[data-import-rows]");
    if (rows) rows.textContent = `${batch.processed_rows} / ${batch.total_rows}`;
    if (FINAL.has(batch.status)) {
      // The server renders the outcome (badge, message, report links) in the page's language.
      window.location.reload();
      return;
    }
    window.setTimeout(() => poll(row), POLL_MS);
  };

  document.addEventListener("DOMContentLoaded", () => {
    for (const row of document.querySelectorAll("tr[data-status-url]")) {
      poll(row);
    }
  });
})();
