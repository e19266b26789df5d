// Chat: the conversation list, a model picker for new conversations, and a conversation view
// whose answers stream in token by token (POST …/messages:send answers text/event-stream).
// While an answer streams, its text and last event id are kept in sessionStorage, so a
// reload mid-answer picks the generation up again with Last-Event-ID (…:resume).

import { api, stream } from "../api.js";
import { h, mount } from "../dom.js";
import { setMarkdown } from "../markdown.js";
import { readEvents } from "../sse.js";
import { busy, clearError, showError } from "../ui.js";

const RESUME_KEY = "chatmesh.console.generation";
const state = { conversationId: "", generationId: "", streaming: false, models: null, query: "", archived: false };
const SEARCH_DELAY_MS = 250;

const textOf = (message) => (message.parts || []).map((p) => p.text || "").join("");
const isUser = (message) => message.role === "MESSAGE_ROLE_USER";

async function models() {
  if (!state.models) {
    const listed = await api("GET", "/v1/models");
    state.models = (listed.data || []).map((m) => m.id).sort();
  }
  return state.models;
}

function bubble(role, text, status = "", messageId = "") {
  const body = h("div", { class: "body" });
  if (role === "user") body.textContent = text;
  else setMarkdown(body, text);
  const label = h("div", { class: "role" }, role === "user" ? "You" : "Assistant");
  return h("article", { class: `msg ${role}`, dataset: { status, messageId } }, label, body);
}

export async function renderChat(root, conversationId = "") {
  clearError();
  state.conversationId = conversationId;
  const list = h("nav", { class: "conv-list", "aria-label": "Conversations" }, h("p", { class: "muted" }, "Loading…"));
  const picker = h("select", { id: "model", "aria-label": "Model" });
  const log = h("div", { id: "messages", class: "messages", "aria-live": "polite" });
  const input = h("textarea", { id: "prompt", rows: "3", placeholder: "Message (Enter sends, Shift+Enter is a new line)", "aria-label": "Message" });
  const send = h("button", { type: "submit", id: "send" }, "Send");
  const stop = h("button", { type: "button", id: "stop", class: "secondary", hidden: true }, "Stop");
  const again = h("button", { type: "button", id: "regenerate", class: "secondary", hidden: true }, "Regenerate");
  const remove = h("button", { type: "button", id: "delete-conversation", class: "secondary danger", hidden: !conversationId }, "Delete");
  const archive = h("button", { type: "button", id: "archive-conversation", class: "secondary", hidden: !conversationId }, "Archive");
  const search = h("input", { type: "search", id: "conv-search", placeholder: "Search", "aria-label": "Search conversations", value: state.query });
  const archived = h("input", { type: "checkbox", id: "show-archived", checked: state.archived });
  const heading = h("h2", { class: "conv-title" }, conversationId ? "" : "New conversation");
  const view = { log, picker, stop, again, heading, list, archive };
  let searching = 0;
  search.addEventListener("input", () => {
    clearTimeout(searching);
    searching = setTimeout(() => {
      state.query = search.value.trim();
      fillList(list).catch(showError);
    }, SEARCH_DELAY_MS);
  });
  archived.addEventListener("change", () => {
    state.archived = archived.checked;
    fillList(list).catch(showError);
  });
  archive.addEventListener("click", () =>
    busy(archive, async () => {
      const verb = archive.dataset.archived === "yes" ? "unarchive" : "archive";
      await api("POST", `/v1/conversations/${encodeURIComponent(state.conversationId)}:${verb}`, {});
      location.hash = "#/chat";
    }),
  );

  const composer = h(
    "form",
    {
      id: "composer",
      class: "composer",
      onsubmit: (event) => {
        event.preventDefault();
        const text = input.value.trim();
        if (!text || state.streaming) return;
        busy(send, async () => {
          input.value = "";
          await sendMessage(text, view);
          remove.hidden = false;
          archive.hidden = false;
        });
      },
    },
    input,
    h("div", { class: "row" }, send, stop, again),
  );
  input.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  stop.addEventListener("click", () => busy(stop, stopGeneration));
  again.addEventListener("click", () => busy(again, () => regenerate(view)));
  remove.addEventListener("click", () =>
    busy(remove, async () => {
      if (remove.dataset.armed !== "yes") {
        remove.dataset.armed = "yes";
        remove.textContent = "Confirm delete";
        return;
      }
      await api("DELETE", `/v1/conversations/${encodeURIComponent(state.conversationId)}`);
      location.hash = "#/chat";
    }),
  );

  mount(
    root,
    h(
      "div",
      { class: "chat" },
      h(
        "aside",
        { class: "sidebar" },
        h("a", { class: "button", id: "new-chat", href: "#/chat" }, "New chat"),
        h("label", { class: "picker" }, "Model", picker),
        search,
        h("label", { class: "check" }, archived, "Show archived"),
        list,
      ),
      h("section", { class: "conversation" }, h("div", { class: "row spread" }, heading, h("div", { class: "row" }, archive, remove)), log, composer),
    ),
  );

  const loaded = await Promise.allSettled([
    fillModels(picker),
    fillList(list),
    conversationId ? openConversation(conversationId, view) : null,
  ]);
  for (const result of loaded) if (result.status === "rejected") showError(result.reason);
  input.focus();
}

