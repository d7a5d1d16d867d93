// The office pages' little JavaScript: a stepped form, photo preview, board filters.
// Every page works without it; it only shows one step at a time and previews the photo.
"use strict";

function steppedForm(form) {
  const steps = Array.from(form.querySelectorAll(".step"));
  const bars = Array.from(document.querySelectorAll(".steps span"));
  let current = Math.max(0, steps.findIndex((s) => s.querySelector(".has-error")));
  function show(index) {
    current = index;
    const summary = steps[index] && steps[index].querySelector("[data-summary]");
    if (summary) summarise(form, summary);
    steps.forEach((s, i) => { s.hidden = i !== index; });
    bars.forEach((b, i) => b.classList.toggle("done", i <= index));
  }
  form.querySelectorAll("[data-next]").forEach((b) => b.addEventListener("click", () => {
    const inputs = Array.from(steps[current].querySelectorAll("input, select"));
    if (inputs.every((i) => i.reportValidity())) show(current + 1);
  }));
  form.querySelectorAll("[data-back]").forEach((b) => b.addEventListener("click", () => show(current - 1)));
  show(current);
}

// The last step repeats what was typed, so the resident checks it before sending.
function summarise(form, list) {
  const value = (name) => (form.elements[name] ? form.elements[name].value : "");
  const flat = [value("building"), value("unit"), value("room")].join("-");
  const rows = [[list.dataset.flat, flat], [list.dataset.name, value("name")], [list.dataset.phone, value("phone")]];
  list.replaceChildren(...rows.flatMap(([label, text]) => {
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = label;
    dd.textContent = text;  // text, never HTML
    return [dt, dd];
  }));
}

function photoPreview(input) {
  const img = document.getElementById(input.dataset.preview);
  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    if (file && img) { img.src = URL.createObjectURL(file); img.hidden = false; }
  });
}

function copyButton(button) {
  button.addEventListener("click", () => {
    const target = document.getElementById(button.dataset.copy);
    if (target && navigator.clipboard) navigator.clipboard.writeText(target.value || target.textContent);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("form.stepped").forEach(steppedForm);
  document.querySelectorAll("input[data-preview]").forEach(photoPreview);
  document.querySelectorAll("[data-copy]").forEach(copyButton);
  document.querySelectorAll("select[data-autosubmit]").forEach((s) =>
    s.addEventListener("change", () => s.form.submit()));
  if (document.body.dataset.forget && window.caches) caches.delete("office-pass-v1");  // logged out
  if ("serviceWorker" in navigator && document.body.dataset.sw) {
    navigator.serviceWorker.register(document.body.dataset.sw, { scope: document.body.dataset.swScope });
  }
});
