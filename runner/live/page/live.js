// sockrun's live view: the page that shows a run as it happens. It only
// draws: the server (runner/live) sends the diagram's participants and
// steps as the trace lays them out, and the sockets, threads and errors
// as they are; this keeps them and redraws what changed, at most once a
// frame.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const ROW = 28;      // a step's height
const TIME_W = 62;   // the time column
const TOP = 8;       // space above the first step
const CHAR_W = 7.25; // the advance of a 12px monospace character
const MAX_ROWS = 300; // rows of a table drawn; the rest are counted
const MAX_LABEL = 60; // characters of a label drawn; the title has it all

const state = {
  script: "", workers: 1, events: 0,
  parts: [], steps: [], forgot: 0,
  sockets: new Map(), threads: new Map(), errors: [],
  skipped: 0, end: null, link: "connecting",
  selected: 0,
};
const dirty = { diagram: "", tables: false, errors: false, header: false };
let colW = 180;
let drawnSteps = 0;

const $ = (id) => document.getElementById(id);

function el(tag, attrs, text) {
  const e = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const k in attrs || {}) {
    if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
  }
  if (text !== undefined) e.textContent = text;
  return e;
}

// --- the stream ---

const source = new EventSource("events");
source.onopen = () => { state.link = "live"; dirty.header = true; schedule(); };
source.onerror = () => {
  if (state.end) return;
  state.link = "disconnected";
  dirty.header = true;
  schedule();
};
source.onmessage = (e) => {
  const m = JSON.parse(e.data);
  if (m.type === "snapshot") snapshot(m);
  else change(m);
  if (m.end) {
    state.end = m.end;
    source.close();
  }
  schedule();
};

function snapshot(m) {
  state.script = m.script;
  state.workers = m.workers;
  state.events = m.events;
  state.skipped += m.skipped || 0;
  state.parts = m.diagram.parts || [];
  state.steps = m.diagram.steps || [];
  state.forgot = m.diagram.forgot || 0;
  state.sockets = new Map((m.sockets || []).map((s) => [s.ID, s]));
  state.threads = new Map((m.threads || []).map((t) => [t.key, t]));
  state.errors = m.errors || [];
  state.link = "live";
  dirty.diagram = "full";
  dirty.tables = dirty.errors = dirty.header = true;
}

function change(m) {
  state.events = m.events;
  dirty.header = true;
  const d = m.diagram;
  if (d) {
    if (d.reset) {
      state.parts = d.parts || [];
      state.steps = d.steps || [];
      state.forgot = d.forgot || 0;
      dirty.diagram = "full";
    } else {
      if (d.parts) {
        state.parts.push(...d.parts);
        if (dirty.diagram !== "full") dirty.diagram = fitsColumns(d.parts) ? "parts" : "full";
      }
      if (d.steps) {
        state.steps.push(...d.steps);
        if (!dirty.diagram) dirty.diagram = "steps";
      }
    }
  }
  for (const s of m.sockets || []) state.sockets.set(s.ID, s);
  for (const id of m.gone || []) state.sockets.delete(id);
  for (const t of m.threads || []) state.threads.set(t.key, t);
  for (const k of m.drop || []) state.threads.delete(k);
  if (m.sockets || m.gone || m.threads || m.drop) dirty.tables = true;
  if (m.errors) {
    state.errors.push(...m.errors);
    if (state.errors.length > 100) state.errors.splice(0, state.errors.length - 100);
    dirty.errors = true;
  }
}

let frame = 0;
function schedule() {
  if (!frame) frame = requestAnimationFrame(render);
}

function render() {
  frame = 0;
  if (dirty.header) header();
  if (dirty.diagram) diagram(dirty.diagram);
  if (dirty.tables) { sockets(); threads(); }
  if (dirty.errors) errors();
  dirty.diagram = "";
  dirty.tables = dirty.errors = dirty.header = false;
}

// --- header and banners ---

