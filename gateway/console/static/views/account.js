// My account: who I am, and my API keys (create — the secret is shown once — list, revoke).

import { api, currentUser } from "../api.js";
import { h, mount, when } from "../dom.js";
import { busy, clearError, nameForm, showError } from "../ui.js";

const STATUS = (s) => (s || "").replace("API_KEY_STATUS_", "").toLowerCase() || "unknown";

export async function renderAccount(root) {
  clearError();
  const user = currentUser() || {};
  const keys = h("div", { id: "api-keys" }, h("p", { class: "muted" }, "Loading…"));
  const created = h("div", { id: "new-secret", class: "secret", hidden: true });
  const form = nameForm({
    inputId: "key-name",
    buttonId: "create-key",
    label: "Key name",
    placeholder: "laptop",
    button: "Create key",
    maxlength: "100",
    action: async (name) => {
      const answer = await api("POST", "/v1/api-keys", { name });
      showSecret(created, answer.secret);
      await fillKeys(keys);
    },
  });

  mount(
    root,
    h(
      "div",
      { class: "page" },
      h("section", { class: "card" }, h("h1", {}, "My account"), h("p", {}, user.email || ""), user.username ? h("p", { class: "muted" }, `@${user.username}`) : null),
      h("section", { class: "card" }, h("h2", {}, "API keys"), h("p", { class: "muted" }, "Use a key as ", h("code", {}, "Authorization: Bearer sk-…"), " with the OpenAI or Anthropic SDKs."), form, created, keys),
    ),
  );
  await fillKeys(keys).catch(showError);
}

function showSecret(el, secret) {
  const value = h("code", { id: "secret-value" }, secret);
  const copy = h("button", { type: "button", class: "secondary", id: "copy-secret" }, "Copy");
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(secret);
      copy.textContent = "Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(value);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      copy.textContent = "Press Ctrl+C";
    }
  });
  mount(el, h("p", {}, "Your new key. It is shown only this once: copy it now."), h("div", { class: "row" }, value, copy));
  el.hidden = false;
}

async function fillKeys(el) {
  const listed = await api("GET", "/v1/api-keys?pageSize=100");
  const items = listed.apiKeys || [];
  if (!items.length) return mount(el, h("p", { class: "muted" }, "No keys yet."));
  mount(
    el,
    h(
      "table",
      { class: "list" },
      h("thead", {}, h("tr", {}, h("th", {}, "Name"), h("th", {}, "Key"), h("th", {}, "Status"), h("th", {}, "Created"), h("th", {}, "Last used"), h("th", {}, ""))),
      h("tbody", {}, items.map((key) => keyRow(key, el))),
    ),
  );
}

function keyRow(key, el) {
  const revoke = h("button", { type: "button", class: "secondary danger", dataset: { keyId: key.id } }, "Revoke");
  let armed = false;
  revoke.addEventListener("click", () => {
    if (!armed) {
      armed = true;
      revoke.textContent = "Confirm revoke";
      return;
    }
    busy(revoke, async () => {
      await api("DELETE", `/v1/api-keys/${encodeURIComponent(key.id)}`);
      await fillKeys(el);
    });
  });
  const active = key.status === "API_KEY_STATUS_ACTIVE";
  return h(
    "tr",
    { dataset: { keyId: key.id } },
    h("td", { class: "key-name" }, key.name || ""),
    h("td", {}, h("code", {}, `${key.prefix || "sk-"}…`)),
    h("td", {}, STATUS(key.status)),
    h("td", {}, when(key.createTime)),
    h("td", {}, when(key.lastUsedTime) || "never"),
    h("td", {}, active ? revoke : null),
  );
}
