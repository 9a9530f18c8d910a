/*
 * faqbot widget: one <script src=".../widget.js" defer></script> embeds the consultant.
 * Options (data- attributes of the script tag): data-title, data-greeting, data-color,
 * data-position ("right" | "left"), data-api (API origin; default: where this file came from).
 * Server text is always put on the page with textContent; only http(s) URLs become <a>.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__faqbotWidget) { return; }
  window.__faqbotWidget = true;

  var data = script.dataset;
  var API = (data.api || new URL(script.src, location.href).origin).replace(/\/$/, "");
  var TITLE = data.title || "Виртуальный консультант";
  var GREETING = data.greeting || "Здравствуйте! Задайте вопрос о госуслугах.";
  var COLOR = data.color || "#0d4cd3";
  var SIDE = data.position === "left" ? "left" : "right";
  var STORE = "faqbot.session";
  // The last live message the citizen saw, and their open ticket: a page opened later
  // counts the replies that came since on the launcher, before the chat is opened.
  var SEEN = STORE + ".seen";
  var WAITING = STORE + ".ticket";
  // Set by a tab that changed the conversation: the site's other tabs show it anew.
  var CHANGED = STORE + ".changed";
  var URL_RE = /https?:\/\/[^\s<>"«»]+[^\s<>"«».,;:!?)]/g;

  // Where the open chat takes the whole screen: a phone, or a touch screen the on-screen
  // keyboard made short (a desktop's short window keeps the panel, which scrolls).
  var WHOLE_SCREEN = "(max-width: 480px), (max-height: 420px) and (pointer: coarse)";

  var CSS = [
    // !important: the site's rules reach the host element and beat a plain :host rule
    // (`div:empty { display: none }` would hide the chat, `* { text-transform: uppercase
    // !important }` reach its text); an important rule of the shadow tree beats the page's.
    ":host { all: initial !important; }",
    "* { box-sizing: border-box; font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }",
    ".launcher { position: fixed; bottom: 20px; " + SIDE + ": 20px; width: 60px; height: 60px; border-radius: 50%; border: 0; display: flex; align-items: center; justify-content: center;",
    "  background: var(--c); color: #fff; font-size: 28px; cursor: pointer; box-shadow: 0 4px 14px rgba(0,0,0,.25); z-index: 2147483646; }",
    ".badge { position: absolute; top: -4px; right: -4px; min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px; background: #c62828; color: #fff;",
    "  font-size: 13px; font-weight: 700; line-height: 22px; text-align: center; box-shadow: 0 0 0 2px #fff; }",
    ".badge[hidden] { display: none; }",
    // The focus ring: dark on the chat's white (the light #8fb1ff had 2.1:1 there, under the
    // 3:1 a keyboard user needs to see it), white on the title bar's colour.
    ".launcher:focus-visible, button:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #0b3d91; outline-offset: 2px; }",
    ".head button:focus-visible { outline-color: #fff; outline-offset: -4px; }",
    ".panel { position: fixed; bottom: 92px; " + SIDE + ": 20px; width: 380px; max-width: calc(100vw - 16px); height: 560px;",
    "  max-height: calc(100vh - 110px); background: #fff; color: #1d2733; border-radius: 14px; box-shadow: 0 10px 40px rgba(0,0,0,.25);",
    // On a short screen the forms under the chat (contacts, Telegram) may not fit: the panel
    // scrolls then, the chat keeps a few lines and the title bar its place.
    "  display: flex; flex-direction: column; overflow-x: hidden; overflow-y: auto; scroll-padding-top: 56px; z-index: 2147483647; font-size: 15px; line-height: 1.45; }",
    ".panel[hidden] { display: none; }",
    // A phone, or a screen the on-screen keyboard made short: the open chat takes the whole
    // screen (the launcher under it took 80 px, and the question box went out of sight below
    // the panel with the keyboard out); ✕ in its title bar closes it.
    "@media " + WHOLE_SCREEN + " {",
    "  .panel { top: 0; bottom: 0; left: 0; right: 0; width: 100%; height: 100%; max-width: none; max-height: none; border-radius: 0; }",
    "  .open > .launcher { display: none; }",
    "  .head button { min-width: 44px; min-height: 44px; } }",
    "@media (max-height: 420px) { .log { min-height: 72px; } }",
    // A finger needs 44 px (the buttons were about 25 px high on a phone).
    "@media (pointer: coarse) {",
    "  .tools button, .choices button, .person, .more button, .linkbox button, .earlier button, .toolform .cancel, .stars button { min-height: 44px; }",
    "  .tools button[aria-pressed] { min-width: 44px; } }",
    ".head { background: var(--c); color: #fff; padding: 10px 12px; display: flex; align-items: center; gap: 8px; position: sticky; top: 0; z-index: 1; flex: none; }",
    ".head h2 { font-size: 16px; margin: 0; flex: 1; font-weight: 600; }",
    ".head button { background: transparent; border: 0; color: #fff; font-size: 20px; cursor: pointer; padding: 2px 8px; border-radius: 6px; }",
    ".log { flex: 1; min-height: 140px; overflow-y: auto; padding: 12px; display: flex; flex-direction: column; gap: 8px; background: #f4f6f9; }",
    ".msg { max-width: 88%; padding: 8px 11px; border-radius: 12px; white-space: pre-wrap; overflow-wrap: anywhere; }",
    ".msg.citizen { align-self: flex-end; background: var(--c); color: #fff; border-bottom-right-radius: 4px; }",
    ".msg.citizen a { color: #fff; }",
    // A question that did not reach the service (given back into the box to be sent again).
    ".msg.citizen.unsent { background: #fff; color: #1d2733; border: 1px dashed #b3261e; }",
    ".msg.citizen.unsent a { color: var(--c); }",
    ".msg .unsent-note { display: block; margin-top: 4px; font-size: 12px; color: #b3261e; }",
    // Who wrote it, for a screen reader (the others' messages name their author in .who):
    // generated content with alternative text only, so nothing shows and the text is as typed.
    ".msg.citizen::before { content: \"\" / \"Вы написали: \"; }",
    ".msg.bot, .msg.operator, .msg.system { align-self: flex-start; background: #fff; border: 1px solid #dde3ea; border-bottom-left-radius: 4px; }",
    ".msg.operator { border-color: #9fd3b0; background: #f0faf3; }",
    ".msg .who { display: block; font-size: 12px; color: #5b6775; margin-bottom: 2px; }",
    ".msg .notice { display: block; margin-top: 6px; font-size: 13px; color: #8a5a00; }",
    ".msg a { color: var(--c); }",
    ".tools { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 6px; }",
    ".tools button, .choices button, .person { font-size: 13px; border: 1px solid #c5cdd6; background: #fff; color: #1d2733; border-radius: 8px; padding: 4px 8px; cursor: pointer; }",
    ".tools button[aria-pressed=true] { background: #e8eefc; border-color: var(--c); }",
    ".choices { display: flex; flex-direction: column; gap: 6px; margin-top: 8px; }",
    ".choices button { text-align: left; white-space: normal; padding: 6px 9px; }",
    // Candidates once answered: kept in sight, greyed, not pressable; the one picked marked.
    ".choices button:disabled { cursor: default; color: #5b6775; background: #f4f6f9; border-color: #dde3ea; }",
    ".choices button[aria-pressed=true] { color: #1d2733; background: #e8eefc; border-color: var(--c); font-weight: 600; }",
    ".choices button[aria-pressed=true]::before { content: \"✓ \" / \"\"; }",
    ".stars { display: flex; gap: 6px; margin-top: 8px; }",
    ".stars button { min-width: 36px; min-height: 32px; font-size: 14px; border: 1px solid #c5cdd6; background: #fff; color: #1d2733; border-radius: 8px; cursor: pointer; }",
    ".stars button[aria-pressed=true] { background: var(--c); border-color: var(--c); color: #fff; }",
    ".ticket { display: block; margin-top: 6px; font-weight: 600; }",
    ".earlier { align-self: center; display: flex; flex-direction: column; align-items: center; gap: 4px; }",
    ".earlier button { font-size: 13px; border: 1px solid #c5cdd6; background: #fff; color: #1d2733; border-radius: 8px; padding: 4px 10px; cursor: pointer; }",
    ".earlier button:disabled { opacity: .6; cursor: default; }",
    ".typing { align-self: flex-start; color: #5b6775; font-size: 13px; padding: 4px 8px; }",
    ".typing[hidden] { display: none; }",
    ".foot { border-top: 1px solid #dde3ea; padding: 8px; display: flex; flex-direction: column; gap: 6px; background: #fff; }",
    ".row { display: flex; gap: 6px; }",
    "textarea { flex: 1; resize: none; font-size: 15px; padding: 7px 9px; border: 1px solid #b8c2cc; border-radius: 8px; min-height: 40px; max-height: 120px; }",
    ".send { background: var(--c); color: #fff; border: 0; border-radius: 8px; padding: 0 14px; font-size: 15px; cursor: pointer; }",
    ".send:disabled { opacity: .6; }",
    ".hint { font-size: 13px; color: #8a5a00; }",
    ".hint:empty { display: none; }",
    ".person { align-self: flex-start; }",
    ".more { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 8px 8px; background: #fff; }",
    ".more button, .linkbox button { font-size: 13px; border: 1px solid #c5cdd6; background: #fff; color: #1d2733; border-radius: 8px; padding: 4px 8px; cursor: pointer; }",
    ".more button[aria-expanded=true] { background: #e8eefc; border-color: var(--c); }",
    ".linkbox { display: flex; flex-direction: column; gap: 6px; padding: 0 8px 8px; background: #fff; font-size: 13px; color: #1d2733; }",
    ".linkbox[hidden] { display: none; }",
    ".linkbox > button { align-self: flex-start; }",
    ".linkbox form { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }",
    ".linkbox input { font-size: 15px; padding: 5px 8px; border: 1px solid #b8c2cc; border-radius: 8px; width: 8.5em; letter-spacing: 2px; }",
    ".linkbox input:focus-visible { outline: 3px solid #0b3d91; outline-offset: 2px; }",
    ".sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }",
    ".toolform { display: flex; flex-direction: column; gap: 5px; margin-top: 8px; padding: 8px; border: 1px solid #dde3ea; border-radius: 8px; background: #f8fafc; white-space: normal; }",
    ".toolform label { font-size: 13px; font-weight: 600; }",
    ".panel > .toolform { margin: 0 8px 8px; }",
    ".toolform textarea { font: inherit; font-size: 15px; padding: 6px 8px; border: 1px solid #b8c2cc; border-radius: 8px; resize: vertical; }",
    ".toolform textarea:focus-visible { outline: 3px solid #0b3d91; outline-offset: 1px; }",
    ".toolform input { flex: 1; min-width: 0; font-size: 15px; padding: 6px 8px; border: 1px solid #b8c2cc; border-radius: 8px; }",
    ".toolform input:focus-visible { outline: 3px solid #0b3d91; outline-offset: 1px; }",
    ".toolform input[aria-invalid=true] { border-color: #b3261e; }",
    ".toolform .send { padding: 6px 12px; font-size: 14px; }",
    ".toolform .cancel { font-size: 13px; border: 1px solid #c5cdd6; background: #fff; color: #1d2733; border-radius: 8px; padding: 4px 8px; cursor: pointer; align-self: flex-start; }",
    ".toolnote { font-size: 13px; color: #b3261e; }",
    ".toolnote:empty { display: none; }"
  ].join("\n");

  var host = document.createElement("div");
  host.setAttribute("data-faqbot", "");
  var root = host.attachShadow({ mode: "open" });
  var style = document.createElement("style");
  style.textContent = CSS;
  root.appendChild(style);

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  var wrap = el("div", { style: "--c: " + COLOR });
  var launcher = el("button", { class: "launcher", type: "button", "aria-label": "Открыть чат: " + TITLE, "aria-expanded": "false", "aria-controls": "faqbot-panel" });
  var SVG = "http://www.w3.org/2000/svg";
  var icon = document.createElementNS(SVG, "svg");
  icon.setAttribute("viewBox", "0 0 24 24");
  icon.setAttribute("width", "28");
  icon.setAttribute("height", "28");
  icon.setAttribute("aria-hidden", "true");
  var bubble = document.createElementNS(SVG, "path");
  bubble.setAttribute("d", "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z");
  bubble.setAttribute("fill", "currentColor");
  icon.appendChild(bubble);
  launcher.appendChild(icon);
  var badge = el("span", { class: "badge", hidden: "", "aria-hidden": "true" });
  launcher.appendChild(badge);
  // Read out when a reply comes while the chat is closed (the log is hidden then).
  var arrived = el("div", { class: "sr", role: "status" });
  var panel = el("section", { class: "panel", id: "faqbot-panel", role: "dialog", "aria-label": TITLE, hidden: "" });
  var head = el("div", { class: "head" });
  var title = el("h2", {}, TITLE);
  var close = el("button", { type: "button", "aria-label": "Закрыть чат" }, "✕");
  head.appendChild(title);
  head.appendChild(close);
  // Not a live region itself: a reopened chat puts 50 messages in it at once, and each
  // «Показать предыдущие сообщения» 50 more. New messages are read out by `spoken` instead.
  var log = el("div", { class: "log", role: "log", "aria-live": "off", "aria-label": "Переписка" });
  var spoken = el("div", { class: "sr", "aria-live": "polite" });
  // Not aria-hidden: a status, read out when it shows.
  var TYPING = "Консультант печатает…";
  var LOADING = "Загружаем историю…";  // while a reopened chat's history loads
  var typing = el("div", { class: "typing", hidden: "" }, TYPING);
  var foot = el("form", { class: "foot" });
  var label = el("label", { class: "sr", for: "faqbot-input" }, "Ваш вопрос");
  // No maxlength: a browser cuts a longer text pasted in without a word; `tooLong` says so.
  var input = el("textarea", { id: "faqbot-input", rows: "1", placeholder: "Напишите вопрос…" });
  var send = el("button", { class: "send", type: "submit" }, "Отправить");
  var person = el("button", { class: "person", type: "button" }, "Позвать оператора");
  // Said when a message is sent while the chat is busy (an answer or the history on its
  // way): until 2026-12-05 Enter then did nothing and said nothing.
  var hint = el("p", { class: "hint", id: "faqbot-hint", role: "status" });
  var row = el("div", { class: "row" });
  row.appendChild(input);
  row.appendChild(send);
  foot.appendChild(label);
  foot.appendChild(hint);
  foot.appendChild(row);
  foot.appendChild(person);
  panel.appendChild(head);
  panel.appendChild(log);
  panel.appendChild(foot);
  panel.appendChild(spoken);
  wrap.appendChild(launcher);
  wrap.appendChild(panel);
  wrap.appendChild(arrived);
  root.appendChild(wrap);

  var sessionId = null;
  sessionId = stored(STORE);
  var events = null;
  var lastLive = 0;
  var started = false;
  // The newest message of the conversation this tab has shown (null before it showed one):
  // loaded anew, the chat reads out only what came after it.
  var known = null;
  var unread = 0;
  var configReady = null; /* what the server offers: {email: true} shows the e-mail button */

  function remember(id) {
    if (!id || id === sessionId) { return; }
    sessionId = id;
    store(STORE, id);
    seen();
    listen();
  }

  /* Plain text with http(s) links made clickable; nothing is parsed as HTML. */
  function linkify(node, text) {
    var last = 0;
    String(text).replace(URL_RE, function (url, offset) {
      if (offset > last) { node.appendChild(document.createTextNode(text.slice(last, offset))); }
      var a = el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, url);
      node.appendChild(a);
      last = offset + url.length;
      return url;
    });
    if (last < text.length) { node.appendChild(document.createTextNode(text.slice(last))); }
  }

  var WHO = { bot: "Консультант", operator: "Специалист", system: "Сообщение" };

  /* A message, not yet on the page. */
  function makeMessage(author, text, extra) {
    var msg = el("div", { class: "msg " + author });
    if (WHO[author]) { msg.appendChild(el("span", { class: "who" }, WHO[author])); }
    var body = el("span", { class: "text" });
    linkify(body, text);
    msg.appendChild(body);
    if (extra) { extra(msg); }
    return msg;
  }

  /* Read `text` out once (the citizen's own messages are not: they typed them). */
  function say(text) {
    spoken.appendChild(el("p", {}, text));
    while (spoken.childNodes.length > 5) { spoken.removeChild(spoken.firstChild); }
  }

  /* What a screen reader says of a new message: who, the text, the candidates offered. */
  function sayMessage(msg) { say(spokenText(msg)); }

  function spokenText(msg) {
    var parts = msg.classList.contains("citizen") ? ["Вы написали:"] : [];
    Array.prototype.forEach.call(msg.children, function (part) {
      if (part.classList.contains("who")) { parts.push(part.textContent + ":"); }
      else if (part.classList.contains("choices")) {
        parts.push("Варианты ответа: " + Array.prototype.map.call(part.querySelectorAll("button"), function (b) { return b.textContent; }).join("; ") + ".");
      } else if (part.classList.contains("stars")) { parts.push(part.getAttribute("aria-label") + ": кнопки от 1 до 5."); }
      else if (!part.classList.contains("tools")) { parts.push(part.textContent); }
    });
    return parts.join(" ");
  }

  function addMessage(author, text, extra) {
    var msg = makeMessage(author, text, extra);
    log.insertBefore(msg, typing);
    if (author !== "citizen") { sayMessage(msg); }
    reveal(msg);
    // A short screen's panel scrolled down to a form: bring the new message into sight.
    if (panel.scrollTop && msg.scrollIntoView) { msg.scrollIntoView({ block: "nearest" }); }
    return msg;
  }

  /* The log scrolled to its end, but a new message of the others' taller than the log
     shows from its beginning, its first line at the top, to be read down (until 2026-12-05
     a long answer on a phone with the on-screen keyboard out, the log a few lines high,
     showed only its end). Messages that come after it before the citizen has seen the end
     scroll no further than that first line: until the night of 2026-12-05 the notice that
     came right after an operator's answer («Ответить и завершить») hid its beginning. */
  var REVEAL_MARGIN = 8;  // px above the message's top: the gap between messages
  var firstNew = null;  // the first of the others' messages not yet seen to its end
  var cameShut = false;  // messages came while the chat was closed: shown when it opens
  function reveal(msg) {
    if (msg.classList.contains("citizen")) { firstNew = null; log.scrollTop = log.scrollHeight; return; }
    if (!firstNew || !log.contains(firstNew)) { firstNew = msg; }
    // A closed chat's log has no size to scroll (until the night of 2026-12-05 an operator's
    // reply that came while it was closed stood below the log's edge when it opened).
    if (panel.hidden) { cameShut = true; return; }
    showNew();
  }
  function showNew() {
    cameShut = false;
    log.scrollTop = log.scrollHeight;
    if (!firstNew || !log.contains(firstNew)) { firstNew = null; return; }
    var above = log.getBoundingClientRect().top + REVEAL_MARGIN - firstNew.getBoundingClientRect().top;
    if (above > 0) { log.scrollTop -= above; }
    if (log.scrollHeight - log.scrollTop - log.clientHeight < 1) { firstNew = null; }  // all in sight
  }

  /* Whether the citizen has scrolled up from the log's end (to read earlier messages). */
  var AT_END_PX = 24;
  function awayFromEnd() { return log.scrollHeight - log.scrollTop - log.clientHeight >= AT_END_PX; }

  /* An inline form under an answer: a labelled field, a note read out on mistakes, send and
     leave buttons, Escape to leave. `spec.check(value)` returns a complaint or null;
     `spec.send(value)` a promise of what to say in the chat; a failure keeps the form open
     with the reason. `spec.closed` runs when the form goes away (sent or left). */
  var inlineForms = 0;
  function inlineForm(bar, spec) {
    inlineForms += 1;
    var id = "faqbot-form-" + inlineForms;
    var form = el("form", { class: "toolform", id: id + "-form", novalidate: "", "aria-label": spec.title });
    spec.attrs.id = id;
    spec.attrs["aria-describedby"] = id + "-note";
    var field = el(spec.tag, spec.attrs);
    var note = el("span", { class: "toolnote", id: id + "-note", role: "alert" });
    var submit = el("button", { class: "send", type: "submit" }, "Отправить");
    var leave = el("button", { class: "cancel", type: "button" }, spec.leave);
    var line = el("div", { class: "row" });
    form.appendChild(el("label", { for: id }, spec.label));
    if (spec.tag === "input") {  // a short field: the button beside it
      line.appendChild(field);
      line.appendChild(submit);
      form.appendChild(line);
      form.appendChild(note);
      form.appendChild(leave);
    } else {
      form.appendChild(field);
      form.appendChild(note);
      line.appendChild(submit);
      line.appendChild(leave);
      form.appendChild(line);
    }
    function close() { form.remove(); spec.closed(); }
    function refuse(text) {
      field.setAttribute("aria-invalid", "true");
      note.textContent = text;
      field.focus();
    }
    field.addEventListener("input", function () { field.removeAttribute("aria-invalid"); note.textContent = ""; });
    // Enter sends a multi-line field too, as in the question box; Shift+Enter adds a line.
    if (spec.tag === "textarea") {
      field.addEventListener("keydown", function (e) {
        if (e.key !== "Enter" || e.shiftKey || e.isComposing) { return; }
        e.preventDefault();
        if (!submit.disabled) { submit.click(); }
      });
    }
    leave.addEventListener("click", close);
    form.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); close(); }
    });
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var value = field.value.trim();
      var complaint = spec.check(value);
      if (complaint) { refuse(complaint); return; }
      submit.disabled = true;
      spec.send(value).then(function (said) {
        close();
        addMessage("system", said);
      }, function (err) {
        submit.disabled = false;
        refuse((err && err.message) || spec.failed);
      });
    });
    bar.parentNode.insertBefore(form, bar.nextSibling);
    field.focus();
    if (form.scrollIntoView) { form.scrollIntoView({ block: "nearest" }); }
    return { id: form.id, close: close };
  }

  /* "Отправить ответ на e-mail": the server mails the knowledge-base entry itself, so only
     the session, the entry id and the address are sent. */
  var EMAIL_RE = /^[^\s@,;<>"]+@[^\s@,;<>"]+\.[^\s@,;<>".]+$/;

  function mailButton(bar, after, entryId) {
    var toggle = el("button", { type: "button", "aria-expanded": "false" }, "Отправить на e-mail");
    bar.insertBefore(toggle, after.nextSibling);
    var open = null;
    toggle.addEventListener("click", function () {
      if (open) { open.close(); return; }
      open = inlineForm(bar, {
        title: "Отправить ответ на e-mail",
        label: "Ваш e-mail",
        tag: "input",
        attrs: { type: "email", name: "email", autocomplete: "email", inputmode: "email", maxlength: "200", placeholder: "name@example.ru" },
        leave: "Отмена",
        failed: "Не удалось отправить письмо. Попробуйте ещё раз.",
        check: function (address) {
          return EMAIL_RE.test(address) ? null : "Проверьте адрес: нужен адрес вида name@example.ru.";
        },
        send: function (address) {
          return api("/api/v1/email", { session_id: sessionId, entry_id: entryId, email: address }).then(function (r) { return r.message; });
        },
        closed: function () {
          open = null;
          toggle.setAttribute("aria-expanded", "false");
          toggle.focus();
        }
      });
      toggle.setAttribute("aria-controls", open.id);
      toggle.setAttribute("aria-expanded", "true");
    });
  }

  // After 👎: what was wrong, in the citizen's words (optional; staff read it in the report).
  function commentForm(bar, messageId) {
    var requestId = newRequestId();  // the same comment sent again is kept once
    inlineForm(bar, {
      title: "Комментарий к оценке",
      label: "Спасибо за оценку. Что было не так? (необязательно)",
      tag: "textarea",
      attrs: { name: "comment", rows: "2" },  // a longer comment is refused with the reason, kept
      leave: "Пропустить",
      failed: "Не удалось отправить комментарий. Попробуйте ещё раз.",
      check: function (comment) {
        return comment ? null : "Напишите пару слов или нажмите «Пропустить».";
      },
      send: function (comment) {
        return api("/api/v1/feedback", { session_id: sessionId, message_id: messageId, helpful: false, comment: comment, request_id: requestId }).then(function () {
          return "Спасибо! Комментарий передан специалистам.";
        });
      },
      closed: function () { input.focus(); }
    });
  }

  function tools(msg, text, messageId, entryId) {
    var bar = el("div", { class: "tools" });
    var copy = el("button", { type: "button" }, "Копировать ответ");
    copy.addEventListener("click", function () {
      var done = function () { copy.textContent = "Скопировано"; };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { copy.textContent = "Не удалось скопировать"; });
      } else { copy.textContent = "Не удалось скопировать"; }
    });
    bar.appendChild(copy);
    if (entryId && configReady) {
      configReady.then(function (c) { if (c.email) { mailButton(bar, copy, entryId); } });
    }
    if (messageId) {
      var rating = false;
      [[true, "👍", "Ответ помог"], [false, "👎", "Ответ не помог"]].forEach(function (spec) {
        var b = el("button", { type: "button", "aria-label": spec[2], "aria-pressed": "false" }, spec[1]);
        var requestId = newRequestId();  // pressed again after a lost answer: counted once
        b.addEventListener("click", function () {
          if (rating) { return; }  // a double press rates once
          rating = true;
          var focused = root.activeElement === b;
          api("/api/v1/feedback", { session_id: sessionId, message_id: messageId, helpful: spec[0], request_id: requestId }).then(function () {
            bar.querySelectorAll("button[aria-pressed]").forEach(function (x) { x.setAttribute("aria-pressed", "false"); x.disabled = true; });
            b.setAttribute("aria-pressed", "true");
            if (spec[0]) {
              addMessage("system", "Спасибо за оценку!");
              // The pressed button is disabled now, which drops focus to the page: a keyboard
              // user goes on from the question box, as after 👎's comment.
              if (focused) { input.focus(); }
            } else { commentForm(bar, messageId); }
          }, showError).then(function () { rating = false; });
        });
        bar.appendChild(b);
      });
    }
    msg.appendChild(bar);
  }

  /* A clarification's candidates as buttons; the one pressed is asked for. Once answered,
     or overtaken by a newer answer, they stay in sight but cannot be pressed (see
     `settleChoices`): until 2026-12-05 an old candidate pressed later asked its question. */
  function choiceButtons(msg, choices) {
    var list = el("div", { class: "choices", role: "group", "aria-label": "Варианты ответа" });
    choices.forEach(function (c) {
      var b = el("button", { type: "button" }, c.title);
      var requestId = newRequestId();  // pressed again after a lost answer: answered once
      var lost = null;  // the bubble of a press the server did not answer
      b.addEventListener("click", function () {
        // A double press, or a press while an answer is on its way, asks nothing more (the
        // second press of a double click may land on the next candidate, moved up meanwhile).
        if (send.disabled || b.disabled) { return; }
        if (lost) { lost.remove(); }  // pressed again: one bubble, at the end
        var asked = addMessage("citizen", c.title);
        busy(api("/api/v1/choose", { session_id: sessionId, entry_id: c.entry_id, request_id: requestId })).then(function (r) {
          lost = null;
          showReply(r, asked);
        }, function (err) {
          lost = unsent(asked);
          showError(err);
        });
      });
      list.appendChild(b);
    });
    msg.appendChild(list);
  }

  /* Whether the focus on `node` came by keyboard: only then is it moved to the question box
     when `node` goes (a finger's tap would bring the on-screen keyboard out over the answer). */
  function byKeyboard(node) {
    try { return node.matches(":focus-visible"); } catch (e) { return true; }
  }

  /* Candidates a newer answer came after are spent: greyed and not pressable, the one
     picked (the citizen's first message after them that is one of them, before the next
     clarification) marked pressed. Live and in a chat opened again alike. */
  function settleChoices() {
    log.querySelectorAll(".choices").forEach(function (list) {
      var buttons = list.querySelectorAll("button");
      if (!buttons.length || buttons[0].disabled) { return; }
      var later = [];
      for (var next = list.parentNode.nextElementSibling; next; next = next.nextElementSibling) {
        if (next.classList.contains("msg")) { later.push(next); }
      }
      if (!later.some(function (m) { return m.classList.contains("bot"); })) { return; }
      // Until 2026-12-05 only the citizen's very next message counted: a candidate pressed
      // after «???» (asked to put it in words) was not marked.
      var titles = Array.prototype.map.call(buttons, function (b) { return b.textContent; });
      var picked = null;
      for (var i = 0; i < later.length && picked === null && !later[i].querySelector(".choices"); i++) {
        var text = later[i].querySelector(".text").textContent;
        if (later[i].classList.contains("citizen") && !later[i].classList.contains("unsent") && titles.indexOf(text) >= 0) { picked = text; }
      }
      var focused = list.contains(root.activeElement) && byKeyboard(root.activeElement);
      buttons.forEach(function (b) {
        b.disabled = true;
        if (b.textContent === picked) { b.setAttribute("aria-pressed", "true"); }
      });
      // A disabled button drops the focus to the page: a keyboard user goes on from the box.
      if (focused) { input.focus(); }
    });
  }

  /* The reply to the citizen's message shown as `bubble`. */
  function showReply(r, bubble) {
    if (r.message_id && known !== null) { known = Math.max(known, r.message_id); }
    // A message that went to the ticket: no message of the bot's follows it to say the
    // conversation has it. Its own id tells it in the history loaded anew, where its text
    // may read otherwise (a phone number masked): until 2026-12-05 it was read out again.
    if (r.said_id && bubble) { bubble.setAttribute("data-id", String(r.said_id)); }
    if (r.kind === "silent") { return; }
    var choosing = r.kind === "clarify" && r.choices && r.choices.length;
    // The choices become buttons: the prompt stays, its plain-text listing of them goes
    // (the history and channels without buttons keep the listing).
    var text = choosing ? r.text.split("\n")[0] : r.text;
    if (r.ticket_number) { setOpenTicket(r.ticket_number); } else if (r.kind === "answer" || r.kind === "clarify") { setOpenTicket(null); }
    addMessage(r.kind === "notice" ? "system" : "bot", text, function (msg) {
      if (r.message_id) { msg.setAttribute("data-id", String(r.message_id)); }
      if (choosing) { choiceButtons(msg, r.choices); }
      if (r.kind === "answer") { linkLines(msg, r.links); }
      if (r.ticket_number) { ticketLine(msg, r.ticket_number, r.due_text); }
      if (r.notice) { msg.appendChild(el("span", { class: "notice" }, r.notice)); }
      if (r.kind === "answer") { tools(msg, r.text, r.message_id, r.entry_id); }
    });
    if (r.mark) { pressMark(r.mark.ticket_number, r.mark.stars); }
    settleChoices();
  }

  function ticketLine(msg, number, due) {
    msg.appendChild(el("span", { class: "ticket" }, "Номер обращения: " + number + (due ? " · " + due : "")));
  }

  /* An answer's links from the base, one a line under it (http(s) only). */
  function linkLines(msg, links) {
    (links || []).forEach(function (l) {
      var line = el("span", { class: "ticket" });
      if (/^https?:\/\//.test(l.url)) {
        line.appendChild(el("a", { href: l.url, target: "_blank", rel: "noopener noreferrer" }, l.title));
      }
      msg.appendChild(line);
    });
  }

  /* 1-5 buttons under a message that asks for a mark for ticket `number` (the closing
     message). A mark may be changed: the latest counts, and the pressed button shows it. */
  function markButtons(msg, number) {
    var group = el("div", { class: "stars", role: "group", "aria-label": "Оцените ответ по обращению № " + number, "data-ticket": String(number) });
    [1, 2, 3, 4, 5].forEach(function (stars) {
      var b = el("button", { type: "button", "aria-pressed": "false", "aria-label": "Оценка " + stars + " из 5" }, String(stars));
      b.addEventListener("click", function () {
        if (send.disabled) { return; }  // a double press rates once
        busy(api("/api/v1/tickets/" + number + "/rating", { session_id: sessionId, stars: stars })).then(function (r) {
          pressMark(number, stars);
          addMessage("system", r.text);
        }, showError);
      });
      group.appendChild(b);
    });
    msg.appendChild(group);
  }

  /* Show mark `stars` as the pressed one on ticket `number`'s 1-5 buttons: after a press,
     and after a mark typed as a message ("5"). */
  function pressMark(number, stars) {
    // Every closing message of the ticket (it may have been reopened and closed again).
    log.querySelectorAll('.stars[data-ticket="' + number + '"]').forEach(function (group) {
      group.querySelectorAll("button").forEach(function (x, i) {
        x.setAttribute("aria-pressed", i + 1 === stars ? "true" : "false");
      });
    });
  }

  var OFFLINE = "Не удалось связаться с сервером. Проверьте подключение к интернету и попробуйте ещё раз.";

  function showError(err) {
    addMessage("system", (err && err.message) || OFFLINE);
  }

  function api(path, body) {
    var options = body === undefined ? {} : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) };
    return request(path, options, QUIET_MS);
  }

  /* A request the connection lost mid-way may never end (a phone's network gone, a dead
     Wi-Fi): it is given up when the browser says it went offline, and a question's after
     QUIET_MS without an answer (a file's upload may take longer on a slow line), so that the
     chat is not left "typing" with "Отправить" disabled for good. */
  // Longer than the server waits for a database connection (30 s) before it refuses with
  // its reason: an answer or refusal that comes at 30 s is shown, not thrown away (the
  // question, answered, was given back and sent a second time).
  var QUIET_MS = 60000;
  var UPLOAD_BYTES_PER_MS = 20;  // 20 KB/s: a poor mobile line's upload
  var pending = [];
  window.addEventListener("offline", function () {
    pending.slice().forEach(function (controller) { controller.abort(); });
  });

  function request(path, options, quietMs) {
    var controller = window.AbortController ? new AbortController() : null;
    var timer = null;
    if (controller) {
      options.signal = controller.signal;
      pending.push(controller);
      if (quietMs) { timer = setTimeout(function () { controller.abort(); }, quietMs); }
    }
    var settled = function () {
      clearTimeout(timer);
      if (controller) { pending.splice(pending.indexOf(controller), 1); }
    };
    return fetch(API + path, options).then(function (resp) {
      settled();
      return resp.json().catch(function () { return {}; }).then(function (json) {
        if (!resp.ok) {
          var refused = new Error(typeof json.detail === "string" ? json.detail : "Ошибка сервера (" + resp.status + "). Попробуйте ещё раз.");
          refused.status = resp.status;
          throw refused;
        }
        if (json.session_id) { remember(json.session_id); }
        if (options.method === "POST") { store(CHANGED, Date.now() + "-" + Math.random()); }
        return json;
      });
    }, function () {
      settled();
      // The browser's own words ("Failed to fetch") are English and say nothing to a citizen.
      throw new Error(OFFLINE);
    });
  }

  /* The chat is busy until the last of its requests is done: until 2026-12-05 «Мои
     обращения» answered while a question was on its way hid «Консультант печатает…» and let
     another question go before the first one's answer. */
  var underway = 0;
  function busy(promise, note) {
    if (!underway) { typing.textContent = note || TYPING; }
    underway += 1;
    typing.hidden = false;
    send.disabled = true;
    log.scrollTop = log.scrollHeight;
    var done = function () {
      underway -= 1;
      if (underway) { return; }
      typing.hidden = true;
      typing.textContent = TYPING;
      send.disabled = false;
      hint.textContent = "";
      setTimeout(refresh, 0);  // after the answer is shown: the history has it then
    };
    promise.then(done, done);
    return promise;
  }

  function ask(text, requestId) {
    adopt(true);
    var bubble = addMessage("citizen", text);
    var body = { question: text, request_id: requestId };
    if (sessionId) { body.session_id = sessionId; }
    return busy(api("/api/v1/ask", body)).then(function (r) { showReply(r, bubble); }, function (err) {
      showError(err);
      giveBack(text, requestId, unsent(bubble));
    });
  }

  /* The bubble of a message the server did not take, marked so (until 2026-12-05 it looked
     sent, and stood beside the same message sent again until a reload). */
  function unsent(bubble) {
    bubble.classList.add("unsent");
    bubble.appendChild(el("span", { class: "unsent-note" }, "Не отправлено"));
    return bubble;
  }

  /* A message the server did not take goes back into the box (unless the citizen has typed
     something else since), so that it is sent again with a key press, not typed again; with
     the id it was sent with. The server may have taken it after all (the answer was lost on
     the way, or came after the browser went offline or after QUIET_MS): sent again with the
     same id it gets the same answer, and is not asked twice. */
  var givenBack = null;
  function giveBack(text, requestId, bubble) {
    if (!input.value.trim()) { input.value = text; fit(); givenBack = { text: text, id: requestId, bubble: bubble }; }
  }

  /* The id of a message about to be sent: the one it had if it is a message given back,
     whose bubble marked unsent goes (the message is shown again, at the end). */
  function requestIdFor(text) {
    var again = givenBack && givenBack.text === text ? givenBack : null;
    givenBack = null;
    if (again && again.bubble) { again.bubble.remove(); }
    return again ? again.id : newRequestId();
  }

  /* A random id of one request, of the form the server takes (8-64 of A-Z a-z 0-9 _ -). */
  function newRequestId() {
    if (window.crypto && window.crypto.getRandomValues) {
      var bytes = new Uint8Array(12);
      window.crypto.getRandomValues(bytes);
      return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_");
    }
    return (Date.now().toString(36) + Math.random().toString(36).slice(2)).slice(0, 24);
  }

  /* localStorage, which private modes may refuse: then nothing outlives the page. */
  function stored(key) {
    try { return localStorage.getItem(key); } catch (e) { return null; }
  }

  function store(key, value) {
    try {
      if (value === null) { localStorage.removeItem(key); } else { localStorage.setItem(key, String(value)); }
    } catch (e) { /* ignore */ }
  }

  function launcherLabel() {
    var label = (panel.hidden ? "Открыть чат: " : "Закрыть чат: ") + TITLE;
    return unread ? label + " (новых сообщений: " + unread + ")" : label;
  }

  function setUnread(count) {
    unread = count;
    badge.textContent = count > 99 ? "99+" : String(count);
    badge.hidden = !count;
    launcher.setAttribute("aria-label", launcherLabel());
    if (count) { arrived.textContent = "Новое сообщение в чате «" + TITLE + "»: " + count; }
  }

  function seen() {
    store(SEEN, lastLive);
  }

  /* A live message: seen if the chat is open, else counted on the launcher. */
  function arrivedLive() {
    if (!panel.hidden) { seen(); return; }
    setUnread(unread + 1);
  }

  /* On a page opened with a ticket waiting for people: watch for replies without opening
     the chat (the history brings them in when it opens). */
  function watch() {
    var after = parseInt(stored(SEEN) || "", 10);
    if (!sessionId || !stored(WAITING) || !(after >= 0) || !window.EventSource) { return; }
    lastLive = after;
    subscribe(function (event) {
      if (fresh(event)) { arrivedLive(); }
    });
  }

  /* The live channel from the last message seen, each reply to `handler`. The browser
     reconnects a dropped stream by itself, but gives up for good on an answer that is not a
     stream (429, a 503 while the database is away, a proxy's 502 while the server restarts):
     then it is opened again here, later and later (3 s, doubling, at most a minute). */
  var retryDelay = 0;
  var retryTimer = null;
  function subscribe(handler) {
    if (events) { events.close(); }
    clearTimeout(retryTimer);
    var source = new EventSource(API + "/api/v1/events?session_id=" + encodeURIComponent(sessionId) + "&after=" + lastLive);
    source.addEventListener("reply", handler);
    source.addEventListener("open", function () { retryDelay = 0; });
    source.addEventListener("error", function () {
      if (source !== events || source.readyState !== EventSource.CLOSED) { return; }
      retryDelay = Math.min(retryDelay ? retryDelay * 2 : 3000, 60000);
      retryTimer = setTimeout(function () { if (source === events) { subscribe(handler); } }, retryDelay);
    });
    events = source;
  }

  /* A live event's message if it is one not seen yet (a reconnect replays some), else null. */
  function fresh(event) {
    var item;
    try { item = JSON.parse(event.data); } catch (e) { return null; }
    if (item.id <= lastLive) { return null; }
    lastLive = item.id;
    return item;
  }

  function live(event) {
    var item = fresh(event);
    if (!item) { return; }
    arrivedLive();
    // A citizen reading earlier messages is left where they read (until the night of
    // 2026-12-05 an operator's message pulled the log down to itself); it is read out.
    // Scrolled away by the citizen, not by the log growing under its end (a button put
    // under an answer later, a form opened).
    var reading = !atEnd && awayFromEnd() ? log.scrollTop : null;
    addMessage(item.author === "system" ? "system" : "operator", item.text, function (msg) {
      if (item.asks_rating && item.ticket_number) { markButtons(msg, item.ticket_number); }
    });
    if (reading !== null) { log.scrollTop = reading; }
    // News about a ticket may be that it closed: ask which one is still open.
    if (item.ticket_number && sessionId) {
      api("/api/v1/tickets?session_id=" + encodeURIComponent(sessionId)).then(function (r) {
        var still = r.tickets.filter(function (t) { return t.open; })[0];
        setOpenTicket(still ? still.number : null);
      }, function () { /* the button stays; a closed ticket refuses files with a reason */ });
    }
  }

  function listen() {
    if (!sessionId || !window.EventSource) { return; }
    subscribe(live);
  }

  /* A message of the history as it was shown when it came, not yet on the page. */
  function historyMessage(m) {
    // A clarification comes back as it was offered: the prompt, and its candidates as buttons.
    var offered = m.choices && m.choices.length ? m.choices : null;
    // As it looked when it came (until 2026-12-05 a reload showed an operator's words without
    // their ticket, «???»'s answer as the bot's, greying the candidates before it, and no
    // «Номер обращения» under a hand-off).
    var text = m.shown_text || m.text;
    return makeMessage(m.notice ? "system" : m.author, offered ? text.split("\n")[0] : text, function (msg) {
      msg.setAttribute("data-id", String(m.id));
      if (m.ticket_number && m.author !== "operator") { ticketLine(msg, m.ticket_number, m.due_text); }
      if (offered) { choiceButtons(msg, offered); }
      // An answer from the base keeps its tools: copy, e-mail, 👍 / 👎 (rated again, the
      // latest mark counts).
      else if (m.author === "bot" && m.entry_id) {
        linkLines(msg, m.links);  // as under the answer when it came
        tools(msg, m.text, m.id, m.entry_id);
      }
    });
  }

  /* A page of the history put on the page before `next`. Operator replies and ticket news
     are in it already: a closing message only gets its mark buttons back. */
  function showHistory(h, next) {
    var shown = Object.create(null);
    h.messages.forEach(function (m) {
      // A 1-5 button's press: the button shows it pressed (`marks`), as it did live.
      if (!m.pressed_mark) { shown[m.text] = log.insertBefore(historyMessage(m), next); }
    });
    h.live.forEach(function (e) {
      if (e.asks_rating && e.ticket_number && shown[e.text]) { markButtons(shown[e.text], e.ticket_number); }
    });
    (h.marks || []).forEach(function (m) { pressMark(m.ticket_number, m.stars); });
    if (h.messages.length) { oldestShown = h.messages[0].id; }
    // A long conversation comes a page at a time: the control above it loads the one before;
    // at its very beginning the greeting stands again, as it did when the chat was new.
    if (h.has_more) {
      if (!earlier.parentNode) { log.insertBefore(earlier, log.firstChild); }
    } else {
      if (earlier.parentNode) { earlier.remove(); }
      log.insertBefore(makeMessage("bot", GREETING), log.firstChild);
    }
    settleChoices();
  }

  /* «Показать предыдущие сообщения»: the page before the oldest message shown, put above it
     with the messages in sight kept where they are. */
  var oldestShown = null;
  var earlier = el("div", { class: "earlier" });
  var earlierButton = el("button", { type: "button" }, "Показать предыдущие сообщения");
  var earlierNote = el("span", { class: "toolnote", role: "status" });
  earlier.appendChild(earlierButton);
  earlier.appendChild(earlierNote);
  earlierButton.addEventListener("click", function () {
    if (earlierButton.disabled || !oldestShown) { return; }
    earlierButton.disabled = true;
    earlierButton.textContent = "Загрузка…";
    earlierNote.textContent = "";
    var focused = root.activeElement === earlierButton;
    api("/api/v1/history?session_id=" + encodeURIComponent(sessionId) + "&before=" + oldestShown).then(function (h) {
      var fromBottom = log.scrollHeight - log.scrollTop;
      showHistory(h, earlier.nextSibling);
      log.scrollTop = log.scrollHeight - fromBottom;
      say("Выше показаны предыдущие сообщения: " + h.messages.length + ".");
      if (focused && !earlier.parentNode) {  // the control is gone: keep the focus in the chat
        log.setAttribute("tabindex", "-1");
        log.focus({ preventScroll: true });
      }
    }, function (err) {
      earlierNote.textContent = "Не удалось загрузить сообщения. " + ((err && err.message) || OFFLINE);
    }).then(function () {
      earlierButton.disabled = false;
      earlierButton.textContent = "Показать предыдущие сообщения";
    });
  });

  function restore(heard, heardLive, heardHere) {
    if (!sessionId) { addMessage("bot", GREETING); known = 0; return Promise.resolve(); }
    // Busy while it loads: a question sent meanwhile came before the history, and again in it.
    return busy(api("/api/v1/history?session_id=" + encodeURIComponent(sessionId)), LOADING).then(function (h) {
      showHistory(h, typing);
      if (heard !== null) { sayNew(h, heard, heardLive, heardHere); }
      known = h.messages.reduce(function (newest, m) { return Math.max(newest, m.id); }, heard || 0);
      // Only skip past what was pushed live.
      h.live.forEach(function (e) { lastLive = Math.max(lastLive, e.id); });
      log.scrollTop = log.scrollHeight;  // the buttons put back since make it taller
      setOpenTicket(h.open_ticket);
      seen();
      listen();
    }, function (err) {
      addMessage("bot", GREETING);
      if (err && err.status === 422) {  // an id this server cannot take: start afresh
        store(STORE, null);
        sessionId = null;
        return;
      }
      // The server is away (restarting, the network, 429): the conversation is still there.
      // Keep the session, so nothing is lost, and load it again when the chat is next opened.
      started = false;
      addMessage("system", "Не удалось загрузить прошлую переписку. " + ((err && err.message) || OFFLINE) +
        " Переписка не потеряна: закройте и снова откройте чат, чтобы загрузить её.");
    });
  }

  /* The messages of a conversation loaded anew (another tab asked, or the chat was opened
     again) that this tab has not shown, read out as they would have been had they come here:
     until 2026-12-05 a screen reader heard nothing of another tab's answer. Messages up to
     `heard` were shown here, live replies up to `heardLive`, and those `heardHere` counts
     (see `shownSince`). */
  function sayNew(h, heard, heardLive, heardHere) {
    // An operator's words are pushed live headed with the ticket («Ответ по обращению № 1:
    // …»), and kept in the conversation bare: until 2026-12-05 each was read out again.
    var pushed = h.live.filter(function (e) { return e.id <= heardLive; }).map(function (e) { return e.text; });
    var wasPushed = function (text) {
      return pushed.some(function (p) { return p === text || p.slice(-text.length - 2) === ": " + text; });
    };
    var news = [];
    h.messages.forEach(function (m) {
      if (m.id <= heard) { return; }
      if (m.pressed_mark) { return; }
      if (heardHere["#" + m.id]) { return; }  // this tab's own message, known by its id
      var key = said(m.notice ? "system" : m.author, m.shown_text || m.text);
      if (heardHere[key]) { heardHere[key] -= 1; return; }
      if (m.author !== "citizen" && wasPushed(m.text)) { return; }
      var msg = log.querySelector('.msg[data-id="' + m.id + '"]');
      if (msg) { news.push(msg); }
    });
    // A tab away for long came back to many: their number and the last one, not each of
    // them (until 2026-12-05 up to a page of 50 was read out, one after another).
    if (news.length > SAY_EACH_UP_TO) {
      say("Новых сообщений: " + news.length + ". Последнее: " + spokenText(news[news.length - 1]));
    } else {
      news.forEach(sayMessage);
    }
  }
  var SAY_EACH_UP_TO = 3;

  /* The messages shown here since the last one whose id this tab knows (the citizen's own
     messages and the notices a ticket's thread answers with, which come without one), each
     `said` key counted: loaded anew, the chat does not read them out again (until 2026-12-05
     a message added to a ticket was read out a second time when another tab asked). A
     message of the citizen's that went to the ticket has its own id ("#" + id): the bot's
     messages after it, which `known` counts, are none. */
  function shownSince() {
    var counts = Object.create(null);
    var shown = log.querySelectorAll(".msg");
    for (var i = shown.length - 1; i >= 0; i--) {
      var msg = shown[i];
      var id = msg.getAttribute("data-id");
      if (id !== null) {
        if (known === null || Number(id) <= known) { break; }
        counts["#" + id] = 1;
        continue;
      }
      var author = ["citizen", "bot", "operator", "system"].filter(function (a) { return msg.classList.contains(a); })[0];
      var text = msg.querySelector(".text");
      if (!author || !text || msg.classList.contains("unsent")) { continue; }
      var key = said(author, text.textContent);
      counts[key] = (counts[key] || 0) + 1;
    }
    return counts;
  }

  function said(author, text) {
    return author + ":" + String(text).replace(/\s+/g, " ").trim();
  }

  /* Two tabs of the site are one conversation: a tab that has none yet takes the one another
     tab started (each made its own, and a reload showed only the last one's), and a tab
     whose conversation another tab changed shows it anew, once it is in sight and idle. */
  var stale = false;
  function adopt(begin) {
    var id = stored(STORE);
    if (!sessionId && id) { sessionId = id; listen(); }
    // A question that begins the conversation names it before it leaves, in the storage the
    // tabs share: a second tab asking before the first one's answer came takes part in it
    // (each started one of its own, and only the last one's stayed in the chats).
    if (!sessionId && begin && window.crypto) { remember(newSessionId()); }
  }

  /* A random conversation id of the form the server takes (as it would make one). */
  function newSessionId() {
    var bytes = new Uint8Array(24);
    window.crypto.getRandomValues(bytes);
    return btoa(String.fromCharCode.apply(null, bytes)).replace(/\+/g, "-").replace(/\//g, "_");
  }
  window.addEventListener("storage", function (e) {
    if (e.key === STORE && e.newValue && e.newValue !== sessionId) {
      var had = sessionId;
      sessionId = e.newValue;
      // A conversation another tab just began: its question shows once it is answered there
      // (reloading now would hold up a question this tab is sending).
      if (!had) { return; }
    } else if (e.key !== CHANGED) { return; }
    stale = true;
    refresh();
  });
  document.addEventListener("visibilitychange", function () { refresh(); });
  function refresh() {
    if (!stale || !started || panel.hidden || document.visibilityState === "hidden" || send.disabled || drafting()) { return; }
    start();
  }
  /* A form in the chat with something typed in it (what was wrong with an answer, an e-mail
     address): the chat is not loaded anew, which would throw the text away, until it is sent
     or left (then at the next question, or when the tab is next come back to). */
  function drafting() {
    return Array.prototype.some.call(log.querySelectorAll("textarea, input"), function (field) { return field.value.trim(); });
  }

  function open() {
    panel.hidden = false;
    wrap.classList.add("open");
    launcher.setAttribute("aria-expanded", "true");
    if (!started || stale) {
      start();
    } else {
      seen();
      if (cameShut) { showNew(); }
    }
    setUnread(0);
    input.focus();
  }

  /* The conversation loaded, in place of what was shown. */
  function start() {
    started = true;
    stale = false;
    sessionId = sessionId || stored(STORE);
    // A history that failed to load before, or that another tab changed, is loaded anew, in
    // place of what was shown; a keyboard user on a button of it goes on from the question box
    // (the focus fell to the page: Escape no longer closed the chat, Tab left it).
    var focused = log.contains(root.activeElement) && byKeyboard(root.activeElement);
    var heardHere = shownSince();
    log.querySelectorAll(".msg").forEach(function (m) { m.remove(); });
    firstNew = null;
    cameShut = false;
    if (earlier.parentNode) { earlier.remove(); }
    if (focused) { input.focus({ preventScroll: true }); }
    oldestShown = null;
    configReady = api("/api/v1/config").then(function (c) {
      if (c.max_question_length) { maxQuestion = c.max_question_length; }
      return c;
    }).catch(function () { return { email: false }; });
    if (events) { events.close(); events = null; }  // the watcher: the history has it all
    var heardLive = lastLive;
    lastLive = 0;
    restore(known, heardLive, heardHere);
  }


  function shut() {
    panel.hidden = true;
    wrap.classList.remove("open");
    launcher.setAttribute("aria-expanded", "false");
    launcher.setAttribute("aria-label", launcherLabel());
    launcher.focus();
  }

  /* The on-screen keyboard coming out makes the screen shorter: the chat keeps its last
     message and the field being typed into in sight. */
  var atEnd = true;
  log.addEventListener("scroll", function () {
    atEnd = !awayFromEnd();
    if (atEnd) { firstNew = null; }  // read down to the end: what comes next shows at the end
  });
  window.addEventListener("resize", function () {
    if (panel.hidden) { return; }
    if (atEnd) { log.scrollTop = log.scrollHeight; }
    var field = root.activeElement;
    if (field && /^(TEXTAREA|INPUT)$/.test(field.tagName) && field.scrollIntoView) { field.scrollIntoView({ block: "nearest" }); }
  });

  launcher.addEventListener("click", function () { if (panel.hidden) { open(); } else { shut(); } });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (e) { if (e.key === "Escape") { e.preventDefault(); shut(); } });
  /* A chat that takes the whole screen covers the site: Tab goes round its own controls
     (it went on to the site's links under it, out of sight); ✕ or Escape leave it. */
  panel.addEventListener("keydown", function (e) {
    if (e.key !== "Tab" || !window.matchMedia || !window.matchMedia(WHOLE_SCREEN).matches) { return; }
    var controls = Array.prototype.filter.call(panel.querySelectorAll("button, textarea, input, select, a[href], [tabindex]"), function (c) {
      return !c.disabled && c.tabIndex >= 0 && c.getClientRects().length > 0;
    });
    var first = controls[0];
    var last = controls[controls.length - 1];
    var at = root.activeElement;
    if (e.shiftKey ? at === first || at === panel : at === last) {
      e.preventDefault();
      (e.shiftKey ? last : first).focus();
    }
  });
  /* The question box grows with what is typed, up to its max-height (then it scrolls): a
     longer question, or lines typed with Shift+Enter, are seen whole to be checked. */
  function fit() {
    input.style.height = "auto";
    if (input.value) { input.style.height = (input.scrollHeight + input.offsetHeight - input.clientHeight) + "px"; }
  }
  input.addEventListener("input", fit);
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); foot.requestSubmit ? foot.requestSubmit() : submit(e); }
  });
  /* The server's limit, counted as it counts (spaces collapsed, characters not UTF-16
     units): a longer question stays in the box with the reason, to be shortened. */
  var maxQuestion = 2000;
  function tooLong(text) {
    var length = Array.from(text.replace(/\s+/g, " ")).length;
    if (length <= maxQuestion) { return false; }
    addMessage("system", "Вопрос слишком длинный: " + length + " символов, можно не больше " + maxQuestion + ". Сократите его, пожалуйста: текст остался в поле ввода.");
    input.focus();
    return true;
  }

  function submit(e) {
    e.preventDefault();
    var text = input.value.trim();
    if (text && send.disabled) { wait(send.textContent); input.focus(); return; }
    if (!text || tooLong(text)) { return; }
    var requestId = requestIdFor(text);
    input.value = "";
    fit();
    ask(text, requestId);
  }
  foot.addEventListener("submit", submit);

  /* A message sent while the chat is busy: it stays in the box, and the citizen is told to
     send it once the answer (or the history) is shown; the hint goes then by itself. */
  function wait(what) {
    var loading = typing.textContent === LOADING;
    hint.textContent = (loading ? "Подождите, загружаем историю переписки." : "Подождите, ответ на предыдущее сообщение ещё не пришёл.") +
      (input.value.trim() ? " Текст остался в поле ввода: отправьте его" : " Нажмите «" + what + "» ещё раз") +
      ", когда " + (loading ? "она загрузится." : "придёт ответ.");
  }
  person.addEventListener("click", function () {
    var text = input.value.trim();
    if (send.disabled) { wait(person.textContent); return; }  // busy: the history or an answer on its way
    if (tooLong(text)) { return; }
    adopt(true);
    var requestId = requestIdFor(text);
    input.value = "";
    fit();
    var bubble = addMessage("citizen", text || "Позовите специалиста");  // as the history keeps it
    var body = { question: text || null, request_id: requestId };
    if (sessionId) { body.session_id = sessionId; }
    busy(api("/api/v1/handoff", body)).then(function (r) { showReply(r, bubble); }, function (err) {
      showError(err);
      unsent(bubble);
      // A bare call is given back too: pressed again, it is the same call.
      if (text) { giveBack(text, requestId, bubble); } else if (!input.value.trim()) { givenBack = { text: "", id: requestId, bubble: bubble }; }
    });
  });

  /* Linking with Telegram (a one-time code either way) and the citizen's tickets. */
  var more = el("div", { class: "more" });
  var mine = el("button", { type: "button" }, "Мои обращения");
  var linkToggle = el("button", { type: "button", "aria-expanded": "false", "aria-controls": "faqbot-link" }, "Связать с Telegram");
  /* A scan or screenshot for the open ticket: shown while the citizen has one. */
  var attach = el("button", { type: "button", hidden: "" }, "Прикрепить файл");
  var reachMe = el("button", { type: "button", hidden: "", "aria-expanded": "false" }, "Оставить контакты");
  var picker = el("input", { type: "file", hidden: "", tabindex: "-1", "aria-hidden": "true", accept: ".png,.jpg,.jpeg,.pdf,image/png,image/jpeg,application/pdf" });
  more.appendChild(attach);
  more.appendChild(reachMe);
  more.appendChild(picker);
  more.appendChild(mine);
  more.appendChild(linkToggle);
  var linkbox = el("div", { class: "linkbox", id: "faqbot-link", hidden: "" });
  linkbox.appendChild(el("span", {}, "Свяжите этот чат с Telegram-ботом, чтобы узнавать статус обращений из обоих каналов."));
  var getCode = el("button", { type: "button" }, "Получить код для Telegram");
  linkbox.appendChild(getCode);
  var linkForm = el("form", {});
  var codeLabel = el("label", { for: "faqbot-link-code" }, "Код из Telegram (/link):");
  var codeInput = el("input", { id: "faqbot-link-code", inputmode: "numeric", autocomplete: "one-time-code", maxlength: "12", placeholder: "123456" });
  var useCode = el("button", { type: "submit" }, "Связать");
  linkForm.appendChild(codeLabel);
  linkForm.appendChild(codeInput);
  linkForm.appendChild(useCode);
  linkbox.appendChild(linkForm);
  var unlinkButton = el("button", { type: "button" }, "Отвязать Telegram");
  linkbox.appendChild(unlinkButton);
  panel.appendChild(more);
  panel.appendChild(linkbox);

  /* A control whose request is on its way sends nothing more when pressed again (a double
     click, Enter pressed twice on a slow line): until 2026-12-05 «Получить код» showed two
     codes, the first already replaced by the second, and a code sent twice was refused
     under «Готово». `work` returns the request's promise, or nothing when it sent none. */
  function oneAtATime(work) {
    var going = false;
    return function (e) {
      if (e && e.type === "submit") { e.preventDefault(); }
      if (going) { return; }
      var sent = work();
      if (!sent) { return; }
      going = true;
      var done = function () { going = false; };
      sent.then(done, done);
    };
  }

  function withSession(body) {
    adopt();
    if (sessionId) { body.session_id = sessionId; }
    return body;
  }
  linkToggle.addEventListener("click", function () {
    var show = linkbox.hidden;
    linkbox.hidden = !show;
    linkToggle.setAttribute("aria-expanded", show ? "true" : "false");
    if (show) { getCode.focus(); }
  });
  getCode.addEventListener("click", oneAtATime(function () {
    return busy(api("/api/v1/link/code", withSession({}))).then(function (r) { addMessage("system", r.text); }, showError);
  }));
  linkForm.addEventListener("submit", oneAtATime(function () {
    var code = codeInput.value.trim();
    if (!code) { codeInput.focus(); return null; }
    return busy(api("/api/v1/link", withSession({ code: code }))).then(function (r) {
      codeInput.value = "";
      addMessage("system", r.text);
    }, showError);
  }));
  unlinkButton.addEventListener("click", oneAtATime(function () {
    if (!sessionId) { addMessage("system", "Этот чат не связан с другими каналами."); return null; }
    return busy(api("/api/v1/link/unlink", withSession({}))).then(function (r) { addMessage("system", r.text); }, showError);
  }));
  mine.addEventListener("click", oneAtATime(function () {
    if (!sessionId) { addMessage("system", "У вас пока нет обращений."); return null; }
    return busy(api("/api/v1/tickets?session_id=" + encodeURIComponent(sessionId))).then(function (r) {
      if (!r.tickets.length) { addMessage("system", "У вас пока нет обращений."); return; }
      var where = { web: "сайт", telegram: "Telegram" };
      addMessage("system", "Ваши обращения:\n" + r.tickets.map(function (t) {
        return "№ " + t.number + ": " + t.status_label + " (" + (where[t.channel] || t.channel) + ")";
      }).join("\n"));
    }, showError);
  }));

  var openTicket = null;
  function setOpenTicket(number) {
    openTicket = number || null;
    store(WAITING, openTicket);
    attach.hidden = !openTicket;
    reachMe.hidden = !openTicket;
    if (openTicket) { attach.setAttribute("aria-label", "Прикрепить файл к обращению № " + openTicket); }
    if (!openTicket && contactForm) { contactForm.close(); }
  }

  /* A phone or an e-mail for the open ticket, in one field: people may call or write back. */
  var contactForm = null;
  reachMe.addEventListener("click", function () {
    if (contactForm) { contactForm.close(); return; }
    contactForm = inlineForm(more, {
      title: "Контакты для связи",
      label: "Телефон или e-mail для связи",
      tag: "input",
      attrs: { type: "text", name: "contact", autocomplete: "on", maxlength: "200", placeholder: "+7 900 123-45-67" },
      leave: "Отмена",
      failed: "Не удалось сохранить контакты. Попробуйте ещё раз.",
      check: function (value) {
        if (!value) { return "Укажите телефон или адрес электронной почты."; }
        if (value.indexOf("@") >= 0 && !EMAIL_RE.test(value)) { return "Проверьте адрес: нужен адрес вида name@example.ru."; }
        return null;
      },
      send: function (value) {
        var body = { session_id: sessionId };
        if (value.indexOf("@") >= 0) { body.email = value; } else { body.phone = value; }
        return api("/api/v1/tickets/" + openTicket + "/contacts", body).then(function (r) { return r.text; });
      },
      closed: function () {
        contactForm = null;
        reachMe.setAttribute("aria-expanded", "false");
        if (!reachMe.hidden) { reachMe.focus(); }
      }
    });
    reachMe.setAttribute("aria-controls", contactForm.id);
    reachMe.setAttribute("aria-expanded", "true");
  });
  attach.addEventListener("click", function () { picker.value = ""; picker.click(); });
  picker.addEventListener("change", function () {
    var file = picker.files && picker.files[0];
    if (!file || !openTicket || !sessionId) { return; }
    // The service names a file for its content ("doc.pdf" that is a PNG is "doc.png"): the
    // echo takes that name once it is stored, as the operator and a reopened chat see it.
    var echo = addMessage("citizen", "📎 " + file.name);
    (configReady || Promise.resolve({})).then(function (c) {
      if (c.attachment_max_bytes && file.size > c.attachment_max_bytes) {
        addMessage("system", "Файл «" + file.name + "» слишком большой: можно не больше " + Math.floor(c.attachment_max_bytes / 1048576) + " МБ.");
        return;
      }
      var form = new FormData();
      form.append("session_id", sessionId);
      form.append("file", file, file.name);
      // Given up as a question is, with time added for the file on a slow line: a stalled
      // upload kept the chat busy, «Отправить» disabled, until the page was reloaded.
      var quiet = QUIET_MS + Math.ceil(file.size / UPLOAD_BYTES_PER_MS);
      busy(request("/api/v1/tickets/" + openTicket + "/attachments", { method: "POST", body: form }, quiet)).then(function (r) {
        if (r.filename) { echo.querySelector(".text").textContent = "📎 " + r.filename; }
        addMessage("system", r.text);
      }, showError);
    });
    attach.focus();
  });

  typing.setAttribute("role", "status");
  log.appendChild(typing);
  (document.body || document.documentElement).appendChild(host);
  watch();
})();
