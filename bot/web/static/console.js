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

// Live pages: the queue and an open ticket refresh the parts that change (marked `data-live`)
// every `data-refresh-ms`, so an operator sees new tickets and a citizen's new messages without
// reloading. Forms are never among those parts: what is being typed stays; a part that holds
// the operator's focus waits for the next round.
const REFRESH_HEADER = "X-Console-Refresh";
const NEWS = {
  "queue-live": (count) => `Новые обращения в очереди. Всего ждут: ${count}.`,
  thread: () => "В переписке новое сообщение.",
};

const LOGIN_PATH = "/console/login";
let stopped = false;

// The session ended (it expired, or the operator logged out in another tab): say so once,
// with the way back, and stop refreshing; the page and what is typed in it stay.
function signedOut() {
  stopped = true;
  const notice = document.createElement("p");
  notice.className = "flash warning";
  notice.setAttribute("role", "alert");
  const link = document.createElement("a");
  link.href = LOGIN_PATH;
  link.textContent = "Войти снова";
  notice.append("Сеанс завершён, страница больше не обновляется. ", link);
  document.querySelector("main")?.prepend(notice);
}

function showQueueCount(count) {
  const shown = document.getElementById("queue-count");
  if (shown) {
    shown.textContent = String(count);
    document.title = document.title.replace(/^\(\d+\) /, "");
    if (count > 0) {
      document.title = `(${count}) ${document.title}`;
    }
  }
}

function announce(lines) {
  const news = document.getElementById("live-news");
  if (news && lines.length) {
    news.textContent = lines.join(" ");
  }
}

async function refreshLiveParts() {
  let response;
  try {
    // A page that answered a form (a refused closing, 409) refreshes from its ticket's address.
    response = await fetch(document.body.dataset.refreshUrl || window.location.href, {
      headers: { [REFRESH_HEADER]: "1" },
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch {
    return; // the server is away for a moment: the next round tries again
  }
  if (response.redirected && new URL(response.url).pathname === LOGIN_PATH) {
    signedOut();
    return;
  }
  if (!response.ok || response.redirected) {
    return; // the ticket is gone, or the server failed: the page stays as it is
  }
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  const lines = [];
  for (const part of document.querySelectorAll("[data-live][id]")) {
    const next = fresh.getElementById(part.id);
    if (!next || next.innerHTML === part.innerHTML || part.contains(document.activeElement)) {
      continue;
    }
    const grew = Number(next.dataset.count || 0) > Number(part.dataset.count || 0);
    part.innerHTML = next.innerHTML;
    if (next.dataset.count !== undefined) {
      part.dataset.count = next.dataset.count;
    }
    if (grew && NEWS[part.id]) {
      lines.push(NEWS[part.id](Number(part.dataset.count)));
    }
    if (part.id === "queue-live") {
      showQueueCount(Number(part.dataset.count));
    }
    if (next.dataset.seen !== undefined) {
      // The thread (the history) now shows these messages (files): closing the ticket is no
      // longer refused for them.
      part.dataset.seen = next.dataset.seen;
      for (const field of document.querySelectorAll(`input[data-seen="${part.id}"]`)) {
        field.value = next.dataset.seen;
      }
    }
  }
  announce(lines);
}

function startRefreshing() {
  const every = Number(document.body.dataset.refreshMs || 0);
  const queue = document.getElementById("queue-live");
  if (queue) {
    showQueueCount(Number(queue.dataset.count || 0));
  }
  if (every <= 0 || !document.querySelector("[data-live][id]")) {
    return;
  }
  const round = async () => {
    try {
      await refreshLiveParts();
    } catch {
      // a body cut off mid-way: the page stays as it is, and the next round tries again
    }
    if (!stopped) {
      window.setTimeout(round, every);
    }
  };
  window.setTimeout(round, every);
}

startRefreshing();