function header() {
  $("script").textContent = state.script;
  document.title = "sockrun live: " + state.script;
  document.body.classList.toggle("workers", state.workers > 1);
  const st = $("status");
  if (state.end) {
    st.className = "status ended";
    st.textContent = "run ended: exit " + state.end.code;
  } else if (state.link === "live") {
    st.className = "status live";
    st.textContent = "live";
  } else {
    st.className = "status " + state.link;
    st.textContent = state.link === "disconnected" ? "disconnected: the run may have ended" : "connecting…";
  }
  let open = 0;
  for (const s of state.sockets.values()) if (!s.closed) open++;
  let running = 0;
  for (const t of state.threads.values()) if (t.state === "running" || t.state === "waiting") running++;
  $("counts").textContent = state.events + " events · " + open + " sockets open · " + running + " threads";
  const banners = $("banners");
  banners.replaceChildren();
  if (state.skipped > 0) {
    banners.append(el("p", { id: "skipped" }, "This page fell behind the run: " + state.skipped +
      " events were dropped for it, and it shows the state as it is now."));
  }
  if (state.forgot > 0) {
    banners.append(el("p", { id: "forgot" }, "The diagram keeps the latest steps: " + state.forgot +
      " earlier ones are no longer shown."));
  }
}

// --- the sequence diagram ---

function x(i) { return TIME_W + colW * (i + 0.5); }

// fitsColumns says whether the columns are wide enough for parts' names.
function fitsColumns(parts) {
  return parts.every((p) => p.length * CHAR_W + 24 <= colW);
}

// columnWidth is as wide as the longest participant's name needs. Each
// step has a row of its own, so a label longer than its arrow runs past
// the lifelines over its background, and needs no wider columns.
function columnWidth() {
  let longest = 0;
  for (const p of state.parts) longest = Math.max(longest, p.length);
  return Math.min(Math.max(longest * CHAR_W + 48, 170), 320);
}

function diagram(how) {
  const svg = $("diagram");
  const scroller = $("diagram-scroll");
  const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 4;
  if (how === "full") {
    colW = columnWidth();
    $("steps").replaceChildren();
    drawnSteps = 0;
  }
  const width = TIME_W + colW * state.parts.length + 16;
  const height = TOP + ROW * state.steps.length + 12;
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
  // Lifelines and heads: redrawn whole (a few elements).
  const lines = $("lifelines");
  lines.replaceChildren();
  const heads = $("heads");
  heads.replaceChildren();
  heads.style.width = width + "px";
  state.parts.forEach((p, i) => {
    lines.append(el("svg:line", { class: "lifeline", x1: x(i), y1: 0, x2: x(i), y2: height }));
    heads.append(el("div", { class: "part", style: "left:" + x(i) + "px", "data-part": p, title: p }, p));
  });
  const g = $("steps");
  for (let n = drawnSteps; n < state.steps.length; n++) {
    g.append(stepElement(state.steps[n], n, how !== "full"));
  }
  drawnSteps = state.steps.length;
  $("diagram-empty").hidden = state.parts.length > 0;
  if (atBottom) scroller.scrollTop = scroller.scrollHeight;
}

// cut shortens s to n characters, ending with "…" if it was longer.
function cut(s, n) {
  const chars = Array.from(s);
  if (chars.length <= n || n < 2) return s;
  return chars.slice(0, n - 1).join("") + "…";
}