async function fillModels(picker) {
  const names = await models();
  mount(picker, ...names.map((name) => h("option", { value: name }, name)));
  if (!names.length) mount(picker, h("option", { value: "" }, "no models: an admin adds a channel"));
}

/** The sidebar: search hits while a query is typed, else the newest conversations (or the archived). */
async function fillList(list) {
  let items;
  if (state.query) {
    const params = new URLSearchParams({ query: state.query, pageSize: "50", includeArchived: String(state.archived) });
    const found = await api("GET", `/v1/conversations:search?${params}`);
    const seen = new Set();
    items = (found.hits || []).map((hit) => hit.conversation).filter((c) => c && !seen.has(c.id) && seen.add(c.id));
  } else {
    const listed = await api("GET", `/v1/conversations?pageSize=50&archived=${state.archived}`);
    items = listed.conversations || [];
  }
  mount(
    list,
    items.length
      ? h(
          "ul",
          {},
          items.map((c) =>
            h(
              "li",
              {},
              h("a", { href: `#/chat/${encodeURIComponent(c.id)}`, class: c.id === state.conversationId ? "active" : "" }, c.title || "Untitled"),
            ),
          ),
        )
      : h("p", { class: "muted" }, state.query ? "Nothing found." : state.archived ? "No archived conversations." : "No conversations yet."),
  );
}

async function openConversation(id, view) {
  const base = `/v1/conversations/${encodeURIComponent(id)}`;
  const [conversation, listed, every] = await Promise.all([
    api("GET", base),
    api("GET", `${base}/messages`),
    api("GET", `${base}/messages?view=MESSAGE_VIEW_ALL`),
  ]);
  view.heading.textContent = conversation.title || "Untitled";
  view.archive.dataset.archived = conversation.archived ? "yes" : "no";
  view.archive.textContent = conversation.archived ? "Unarchive" : "Archive";
  const model = conversation.settings && conversation.settings.model;
  if (model) view.picker.dataset.conversationModel = model;
  const messages = listed.messages || [];
  const siblings = siblingsOf(every.messages || []);
  mount(
    view.log,
    ...messages.map((m) => {
      const shown = bubble(isUser(m) ? "user" : "assistant", textOf(m), m.status || "", m.id);
      const around = siblings.get(m.parentId || "") || [];
      if (around.length > 1) shown.querySelector(".role").append(branchSwitch(around, m.id, view));
      if (isUser(m)) shown.querySelector(".role").append(editButton(shown, m, view));
      return shown;
    }),
  );
  view.again.hidden = !canRegenerate(view);
  const last = messages[messages.length - 1];
  const saved = JSON.parse(sessionStorage.getItem(RESUME_KEY) || "null");
  if (last && !isUser(last) && last.status === "MESSAGE_STATUS_IN_PROGRESS" && last.generationId) {
    const carry = saved && saved.generationId === last.generationId ? saved : { text: "", eventId: "" };
    const target = view.log.lastElementChild;
    const path = `/v1/conversations/${encodeURIComponent(id)}/generations/${encodeURIComponent(last.generationId)}:resume`;
    const headers = carry.eventId ? { "last-event-id": carry.eventId } : {};
    state.generationId = last.generationId;
    await follow(() => stream("GET", path, undefined, headers), target, carry.text, view);
  }
}

