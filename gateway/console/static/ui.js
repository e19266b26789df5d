// What every view shares: the error banner, a button that is busy while its action runs, and
// the one-field "name it and create" form.

import { h } from "./dom.js";

const banner = () => document.getElementById("error");

/** Show an API error (or any error) as a readable message; never a blank page. */
export function showError(err) {
  const el = banner();
  el.textContent = err && err.message ? err.message : String(err);
  el.hidden = false;
}

export function clearError() {
  banner().hidden = true;
}

/** Run ``action`` with ``button`` disabled; errors go to the banner. */
export async function busy(button, action) {
  button.disabled = true;
  clearError();
  try {
    return await action();
  } catch (err) {
    showError(err);
    return undefined;
  } finally {
    button.disabled = false;
  }
}

/** A one-line form: a required text field and a submit button; ``action(value)`` runs busy. */
export function nameForm({ inputId, buttonId, label, placeholder, button, maxlength, action }) {
  const field = h("input", { id: inputId, name: "name", required: true, maxlength, placeholder, "aria-label": label });
  const submit = h("button", { type: "submit", id: buttonId }, button);
  const onsubmit = (event) => {
    event.preventDefault();
    busy(submit, async () => {
      await action(field.value.trim());
      field.value = "";
    });
  };
  return h("form", { class: "row", onsubmit }, field, submit);
}
