// Admin: model channels (list, create). The tab is shown only to those the API lets list channels.

import { api } from "../api.js";
import { h, mount, when } from "../dom.js";
import { busy, clearError, showError } from "../ui.js";

const word = (value, prefix) => (value || "").replace(prefix, "").toLowerCase().replace(/_/g, " ");

/** May the signed-in user see channels? Asked of the API (permissions:check), not guessed from roles. */
export async function canAdminister() {
  try {
    const answer = await api("POST", "/v1/permissions:check", { permission: "channels:read" });
    return Boolean(answer.allowed);
  } catch {
    return false;
  }
}

export async function renderAdmin(root) {
  clearError();
  const list = h("div", { id: "channels" }, h("p", { class: "muted" }, "Loading…"));
  const input = (name, label, attrs = {}) => h("label", {}, label, h("input", { name, ...attrs }));
  const create = h("button", { type: "submit", id: "create-channel" }, "Add channel");
  const form = h(
    "form",
    {
      class: "grid",
      id: "channel-form",
      onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(form);
        const split = (key) => String(data.get(key) || "").split(",").map((s) => s.trim()).filter(Boolean);
        busy(create, async () => {
          await api("POST", "/v1/admin/channels", {
            name: String(data.get("name")).trim(),
            type: String(data.get("type")),
            baseUrl: String(data.get("baseUrl")).trim(),
            keys: split("keys"),
            models: split("models"),
          });
          form.reset();
          await fill(list);
        });
      },
    },
    input("name", "Name", { required: true }),
    h("label", {}, "Type", h("select", { name: "type" }, ["openai", "anthropic", "gemini", "dashscope", "azure"].map((t) => h("option", { value: t }, t)))),
    input("baseUrl", "Base URL", { type: "url", required: true, placeholder: "https://api.example.com/v1" }),
    input("keys", "Keys (comma separated)", { type: "password", autocomplete: "off" }),
    input("models", "Models (comma separated)", { required: true, placeholder: "gpt-4o-mini" }),
    create,
  );
  mount(root, h("div", { class: "page" }, h("section", { class: "card" }, h("h1", {}, "Channels"), list), h("section", { class: "card" }, h("h2", {}, "Add a channel"), form)));
  await fill(list).catch(showError);
}

async function fill(el) {
  const listed = await api("GET", "/v1/admin/channels?pageSize=100");
  const items = listed.channels || [];
  if (!items.length) return mount(el, h("p", { class: "muted" }, "No channels yet."));
  mount(
    el,
    h(
      "table",
      { class: "list" },
      h("thead", {}, h("tr", {}, ["Name", "Type", "Models", "Status", "Circuit", "Keys", "Last test", ""].map((t) => h("th", {}, t)))),
      h(
        "tbody",
        {},
        items.map((c) =>
          h(
            "tr",
            { dataset: { channelId: c.id } },
            h("td", { class: "channel-name", dataset: { name: c.name || "" } }, c.name || ""),
            h("td", {}, c.type || ""),
            h("td", {}, (c.models || []).join(", ")),
            h("td", {}, word(c.status, "CHANNEL_STATUS_")),
            h("td", {}, word(c.circuitState, "CIRCUIT_STATE_")),
            h("td", {}, `${c.usableKeyCount ?? "?"}/${c.keyCount ?? "?"}`),
            h("td", { class: "channel-test" }, when(c.lastTestTime) || "never"),
            h("td", { class: "row" }, actions(c, el)),
          ),
        ),
      ),
    ),
  );
}

function actions(channel, el) {
  const path = `/v1/admin/channels/${encodeURIComponent(channel.id)}`;
  const test = h("button", { type: "button", class: "secondary test-channel" }, "Test");
  test.addEventListener("click", () =>
    busy(test, async () => {
      const answer = await api("POST", `${path}:test`, {});
      const cell = test.closest("tr").querySelector(".channel-test");
      cell.textContent = answer.success
        ? `ok in ${answer.latency || "?"}`
        : `failed: ${answer.errorMessage || `HTTP ${answer.httpStatus || "?"}`}`;
      cell.dataset.result = answer.success ? "ok" : "failed";
    }),
  );
  const enabled = channel.status === "CHANNEL_STATUS_ENABLED";
  const toggle = h("button", { type: "button", class: "secondary toggle-channel" }, enabled ? "Disable" : "Enable");
  toggle.addEventListener("click", () =>
    busy(toggle, async () => {
      await api("POST", `${path}:${enabled ? "disable" : "enable"}`, {});
      await fill(el);
    }),
  );
  return [test, toggle];
}
