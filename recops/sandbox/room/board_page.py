"""The trainer board's page (``GET /_room/board.html``): one self-contained HTML file (no CDN,
no external script or style) that follows the board by push: it reads ``GET /_room/board/stream``
(server-sent events, board_stream.py) with ``fetch`` and a ``ReadableStream`` (``EventSource``
cannot send the token in a header) and redraws on each board the stream sends; it does not poll.

Its status says ``live`` while the stream is open. When the stream drops (the server ended it, the
network, or no keep-alive for ``WATCHDOG_FACTOR`` times the stream's keep-alive interval) it says
``reconnecting…``, polls ``GET /_room/board`` every ``REFRESH_MS`` meanwhile (and says so), and
reconnects with backoff (``BACKOFF_MS`` doubling up to ``BACKOFF_MAX_MS``, with jitter); once the
stream is back the polling stops.

The token is never in the HTML: the page reads ``?token=`` once, keeps it in sessionStorage and
drops it from the address bar (``history.replaceState``), or asks for it in a form. Every call
sends it as ``Authorization: Bearer``; a 401 (stream or poll) forgets it and asks again.
"""

from __future__ import annotations

REFRESH_MS = 2000  # the fallback poll, while the stream is down
BACKOFF_MS = 1000  # the first reconnect; doubled after each failed one
BACKOFF_MAX_MS = 30_000
WATCHDOG_FACTOR = 3  # a stream silent this many keep-alive intervals is taken as dropped

_STYLE = """
body { font: 14px system-ui, sans-serif; margin: 1.2em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 .4em; }
table { border-collapse: collapse; margin: .6em 0; }
th, td { border: 1px solid #ccc; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.passed { background: #d7f5d7; }
td.failing { background: #fbd5d5; }
td.not-started { color: #888; }
tr.stuck td.seat { font-weight: bold; color: #b00; }
.error { font-size: .9em; max-width: 32em; }
#status { color: #666; font-size: .9em; }
#live.live { color: #070; font-weight: bold; }
#live.down { color: #b60; }
#login[hidden], #board[hidden] { display: none; }
"""