function stepElement(s, n, fresh) {
  const y = TOP + ROW * n + 18;
  const from = state.parts[s.From], to = state.parts[s.To];
  const g = el("svg:g", {
    class: "step " + s.Kind + (fresh ? " fresh" : "") + (s.Seq === state.selected && s.Kind !== "note" ? " selected" : ""),
    "data-seq": s.Seq, "data-kind": s.Kind, "data-from": from, "data-to": to, "data-label": s.Label, "data-t": s.T,
  });
  g.append(el("svg:text", { class: "time", x: 4, y: y }, s.T.toFixed(4)));
  g.append(el("svg:title", {}, s.Label + "\n" + from + (s.Kind === "note" ? "" : " → " + to)));
  const right = TIME_W + colW * state.parts.length + 8;
  // within keeps a box of width w centred at cx inside the diagram.
  const within = (cx, w) => Math.min(Math.max(cx, TIME_W + w / 2), Math.max(right - w / 2, TIME_W + w / 2));
  if (s.Kind === "note") {
    const label = cut(s.Label, MAX_LABEL);
    const w = Math.max(Array.from(label).length * CHAR_W + 14, (s.To - s.From) * colW + 40);
    const cx = within((x(s.From) + x(s.To)) / 2, w);
    g.append(el("svg:rect", { x: cx - w / 2, y: y - 14, width: w, height: 19 }));
    g.append(el("svg:text", { x: cx, y: y, "text-anchor": "middle" }, label));
    return g;
  }
  const x1 = x(s.From), x2 = x(s.To);
  const ly = y + 4; // the arrow's line, under its label
  if (s.From === s.To) {
    // A socket talking to its own address: a loop.
    const d = "M" + x1 + "," + (ly - 6) + " h26 v10 h-26";
    g.append(el("svg:path", { class: "hit", d: d, fill: "none" }));
    g.append(el("svg:path", { class: "shaft", d: d, fill: "none", "marker-end": "url(#head)" }));
  } else {
    const dir = x2 > x1 ? 1 : -1;
    const end = s.Kind === "fail" ? x2 - dir * 14 : x2 - dir;
    g.append(el("svg:line", { class: "hit", x1: x1, y1: ly, x2: end, y2: ly }));
    g.append(el("svg:line", { class: "shaft", x1: x1, y1: ly, x2: end, y2: ly, "marker-end": s.Kind === "fail" ? null : "url(#head)" }));
    if (s.Kind === "fail") {
      g.append(el("svg:path", { class: "cross", d: "M" + (end - 4) + "," + (ly - 4) + " l8,8 m0,-8 l-8,8" }));
    }
  }
  const label = cut(s.Label, MAX_LABEL);
  const lw = Array.from(label).length * CHAR_W + 8;
  const cx = within(s.From === s.To ? x1 + 40 + lw / 2 : (x1 + x2) / 2, lw);
  g.append(el("svg:rect", { class: "label-bg", x: cx - lw / 2, y: y - 13, width: lw, height: 15, rx: 2 }));
  g.append(el("svg:text", { class: "label", x: cx, y: y - 2, "text-anchor": "middle", "xml:space": "preserve" }, label));
  return g;
}

// A click on an arrow shows its bytes.
$("diagram").addEventListener("click", (e) => {
  const g = e.target.closest("g.step");
  if (!g || g.dataset.kind === "note") return;
  select(g);
});

async function select(g) {
  const seq = Number(g.dataset.seq);
  state.selected = seq;
  for (const s of document.querySelectorAll("#diagram .selected")) s.classList.remove("selected");
  for (const s of document.querySelectorAll('#diagram g.step[data-seq="' + seq + '"]')) {
    if (s.dataset.kind !== "note") s.classList.add("selected");
  }
  const panel = $("bytes");
  panel.hidden = false;
  panel.dataset.seq = seq;
  panel.dataset.state = "loading";
  $("bytes-title").textContent = g.dataset.label;
  $("bytes-what").textContent = g.dataset.from + " → " + g.dataset.to + ", at " + Number(g.dataset.t).toFixed(4) + " s";
  $("bytes-call").textContent = "";
  $("bytes-text").textContent = "";
  $("bytes-hex").textContent = "";
  let d;
  try {
    const r = await fetch("bytes/" + seq);
    d = await r.json();
  } catch (err) {
    d = { kept: false, gone: true };
  }
  if (state.selected !== seq) return;
  const what = $("bytes-what");
  if (!d.kept) {
    const label = g.dataset.label;
    what.textContent += d.gone ? ". The run has ended: its bytes are gone with it."
      : /^(connect|close|accept|FIN)/.test(label) ? ". It carried no data: a " + label.split(" ")[0] + "."
      : ". Its bytes are no longer kept (the view keeps the latest arrows').";
    panel.dataset.state = "none";
    return;
  }
  what.textContent += ": " + d.length + " bytes" + (d.shown < d.length ? ", the first " + d.shown + " shown" : "");
  $("bytes-call").textContent = d.thread + " " + d.call + " → " + d.result;
  $("bytes-text").textContent = d.text;
  $("bytes-hex").textContent = d.hex;
  panel.dataset.state = "shown";
}

$("bytes-close").addEventListener("click", () => {
  $("bytes").hidden = true;
  state.selected = 0;
  for (const s of document.querySelectorAll("#diagram .selected")) s.classList.remove("selected");
});