async function sendMessage(text, view) {
  if (!state.conversationId) {
    const model = view.picker.value;
    if (!model) throw new Error("Pick a model first (none is served yet).");
    const created = await api("POST", "/v1/conversations", { title: text.slice(0, 60), settings: { model } });
    state.conversationId = created.id;
    view.heading.textContent = created.title || "Untitled";
    history.replaceState(null, "", `#/chat/${encodeURIComponent(created.id)}`);
  }
  view.log.append(bubble("user", text));
  const target = bubble("assistant", "", "MESSAGE_STATUS_IN_PROGRESS");
  view.log.append(target);
  const path = `/v1/conversations/${encodeURIComponent(state.conversationId)}/messages:send`;
  await follow(() => stream("POST", path, { content: text }), target, "", view);
  fillList(view.list).catch(showError);
}

/** parent id → its children's ids, oldest first: the branches one can switch between. */
function siblingsOf(all) {
  const byParent = new Map();
  const sorted = [...all].sort((a, b) => String(a.createTime).localeCompare(String(b.createTime)));
  for (const m of sorted) {
    const key = m.parentId || "";
    if (!byParent.has(key)) byParent.set(key, []);
    byParent.get(key).push(m.id);
  }
  return byParent;
}

function branchSwitch(ids, current, view) {
  const at = ids.indexOf(current);
  const go = (step) => async () => {
    const target = ids[at + step];
    if (!target || state.streaming) return;
    const base = `/v1/conversations/${encodeURIComponent(state.conversationId)}`;
    await api("POST", `${base}:switchBranch`, { messageId: target });
    await openConversation(state.conversationId, view);
  };
  const button = (label, step, name) =>
    h("button", { type: "button", class: `link ${name}`, "aria-label": `${name} branch`, disabled: !ids[at + step], onclick: () => go(step)().catch(showError) }, label);
  return h("span", { class: "branches" }, button("‹", -1, "previous"), h("span", { class: "branch-at" }, `${at + 1}/${ids.length}`), button("›", 1, "next"));
}

/** Edit a question: stored as a sibling branch, then answered there (Regenerate on the new message). */
function editButton(shown, message, view) {
  const edit = h("button", { type: "button", class: "link edit-message" }, "Edit");
  edit.addEventListener("click", () => {
    if (state.streaming) return;
    const body = shown.querySelector(".body");
    const field = h("textarea", { class: "edit-field", rows: "3", "aria-label": "Edited message" });
    field.value = textOf(message);
    const save = h("button", { type: "button", class: "save-edit" }, "Save and answer");
    const cancel = h("button", { type: "button", class: "secondary" }, "Cancel");
    const form = h("div", { class: "edit" }, field, h("div", { class: "row" }, save, cancel));
    cancel.addEventListener("click", () => form.replaceWith(body));
    save.addEventListener("click", () =>
      busy(save, async () => {
        const base = `/v1/conversations/${encodeURIComponent(state.conversationId)}`;
        const edited = await api("POST", `${base}/messages/${encodeURIComponent(message.id)}:edit`, { content: field.value });
        while (shown.nextElementSibling) shown.nextElementSibling.remove();
        const asked = bubble("user", field.value, "", edited.id);
        shown.replaceWith(asked);
        const target = bubble("assistant", "", "MESSAGE_STATUS_IN_PROGRESS");
        view.log.append(target);
        await follow(() => stream("POST", `${base}/messages/${encodeURIComponent(edited.id)}:regenerate`, {}), target, "", view);
        await openConversation(state.conversationId, view);
      }),
    );
    body.replaceWith(form);
    field.focus();
  });
  return edit;
}

