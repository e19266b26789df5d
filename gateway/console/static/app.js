// The console's entry: a hash router over the views, shown once the session is known.

import { currentUser, onSessionChange, resume, signOut } from "./api.js";
import { showError } from "./ui.js";
import { renderAccount } from "./views/account.js";
import { canAdminister, renderAdmin } from "./views/admin.js";
import { renderAuth } from "./views/auth.js";
import { renderChat } from "./views/chat.js";
import { renderInbox, watchUnread } from "./views/inbox.js";
import { renderKnowledge } from "./views/knowledge.js";

const root = document.getElementById("app");
const nav = document.getElementById("nav");
const adminLink = document.getElementById("nav-admin");
let admin = false;

function route() {
  const [, view = "chat", id = ""] = location.hash.split("/");
  return { view, id: decodeURIComponent(id) };
}

async function render() {
  if (!currentUser()) return renderAuth(root);
  const { view, id } = route();
  for (const link of nav.querySelectorAll("[data-nav]")) {
    link.classList.toggle("active", link.dataset.nav === view);
  }
  try {
    if (view === "account") await renderAccount(root);
    else if (view === "inbox") await renderInbox(root);
    else if (view === "knowledge") await renderKnowledge(root);
    else if (view === "admin" && admin) await renderAdmin(root);
    else await renderChat(root, id);
  } catch (err) {
    showError(err);
  }
}

onSessionChange(async (user) => {
  nav.hidden = !user;
  document.getElementById("whoami").textContent = user ? user.email || user.username || "" : "";
  watchUnread(Boolean(user));
  admin = user ? await canAdminister() : false;
  adminLink.hidden = !admin;
  await render();
});

document.getElementById("sign-out").addEventListener("click", () => signOut().catch(showError));
window.addEventListener("hashchange", render);
window.addEventListener("unhandledrejection", (event) => showError(event.reason));

resume().then((user) => {
  if (!user) render();
});
