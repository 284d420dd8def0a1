// Gatehouse web UI: the few behaviours a page gains with JavaScript.
// Every page works without this file; it only adds conveniences.
// (A file, never inline script: the Content-Security-Policy forbids it.)
"use strict";

// Copy buttons: <button data-copy="ID"> copies the text of element ID.
document.addEventListener("click", function (event) {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  if (!source) return;
  const text = source.value !== undefined ? source.value : source.textContent;
  const done = function () {
    const status = document.getElementById(button.dataset.copy + "-copied");
    if (status) status.textContent = "Copied to the clipboard.";
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text.trim()).then(done, function () {});
  } else if (source.select) {
    source.select();
    document.execCommand("copy");
    done();
  }
});

// Forms with data-confirm="question" ask before they are sent; without
// JavaScript the server's own confirmation step asks instead.
document.addEventListener("submit", function (event) {
  const form = event.target;
  if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
    event.preventDefault();
  }
}, true);
