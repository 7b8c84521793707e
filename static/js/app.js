// Small progressive enhancements; every page works without them.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const toggle = document.querySelector("[data-toggle=nav]");
  const nav = document.getElementById("mainnav");
  if (toggle && nav) {
    toggle.addEventListener("click", () => {
      const open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }
  // Buttons that ask for confirmation before a binding act: data-confirm="…".
  document.querySelectorAll("[data-confirm]").forEach((el) => {
    el.addEventListener("click", (event) => {
      if (!window.confirm(el.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });
  document.querySelectorAll("[data-print]").forEach((el) => {
    el.addEventListener("click", (event) => {
      event.preventDefault();
      window.print();
    });
  });
  // Upload forms with a size limit (data-max-bytes): a file over it is refused here, before
  // anything is sent, so the page and what was typed stay as they are.
  document.querySelectorAll("form[data-max-bytes]").forEach((form) => {
    const limit = Number(form.dataset.maxBytes);
    const message = form.querySelector("#upload-too-large");
    const tooLarge = () => Array.from(form.querySelectorAll("input[type=file]")).some(
      (input) => Array.from(input.files || []).some((file) => file.size > limit));
    form.addEventListener("change", () => { if (message) { message.hidden = !tooLarge(); } });
    form.addEventListener("submit", (event) => {
      if (tooLarge()) {
        event.preventDefault();
        event.stopImmediatePropagation();
        if (message) { message.hidden = false; }
      }
    });
  });
  // Forms that must be submitted once only (a double click at the counter).
  // The clicked button's name and value must still be sent, so the buttons are not disabled:
  // a second submit of the same form is swallowed instead.
  document.querySelectorAll("form[data-once]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (form.dataset.submitted === "1") {
        event.preventDefault();
        return;
      }
      form.dataset.submitted = "1";
      form.querySelectorAll("button[type=submit]").forEach((b) => { b.classList.add("busy"); });
    });
  });
});
