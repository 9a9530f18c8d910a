// The operator console's scripts. Every page works without them; they only save a reload.
"use strict";

// "Вставить в ответ": put a knowledge-base answer into the reply without reloading the page
// (the link itself reloads it with the answer filled in), keeping what was typed already.
document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("a.use-answer") : null;
  const reply = document.getElementById("reply-text");
  const source = link ? document.getElementById(link.dataset.answer || "") : null;
  if (!link || !(reply instanceof HTMLTextAreaElement) || !source) {
    return;
  }
  event.preventDefault();
  const answer = source.textContent || "";
  const typed = reply.value.trimEnd();
  reply.value = typed ? `${typed}\n\n${answer}` : answer;
  // The reply records which entry it was made from (the last one inserted), for curators.
  const entry = document.getElementById("reply-entry");
  if (entry instanceof HTMLInputElement) {
    entry.value = link.dataset.entry || "";
  }
  reply.focus();
  reply.setSelectionRange(reply.value.length, reply.value.length);
});