// --- the tables ---

function stateBadge(name, cls) {
  return el("span", { class: "state st-" + (cls || name) }, name);
}

function cell(text, attrs) {
  const td = el("td", attrs);
  if (text instanceof Node) td.append(text);
  else td.textContent = text === undefined ? "" : String(text);
  return td;
}

function sockets() {
  const waiting = new Map(); // socket id: the threads waiting on it
  for (const t of state.threads.values()) {
    if (t.state === "waiting" && t.socket) {
      const list = waiting.get(t.socket) || [];
      list.push(t.name + " " + t.call);
      waiting.set(t.socket, list);
    }
  }
  const rows = Array.from(state.sockets.values()).sort((a, b) => (a.closed - b.closed) || (a.ID - b.ID));
  const body = $("sockets").tBodies[0];
  body.replaceChildren();
  for (const s of rows.slice(0, MAX_ROWS)) {
    const tr = el("tr", {
      class: "socket" + (s.closed ? " closed" : ""), "data-id": s.ID, "data-fd": s.FD, "data-state": s.State,
      "data-local": s.Local, "data-peer": s.Peer, "data-in": s.Received, "data-out": s.Sent,
      "data-waiting": (waiting.get(s.ID) || []).join("; "),
    });
    tr.append(cell(s.Worker, { class: "w" }), cell(s.FD), cell(s.Type), cell(stateBadge(s.State)),
      cell(s.Local), cell(s.Peer), cell(s.Received, { class: "num" }), cell(s.Sent, { class: "num" }),
      cell((waiting.get(s.ID) || []).join(", "), { class: "wrap" }));
    body.append(tr);
  }
  more("sockets", rows.length);
}

function threads() {
  const rows = Array.from(state.threads.values()).sort((a, b) => {
    const ea = a.state === "ended" || a.state === "failed", eb = b.state === "ended" || b.state === "failed";
    return (ea - eb) || (a.worker - b.worker) || (a.id - b.id);
  });
  const body = $("threads").tBodies[0];
  body.replaceChildren();
  for (const t of rows.slice(0, MAX_ROWS)) {
    const ended = t.state === "ended" || t.state === "failed";
    let where = "";
    if (t.state === "waiting") where = t.call + (t.fd !== undefined && t.fd !== null ? " on fd " + t.fd : "");
    if (t.state === "failed") where = "error " + t.error;
    const tr = el("tr", { class: "thread" + (ended ? " ended" : ""), "data-thread": t.name, "data-state": t.state, "data-call": t.call || "" });
    tr.append(cell(t.worker, { class: "w" }), cell(t.name), cell(t.label || ""), cell(stateBadge(t.state)), cell(where, { class: "wrap" }));
    body.append(tr);
  }
  more("threads", rows.length);
  header();
}

// more says how many rows of table id are not drawn.
function more(id, total) {
  const table = $(id);
  let p = table.nextElementSibling;
  if (!p || !p.classList.contains("more")) {
    p = el("p", { class: "more" });
    table.after(p);
  }
  p.textContent = total > MAX_ROWS ? "and " + (total - MAX_ROWS) + " more" : "";
}

// --- errors ---

function errors() {
  const list = $("errors");
  list.replaceChildren();
  for (const e of state.errors.slice().reverse()) {
    const li = el("li", { class: e.ended ? "fatal" : "raised", "data-name": e.name || "", "data-why": e.why || "" });
    let where = (e.t ? e.t.toFixed(4) + " " : "") + e.thread;
    if (state.workers > 1) where = "w" + e.worker + " " + where;
    if (e.call) where += " " + e.call;
    if (e.ended === "thread") where += ": ended the thread";
    if (e.ended === "run") where += ": ended the run";
    li.append(el("div", { class: "where" }, where), el("div", { class: "msg" }, e.message));
    if (e.why) li.append(el("div", { class: "why" }, e.why));
    list.append(li);
  }
  $("errors-none").hidden = state.errors.length > 0;
}

// (The "fresh" mark of new steps fades after a moment.)
setInterval(() => {
  for (const g of document.querySelectorAll("#diagram .fresh")) g.classList.remove("fresh");
}, 1500);
