/*
 * PNS Assistant chat widget: a small, accessible client of Rasa's socket.io channel.
 *
 * Why our own widget: rasa-webchat 1.0.1 (the last release) renders quick replies as
 * <div>s that the keyboard cannot reach, has no live region or input label, removes the
 * focus outline and loads fonts from Google at run time (see README, "Web chat").
 *
 * Safety: every text from the server is put in the page with textContent, never as HTML;
 * only http(s) URLs become links, opening in a new tab with rel="noopener noreferrer".
 * Privacy: the conversation is kept in sessionStorage (this tab only, gone when the tab is
 * closed), which is enough for a reload to keep it.
 * Languages: the page is in Russian (/) or English (/en/); the widget's own labels come from
 * the page (data-labels), every message says its language (lang attribute, so a screen
 * reader reads Russian as Russian), and the page's language goes to the assistant as a hint
 * (metadata "lang"): the assistant answers in the language the patient writes in, and a
 * switch of the page's language mid-conversation asks it to change language.
 */
(function () {
  "use strict";

  var STORE_KEY = "pns-chat-v1";
  var MAX_STORED = 200;
  var URL_PATTERN = /https?:\/\/[^\s<>"']+/g;
  var CYRILLIC = /[\u0400-\u04ff]/g;
  var LATIN = /[A-Za-z]/g;

  var root = document.getElementById("pns-chat");
  if (!root || typeof window.io !== "function") {
    return;
  }
  var el = {
    launcher: document.getElementById("pns-chat-launcher"),
    panel: document.getElementById("pns-chat-panel"),
    close: document.getElementById("pns-chat-close"),
    log: document.getElementById("pns-chat-log"),
    status: document.getElementById("pns-chat-status"),
    form: document.getElementById("pns-chat-form"),
    input: document.getElementById("pns-chat-input")
  };
  var config = {
    socketUrl: root.getAttribute("data-socket-url"),
    socketPath: root.getAttribute("data-socket-path") || "/socket.io/",
    maxLength: parseInt(root.getAttribute("data-max-length"), 10) || 2000
  };
  var pageLang = document.documentElement.lang || "ru";
  var labels = readLabels();

  var state = loadState();
  var socket = null;
  var confirmed = false;
  var outbox = [];

  function readLabels() {
    try {
      var parsed = JSON.parse(root.getAttribute("data-labels"));
      if (parsed && typeof parsed === "object") {
        return parsed;
      }
    } catch (ignored) { /* no labels: the keys show, which a test would notice */ }
    return {};
  }

  function label(key) {
    return typeof labels[key] === "string" ? labels[key] : key;
  }

  /* The language of a message by its letters (Cyrillic: ru, Latin: en), else the page's. */
  function textLang(text) {
    var cyrillic = (text.match(CYRILLIC) || []).length;
    var latin = (text.match(LATIN) || []).length;
    if (cyrillic === latin) {
      return pageLang;
    }
    return cyrillic > latin ? "ru" : "en";
  }

  function loadState() {
    try {
      var stored = JSON.parse(window.sessionStorage.getItem(STORE_KEY));
      if (stored && Array.isArray(stored.messages)) {
        return stored;
      }
    } catch (ignored) { /* unreadable or unavailable storage: start afresh */ }
    return { sessionId: null, messages: [], open: false };
  }

  function saveState() {
    try {
      window.sessionStorage.setItem(STORE_KEY, JSON.stringify(state));
    } catch (ignored) { /* private mode: the chat still works, it just won't survive a reload */ }
  }

  function setStatus(text) {
    el.status.textContent = text;
  }

  /* Text with http(s) URLs as safe links; everything else as plain text. */
  function appendText(parent, text) {
    var last = 0;
    var match;
    URL_PATTERN.lastIndex = 0;
    while ((match = URL_PATTERN.exec(text)) !== null) {
      var url = match[0].replace(/[.,;:!?)\]]+$/, "");
      parent.appendChild(document.createTextNode(text.slice(last, match.index)));
      parent.appendChild(makeLink(url));
      last = match.index + url.length;
      URL_PATTERN.lastIndex = last;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function makeLink(url) {
    var link = document.createElement("a");
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener noreferrer";
    link.textContent = url;
    var hint = document.createElement("span");
    hint.className = "sr-only";
    hint.textContent = label("new_tab");
    link.appendChild(hint);
    return link;
  }

  function renderMessage(message) {
    var item = document.createElement("div");
    item.className = "pns-msg pns-msg-" + (message.from === "user" ? "user" : "bot");
    var text = document.createElement("p");
    text.className = "pns-msg-text";
    var who = document.createElement("span");
    who.className = "sr-only";
    who.textContent = label(message.from === "user" ? "you_said" : "assistant");
    text.appendChild(who);
    var words = document.createElement("span");
    words.lang = message.lang || textLang(message.text);
    appendText(words, message.text);
    text.appendChild(words);
    item.appendChild(text);
    if (message.replies && message.replies.length) {
      item.appendChild(renderReplies(message.replies));
    }
    return item;
  }

  function renderReplies(replies) {
    var group = document.createElement("div");
    group.className = "pns-replies";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", label("answer_options"));
    replies.forEach(function (reply) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "pns-reply";
      button.textContent = reply.title;
      button.lang = textLang(reply.title);
      button.addEventListener("click", function () {
        clearReplies();
        el.input.focus();
        send(reply.payload, reply.title);
      });
      group.appendChild(button);
    });
    return group;
  }

  /* Buttons answer the latest question only: once anything is sent they are gone. */
  function clearReplies() {
    state.messages.forEach(function (message) { delete message.replies; });
    var groups = el.log.querySelectorAll(".pns-replies");
    for (var i = 0; i < groups.length; i++) {
      groups[i].parentNode.removeChild(groups[i]);
    }
    saveState();
  }

  function addMessage(message) {
    state.messages.push(message);
    while (state.messages.length > MAX_STORED) {
      state.messages.shift();
      if (el.log.firstChild) {
        el.log.removeChild(el.log.firstChild);
      }
    }
    saveState();
    el.log.appendChild(renderMessage(message));
    el.log.scrollTop = el.log.scrollHeight;
  }

  function send(payload, shown) {
    addMessage({ from: "user", text: shown });
    outbox.push(payload);
    flush();
  }

  function flush() {
    if (!socket || !confirmed) {
      return;
    }
    while (outbox.length) {
      socket.emit("user_uttered", {
        message: outbox.shift(),
        session_id: state.sessionId,
        customData: { lang: pageLang }
      });
      setStatus(label("answering"));
    }
  }

  function onBotMessage(data) {
    if (!data || typeof data !== "object") {
      return;
    }
    var text = typeof data.text === "string" ? data.text : "";
    var raw = Array.isArray(data.quick_replies) ? data.quick_replies : (Array.isArray(data.buttons) ? data.buttons : []);
    var replies = raw.filter(function (reply) {
      return reply && typeof reply.title === "string" && reply.title;
    }).map(function (reply) {
      return { title: reply.title, payload: typeof reply.payload === "string" ? reply.payload : reply.title };
    });
    if (!text && !replies.length) {
      return;
    }
    if (replies.length) {
      clearReplies();
    }
    setStatus("");
    addMessage({ from: "bot", text: text, replies: replies });
  }

  function connect() {
    if (socket) {
      return;
    }
    setStatus(label("connecting"));
    // Long-polling only: Rasa 3.6 runs on Sanic 21.12, whose websockets fail on Python 3.11
    // ("Passing coroutines is forbidden" in asyncio.wait), so an upgrade attempt only errs.
    socket = window.io(config.socketUrl, { path: config.socketPath, transports: ["polling"], upgrade: false });
    socket.on("connect", function () {
      confirmed = false;
      socket.emit("session_request", { session_id: state.sessionId, lang: pageLang });
    });
    socket.on("session_confirm", function (data) {
      var id = typeof data === "string" ? data : (data && data.session_id);
      if (!id) {
        return;
      }
      if (state.sessionId === id && state.lang && state.lang !== pageLang) {
        // the patient switched the page's language: the assistant follows
        outbox.unshift("/change_language" + JSON.stringify({ language: pageLang }));
      }
      state.sessionId = id;
      state.lang = pageLang;
      confirmed = true;
      saveState();
      setStatus("");
      flush();
    });
    socket.on("bot_uttered", onBotMessage);
    socket.on("disconnect", function () {
      confirmed = false;
      setStatus(label("connection_lost"));
    });
    socket.on("connect_error", function () {
      setStatus(label("unreachable"));
    });
  }

  function setOpen(open, moveFocus) {
    state.open = open;
    saveState();
    el.panel.hidden = !open;
    el.launcher.hidden = open;
    el.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      connect();
      el.log.scrollTop = el.log.scrollHeight;
      if (moveFocus) {
        el.input.focus();
      }
    } else if (moveFocus) {
      el.launcher.focus();
    }
  }

  el.launcher.addEventListener("click", function () { setOpen(true, true); });
  el.close.addEventListener("click", function () { setOpen(false, true); });
  el.panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      setOpen(false, true);
    }
  });
  // "Delete my conversation": the assistant erases it everywhere it is stored (request_erasure)
  // and confirms; this tab forgets its copy of the transcript too.
  var erase = document.getElementById("pns-chat-erase");
  if (erase) {
    erase.addEventListener("click", function () {
      if (!window.confirm(erase.getAttribute("data-confirm") || erase.textContent)) {
        return;
      }
      state.messages = [];
      el.log.textContent = "";
      saveState();
      send("/request_erasure", erase.textContent);
    });
  }
  var openers = document.querySelectorAll("[data-chat-open]");
  for (var i = 0; i < openers.length; i++) {
    openers[i].addEventListener("click", function () { setOpen(true, true); });
  }
  el.form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = el.input.value.trim();
    if (!text) {
      return;
    }
    if (text.length > config.maxLength) {
      setStatus(label("too_long").replace("{n}", String(config.maxLength)));
      return;
    }
    el.input.value = "";
    clearReplies();
    send(text, text);
  });

  state.messages.forEach(function (message) { el.log.appendChild(renderMessage(message)); });
  setOpen(Boolean(state.open), false);
}());
