// Notifications inbox, and the unread count in the header (refreshed every 30 s while signed in).

import { api } from "../api.js";
import { h, mount, when } from "../dom.js";
import { busy, clearError, showError } from "../ui.js";

const POLL_MS = 30000;
let timer = 0;

export function setUnread(count) {
  const badge = document.getElementById("unread");
  badge.textContent = String(count);
  badge.hidden = !count;
}

export async function refreshUnread() {
  const listed = await api("GET", "/v1/notifications?pageSize=1&unreadOnly=true");
  setUnread(Number(listed.unreadCount || 0));
}

export function watchUnread(on) {
  clearInterval(timer);
  if (!on) return;
  const tick = () => refreshUnread().catch(() => {});
  tick();
  timer = setInterval(tick, POLL_MS);
}

export async function renderInbox(root) {
  clearError();
  const list = h("div", { id: "inbox" }, h("p", { class: "muted" }, "Loading…"));
  const markAll = h("button", { type: "button", class: "secondary", id: "mark-all-read" }, "Mark all read");
  markAll.addEventListener("click", () =>
    busy(markAll, async () => {
      await api("POST", "/v1/notifications:markRead", { all: true });
      await fill(list);
    }),
  );
  mount(root, h("div", { class: "page" }, h("section", { class: "card" }, h("div", { class: "row spread" }, h("h1", {}, "Inbox"), markAll), list)));
  await fill(list).catch(showError);
}

async function fill(el) {
  const listed = await api("GET", "/v1/notifications?pageSize=50");
  setUnread(Number(listed.unreadCount || 0));
  const items = listed.notifications || [];
  if (!items.length) return mount(el, h("p", { class: "muted" }, "Nothing here."));
  mount(
    el,
    h(
      "ul",
      { class: "inbox" },
      items.map((n) =>
        h(
          "li",
          { class: n.read ? "read" : "unread" },
          h("div", { class: "row spread" }, h("strong", {}, n.subject || n.category || "Notification"), h("span", { class: "muted" }, when(n.createTime))),
          h("p", {}, n.body || ""),
        ),
      ),
    ),
  );
}
