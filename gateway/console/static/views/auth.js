// Sign in, sign up, password reset request and the MFA code prompt.

import { completeMfa, requestPasswordReset, signIn, signUp } from "../api.js";
import { h, mount } from "../dom.js";
import { busy, clearError, showError } from "../ui.js";

function field(label, attrs) {
  return h("label", {}, label, h("input", { required: true, ...attrs }));
}

export function renderAuth(root, mode = "signin") {
  clearError();
  const email = field("Email", { type: "email", name: "email", autocomplete: "username" });
  const password = field("Password", {
    type: "password",
    name: "password",
    autocomplete: mode === "signup" ? "new-password" : "current-password",
    minlength: mode === "signup" ? "8" : undefined,
  });
  const username = field("Username (optional)", { name: "username", autocomplete: "nickname", required: false });
  const submit = h("button", { type: "submit", id: "auth-submit" }, mode === "signup" ? "Create account" : "Sign in");
  const value = (wrapper) => wrapper.querySelector("input").value.trim();

  const form = h(
    "form",
    {
      class: "card auth",
      id: `${mode}-form`,
      onsubmit: (event) => {
        event.preventDefault();
        busy(submit, async () => {
          if (mode === "signup") {
            await signUp(value(email), password.querySelector("input").value, value(username));
            return;
          }
          const answer = await signIn(value(email), password.querySelector("input").value);
          if (answer.mfaToken) renderMfa(root, answer.mfaToken);
        });
      },
    },
    h("h1", {}, mode === "signup" ? "Create an account" : "Sign in"),
    email,
    password,
    mode === "signup" ? username : null,
    submit,
    h(
      "p",
      { class: "muted" },
      mode === "signup"
        ? h("button", { type: "button", class: "link", id: "to-signin", onclick: () => renderAuth(root, "signin") }, "I have an account")
        : h("button", { type: "button", class: "link", id: "to-signup", onclick: () => renderAuth(root, "signup") }, "Create an account"),
      " · ",
      h(
        "button",
        {
          type: "button",
          class: "link",
          onclick: async () => {
            const address = value(email);
            if (!address) return showError(new Error("Enter your email first."));
            try {
              await requestPasswordReset(address);
              showError(new Error(`If ${address} has an account, a reset link is on its way.`));
            } catch (err) {
              showError(err);
            }
          },
        },
        "Forgot password?",
      ),
    ),
  );
  mount(root, form);
  email.querySelector("input").focus();
}

function renderMfa(root, mfaToken) {
  const code = h("input", { name: "code", inputmode: "numeric", autocomplete: "one-time-code", required: true });
  const submit = h("button", { type: "submit" }, "Verify");
  mount(
    root,
    h(
      "form",
      {
        class: "card auth",
        onsubmit: (event) => {
          event.preventDefault();
          busy(submit, () => completeMfa(mfaToken, code.value.trim()));
        },
      },
      h("h1", {}, "Two-step verification"),
      h("label", {}, "Code from your authenticator app", code),
      submit,
    ),
  );
  code.focus();
}
