"""The trainer board's page (``GET /_room/board.html``): one self-contained HTML file (no CDN,
no external script or style) that polls ``GET /_room/board`` every 2 s with the admin token.

The token is never in the HTML: the page reads ``?token=`` once, keeps it in sessionStorage and
drops it from the address bar (``history.replaceState``), or asks for it in a form. Every call
sends it as ``Authorization: Bearer``; a 401 forgets it and asks again.
"""

from __future__ import annotations

REFRESH_MS = 2000

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
#login[hidden], #board[hidden] { display: none; }
"""

_SCRIPT = """
const REFRESH_MS = %(refresh)d;
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
  refresh();
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
async function refresh() {
  let r;
  try { r = await call("GET", "/_room/board"); } catch (e) { $("status").textContent = "no answer: " + e; return; }
  if (!r) return;
  if (!r.ok) { $("status").textContent = "the board answered " + r.status; return; }
  $("login").hidden = true;
  $("board").hidden = false;
  render(await r.json());
  $("updated").textContent = "updated " + new Date().toLocaleTimeString();
}
$("login-form").onsubmit = (ev) => {
  ev.preventDefault();
  sessionStorage.setItem(KEY, $("token").value.trim());
  $("token").value = "";
  refresh();
};
$("csv").onclick = downloadCsv;
refresh();
setInterval(() => { if (token()) refresh(); }, REFRESH_MS);
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
  <p><span id="stuck"></span> · <span id="updated"></span> ·
  <button id="csv" type="button">Export results (CSV)</button> <span id="status"></span></p>
  <table id="grid"></table>
  <p>passed · failing (tried, not there yet) · not-started; hover an exercise for what the board can judge.</p>
</section>
<script>{_SCRIPT % {"refresh": REFRESH_MS}}</script>
</body></html>
"""
