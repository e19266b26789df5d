// A tiny Markdown subset rendered safely: everything is HTML-escaped FIRST, then only
// fenced code blocks, inline code, **bold**, *italic*, [links](url) with http(s)/mailto
// targets and line breaks are turned into markup. Nothing the model writes can become a tag
// or an attribute of its own. Under the console's CSP (require-trusted-types-for 'script') the
// result reaches innerHTML only through the one Trusted Types policy below.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const SAFE_URL = /^(https?:\/\/|mailto:)[^\s]*$/i;

export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function inline(escaped) {
  const codes = [];
  let out = escaped.replace(/`([^`\n]+)`/g, (_, code) => {
    codes.push(`<code>${code}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  out = out.replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>");
  out = out.replace(/(^|[^*])\*([^*\n]+)\*/g, "$1<em>$2</em>");
  out = out.replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (whole, label, url) => {
    // url is already escaped: a quote cannot end the attribute; the scheme must be allowed.
    const raw = url.replace(/&amp;/g, "&");
    if (!SAFE_URL.test(raw)) return whole;
    return `<a href="${url}" target="_blank" rel="noopener noreferrer nofollow">${label}</a>`;
  });
  return out.replace(/\u0000(\d+)\u0000/g, (_, i) => codes[Number(i)]);
}

/** Markdown text → an HTML string made only of escaped text and the tags above. */
export function renderMarkdown(text) {
  const escaped = escapeHtml(text).replace(/\u0000/g, "");
  const blocks = [];
  const parts = escaped.split(/^```[^\n]*\n?/m);
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      blocks.push(`<pre><code>${part.replace(/\n$/, "")}</code></pre>`);
      return;
    }
    for (const para of part.split(/\n{2,}/)) {
      if (para.trim()) blocks.push(`<p>${inline(para).replace(/\n/g, "<br>")}</p>`);
    }
  });
  return blocks.join("");
}

let policy = null;
function trusted(html) {
  if (!window.trustedTypes) return html;
  policy = policy || window.trustedTypes.createPolicy("console-markdown", { createHTML: (s) => s });
  return policy.createHTML(html);
}

/** Put ``text`` rendered as Markdown into ``el``. */
export function setMarkdown(el, text) {
  el.innerHTML = trusted(renderMarkdown(text));
}