_SCRIPT = """
const REFRESH_MS = %(refresh)d, BACKOFF_MS = %(backoff)d, BACKOFF_MAX_MS = %(backoff_max)d;
const WATCHDOG_FACTOR = %(watchdog)d;
const KEY = "recops-room-admin-token";
(function takeTokenFromUrl() {
  const url = new URL(window.location.href);
  const t = url.searchParams.get("token");
  if (t) {
    sessionStorage.setItem(KEY, t);
    url.searchParams.delete("token");
    history.replaceState(null, "", url.pathname + url.search + url.hash);
  }
})();
const token = () => sessionStorage.getItem(KEY);
let live = false, pollTimer = null, retryTimer = null, backoff = BACKOFF_MS, aborter = null, watchdog = null;
const $ = (id) => document.getElementById(id);
function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v; else if (k.startsWith("on")) e[k] = v; else e.setAttribute(k, v);
  }
  for (const kid of kids) e.append(kid);
  return e;
}
function askToken(message) {
  sessionStorage.removeItem(KEY);
  stopPolling();
  clearTimeout(retryTimer);
  clearTimeout(watchdog);
  if (aborter) { aborter.abort(); aborter = null; }
  setLive("", false);
  $("board").hidden = true;
  $("login").hidden = false;
  $("login-message").textContent = message || "";
}
async function call(method, path) {
  const t = token();
  if (!t) { askToken("enter the room's admin token"); return null; }
  const r = await fetch(path, {method, headers: {"Authorization": "Bearer " + t}});
  if (r.status === 401) { askToken("the admin token was refused: enter the room's admin token"); return null; }
  return r;
}
function errorCell(err, expected) {
  if (!err) return "";
  const when = new Date(err.time * 1000).toLocaleTimeString();
  return el("div", {"class": "error"},
    el("div", {}, `${err.status} ${err.code || ""} ${err.method} ${err.path} at ${when}`
                  + (expected ? " (the error exercise 5 asks for)" : "")),
    el("div", {}, err.explanation.meaning),
    el("div", {}, el("b", {}, "what to do: "), err.explanation.remedy));
}
async function resetSeat(n) {
  if (!window.confirm(`Reset seat ${n}? Its org goes back to the demo scenario and its progress is lost.`)) return;
  const r = await call("POST", `/_room/seats/${n}/reset`);
  $("status").textContent = r && r.ok ? `seat ${n} reset` : `reset of seat ${n} failed` + (r ? ` (${r.status})` : "");
  if (!live) refresh();  // a live stream brings the reset row by itself
}
async function downloadCsv() {
  const r = await call("GET", "/_room/results.csv");
  if (!r || !r.ok) return;
  const a = el("a", {href: URL.createObjectURL(await r.blob()), download: "results.csv"});
  document.body.append(a); a.click(); a.remove();
}
function render(data) {
  const head = el("tr", {}, el("th", {}, "seat"), el("th", {}, "org"),
    ...data.exercises.map((x) => el("th", {title: x.cell + " | judged by " + x.judgedBy}, x.key)),
    el("th", {}, "last error"), el("th", {}, ""));
  const rows = data.seats.map((s) => el("tr", {"class": s.stuck ? "stuck" : "", "data-seat": s.seat},
    el("td", {"class": "seat"}, String(s.seat)), el("td", {}, s.org),
    ...data.exercises.map((x) => el("td", {"class": s.exercises[x.key], "data-exercise": x.key},
                                     s.exercises[x.key])),
    el("td", {}, errorCell(s.lastError, s.lastErrorExpected)),
    el("td", {}, el("button", {onclick: () => resetSeat(s.seat), "data-reset": s.seat}, "Reset"))));
  $("grid").replaceChildren(el("thead", {}, head), el("tbody", {}, ...rows));
  const stuck = data.seats.filter((s) => s.stuck).map((s) => "seat " + s.seat);
  $("stuck").textContent = stuck.length ? "stuck: " + stuck.join(", ") : "nobody is stuck";
}
function show(data) {
  $("login").hidden = true;
  $("board").hidden = false;
  render(data);
  $("updated").textContent = "updated " + new Date().toLocaleTimeString();
}
async function refresh() {
  let r;
  try { r = await call("GET", "/_room/board"); } catch (e) { $("status").textContent = "no answer: " + e; return; }
  if (!r) return;
  if (!r.ok) { $("status").textContent = "the board answered " + r.status; return; }
  show(await r.json());
}
// --- the push stream (GET /_room/board/stream: server-sent events read with fetch) -----------
function setLive(text, isLive) {
  live = isLive;
  $("live").textContent = text;
  $("live").className = isLive ? "live" : "down";
}
function startPolling() {
  if (pollTimer === null) pollTimer = setInterval(() => { if (token()) refresh(); }, REFRESH_MS);
}
function stopPolling() {
  if (pollTimer !== null) { clearInterval(pollTimer); pollTimer = null; }
}
function streamLost(why) {
  if (aborter) { aborter.abort(); aborter = null; }
  clearTimeout(watchdog);
  if (!token()) { setLive("", false); stopPolling(); return; }
  const wait = Math.round(backoff * (0.8 + 0.4 * Math.random()));
  backoff = Math.min(backoff * 2, BACKOFF_MAX_MS);
  setLive(`reconnecting… (${why}; next try in ${Math.round(wait / 1000)} s; `
          + `polling every ${REFRESH_MS / 1000} s meanwhile)`, false);
  refresh();
  startPolling();
  clearTimeout(retryTimer);
  retryTimer = setTimeout(openStream, wait);
}
function onEvent(block, arm) {
  let kind = "message";
  const data = [];
  for (const line of block.split("\\n")) {
    if (!line || line.startsWith(":")) continue;  // a keep-alive comment
    const at = line.indexOf(":");
    const field = at < 0 ? line : line.slice(0, at);
    let value = at < 0 ? "" : line.slice(at + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") kind = value; else if (field === "data") data.push(value);
  }
  arm();
  if (kind !== "board" || !data.length) return;
  show(JSON.parse(data.join("\\n")));
  if (!live) { setLive("live", true); stopPolling(); backoff = BACKOFF_MS; }
}
async function openStream() {
  clearTimeout(retryTimer);
  const t = token();
  if (!t) { askToken("enter the room's admin token"); return; }
  const mine = aborter = new AbortController();
  let r;
  try {
    r = await fetch("/_room/board/stream", {headers: {"Authorization": "Bearer " + t, "Accept": "text/event-stream"},
                                            cache: "no-store", signal: mine.signal});
  } catch (e) { if (aborter === mine) streamLost("no answer"); return; }
  if (r.status === 401) {
    stopPolling(); setLive("", false);
    askToken("the admin token was refused: enter the room's admin token");
    return;
  }
  if (!r.ok || !r.body) { streamLost(`the stream answered ${r.status}`); return; }
  const every = parseFloat(r.headers.get("X-Board-Keepalive-Seconds") || "0");
  const arm = () => {
    clearTimeout(watchdog);
    if (every > 0) watchdog = setTimeout(() => { if (aborter === mine) streamLost("the stream went silent"); },
                                         every * 1000 * WATCHDOG_FACTOR);
  };
  arm();
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      buffer += value.replace(/\\r\\n?/g, "\\n");
      let end;
      while ((end = buffer.indexOf("\\n\\n")) >= 0) {
        onEvent(buffer.slice(0, end), arm);
        buffer = buffer.slice(end + 2);
      }
    }
  } catch (e) { /* dropped: below */ }
  if (aborter === mine) streamLost("the stream ended");
}
$("login-form").onsubmit = (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(KEY, $("token").value.trim());
  $("token").value = "";
  backoff = BACKOFF_MS;
  openStream();
};
$("csv").onclick = downloadCsv;
openStream();
"""


def board_page() -> str:
    """The page; it holds no token and no data (both come from the board endpoint)."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>recops room: trainer board</title>
<meta name="referrer" content="no-referrer">
<style>{_STYLE}</style></head>
<body>
<h1>Trainer board</h1>
<section id="login" hidden>
  <form id="login-form"><label>Admin token <input id="token" type="password" autocomplete="off"></label>
  <button type="submit">Open the board</button></form>
  <p id="login-message"></p>
</section>
<section id="board" hidden>
  <p><span id="live"></span> · <span id="stuck"></span> · <span id="updated"></span> ·
  <button id="csv" type="button">Export results (CSV)</button> <span id="status"></span></p>
  <table id="grid"></table>
  <p>passed · failing (tried, not there yet) · not-started; hover an exercise for what the board can judge.</p>
</section>
<script>{_SCRIPT % {"refresh": REFRESH_MS, "backoff": BACKOFF_MS, "backoff_max": BACKOFF_MAX_MS,
                     "watchdog": WATCHDOG_FACTOR}}</script>
</body></html>
"""
