// Knowledge bases: list, create (needs the developer role; the API's refusal is shown as is),
// upload documents (multipart, the file's own name and type) and see their ingestion status.

import { api } from "../api.js";
import { h, mount } from "../dom.js";
import { busy, clearError, nameForm, showError } from "../ui.js";

const word = (value) => (value || "").replace("DOCUMENT_STATUS_", "").toLowerCase();

export async function renderKnowledge(root) {
  clearError();
  const list = h("div", { id: "knowledge-bases" }, h("p", { class: "muted" }, "Loading…"));
  const form = nameForm({
    inputId: "kb-name",
    buttonId: "create-kb",
    label: "Knowledge base name",
    placeholder: "Handbook",
    button: "Create",
    maxlength: "200",
    action: async (name) => {
      await api("POST", "/v1/knowledge-bases", { name });
      await fill(list);
    },
  });
  mount(root, h("div", { class: "page" }, h("section", { class: "card" }, h("h1", {}, "Knowledge bases"), form, list)));
  await fill(list).catch(showError);
}

async function fill(el) {
  const listed = await api("GET", "/v1/knowledge-bases?pageSize=100");
  const items = listed.knowledgeBases || [];
  if (!items.length) return mount(el, h("p", { class: "muted" }, "No knowledge bases yet."));
  mount(el, ...items.map((kb) => base(kb)));
  for (const section of el.querySelectorAll("[data-kb-id]")) {
    documents(section).catch(showError);
  }
}

function base(kb) {
  const file = h("input", { type: "file", class: "kb-file", "aria-label": `Upload to ${kb.name}` });
  const upload = h("button", { type: "button", class: "secondary kb-upload" }, "Upload");
  const docs = h("ul", { class: "docs" });
  const section = h(
    "section",
    { class: "kb", dataset: { kbId: kb.id } },
    h("h2", { class: "kb-name" }, kb.name || "Untitled"),
    h("p", { class: "muted" }, `${kb.documentCount || 0} documents · ${kb.chunkCount || 0} chunks`),
    h("div", { class: "row" }, file, upload),
    docs,
  );
  upload.addEventListener("click", () =>
    busy(upload, async () => {
      if (!file.files.length) throw new Error("Choose a file first.");
      const body = new FormData();
      body.append("file", file.files[0]);
      await api("POST", `/v1/knowledge-bases/${encodeURIComponent(kb.id)}/documents:upload`, body);
      file.value = "";
      await documents(section);
    }),
  );
  return section;
}

async function documents(section) {
  const listed = await api("GET", `/v1/knowledge-bases/${encodeURIComponent(section.dataset.kbId)}/documents?pageSize=100`);
  const items = listed.documents || [];
  mount(
    section.querySelector(".docs"),
    ...items.map((d) => h("li", { dataset: { status: d.status || "" } }, h("span", { class: "doc-name" }, d.filename || d.title || d.id), " · ", word(d.status), d.failureReason ? ` (${d.failureReason})` : "")),
  );
}