function canRegenerate(view) {
  const last = view.log.lastElementChild;
  return Boolean(last && last.classList.contains("assistant") && last.dataset.messageId && !state.streaming);
}

/** Answer the last question again, in place of the last answer (a sibling branch on the server). */
async function regenerate(view) {
  const last = view.log.lastElementChild;
  if (!canRegenerate(view)) return;
  const target = bubble("assistant", "", "MESSAGE_STATUS_IN_PROGRESS");
  last.replaceWith(target);
  const conversation = encodeURIComponent(state.conversationId);
  const path = `/v1/conversations/${conversation}/messages/${encodeURIComponent(last.dataset.messageId)}:regenerate`;
  await follow(() => stream("POST", path, {}), target, "", view);
  await openConversation(state.conversationId, view);
}

/** Read one generation's events into ``target`` (an assistant bubble). */
async function follow(open, target, text, view) {
  const body = target.querySelector(".body");
  let pending = false;
  const paint = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      setMarkdown(body, text);
      view.log.scrollTop = view.log.scrollHeight;
    });
  };
  state.streaming = true;
  view.stop.hidden = false;
  view.again.hidden = true;
  let status = "MESSAGE_STATUS_COMPLETE";
  try {
    const response = await open();
    for await (const event of readEvents(response)) {
      if (event.event === "done") break;
      const data = JSON.parse(event.data);
      if (event.event === "error") {
        status = "MESSAGE_STATUS_FAILED";
        showError(new Error(data.message || "the answer failed"));
        break;
      }
      if (data.generationId) state.generationId = data.generationId;
      if (data.started && data.started.assistantMessageId) target.dataset.messageId = data.started.assistantMessageId;
      if (data.delta && data.delta.text) {
        text += data.delta.text;
        paint();
      }
      if (data.citations) showCitations(target, data.citations.citations || []);
      if (data.error) {
        status = "MESSAGE_STATUS_FAILED";
        showError(new Error(data.error.message || "the answer failed"));
      }
      if (data.done) {
        const stored = data.done.message || {};
        if (stored.status) status = stored.status;
        if (stored.id) target.dataset.messageId = stored.id;
        break;
      }
      if (event.id && state.generationId) {
        sessionStorage.setItem(RESUME_KEY, JSON.stringify({ generationId: state.generationId, eventId: event.id, text }));
      }
    }
  } finally {
    sessionStorage.removeItem(RESUME_KEY);
    state.streaming = false;
    view.stop.hidden = true;
    setMarkdown(body, text);
    target.dataset.status = status;
    view.again.hidden = !canRegenerate(view);
  }
}

function showCitations(target, citations) {
  if (!citations.length) return;
  const old = target.querySelector(".citations");
  const list = h(
    "ol",
    { class: "citations" },
    citations.map((c) => h("li", {}, [c.title || c.documentName || c.documentId || "source", c.page ? `, p. ${c.page}` : ""].join(""))),
  );
  if (old) old.replaceWith(list);
  else target.append(list);
}

async function stopGeneration() {
  if (!state.generationId || !state.conversationId) return;
  const path = `/v1/conversations/${encodeURIComponent(state.conversationId)}/generations/${encodeURIComponent(state.generationId)}:stop`;
  await api("POST", path, {});
}
