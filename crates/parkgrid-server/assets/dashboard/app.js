// parkgrid's live dashboard: the API's answers, as its token may see them. The token stays in
// this tab (sessionStorage); the latest values come as Server-Sent Events read with fetch (so
// the token travels in the Authorization header, never in a URL).
"use strict";

const TEXT = {
  en: {
    token: "Token", sign_in: "Sign in", logout: "Sign out", sld: "Single-line diagram: flows now",
    meters: "Tenants' consumption today", tenant: "Tenant", meter: "Meter", carrier: "Carrier",
    today: "Today, kWh", import: "Grid import", export: "Grid export", pv: "PV", wind: "Wind",
    chp: "CHP electricity", heat: "Heat demand", cold: "Cooling demand", battery: "Battery",
    thermal: "Thermal stores", load: "Electric demand", live: "live", updated: "updated",
    bad_token: "The token was refused", waiting: "waiting for data…", role: "role",
    stream_lost: "the live stream stopped; reconnecting…",
    alarms: "Alarms", severity: "Severity", source: "Source", message: "Message", state: "State",
    acknowledge: "Acknowledge", no_alarms: "No open alarm", active: "active",
    acknowledged: "acknowledged", shelved: "shelved", cleared: "cleared", alarm: "alarm",
    warning: "warning",
  },
  zh: {
    token: "令牌", sign_in: "登录", logout: "退出", sld: "单线图：实时潮流",
    meters: "今日租户用能", tenant: "租户", meter: "电表", carrier: "能源类型",
    today: "今日 kWh", import: "电网购电", export: "上网电量", pv: "光伏", wind: "风电",
    chp: "热电联产发电", heat: "热负荷", cold: "冷负荷", battery: "储能电池",
    thermal: "蓄热/蓄冷", load: "用电负荷", live: "实时", updated: "更新于",
    bad_token: "令牌无效", waiting: "等待数据…", role: "角色",
    stream_lost: "实时数据中断，正在重连…",
    alarms: "告警", severity: "级别", source: "对象", message: "内容", state: "状态",
    acknowledge: "确认", no_alarms: "无未处理告警", active: "未确认",
    acknowledged: "已确认", shelved: "已搁置", cleared: "已恢复", alarm: "告警",
    warning: "预警",
  },
};

const state = {
  lang: (sessionStorage.getItem("lang") || (navigator.language || "en")).startsWith("zh") ? "zh" : "en",
  token: sessionStorage.getItem("token") || "",
  park: null, me: null, assets: [], branches: [], buses: [], meters: [], latest: new Map(),
  alarms: null, newest: 0,
  // Each sign-in is a session; a stream or timer of an earlier one stops at its next turn.
  session: 0, abort: null, timers: [],
  sld: null, updates: 0,
};
window.parkgrid = state;

const t = (key) => (TEXT[state.lang] && TEXT[state.lang][key]) || TEXT.en[key] || key;
const $ = (id) => document.getElementById(id);

function translate() {
  document.documentElement.lang = state.lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) { el.textContent = t(el.dataset.i18n); }
  $("lang").textContent = state.lang === "zh" ? "English" : "中文";
  if (state.me) { render(); }
}

async function api(path) {
  const r = await fetch(path, { headers: { Authorization: "Bearer " + state.token } });
  if (r.status === 401) { throw new Error("unauthenticated"); }
  if (!r.ok) { return null; }
  return r.json();
}

function fmt(v, digits) {
  if (v === null || v === undefined || !Number.isFinite(v)) { return "–"; }
  return v.toLocaleString(state.lang === "zh" ? "zh-CN" : "en-US",
    { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

// The series name of an asset's quantity.
const series = (id, q) => `${state.park.park_id}/${id}/${q}`;
const value = (name) => { const l = state.latest.get(name); return l ? l.value : null; };

function sum(kinds, quantity) {
  let total = null;
  for (const a of state.assets) {
    if (!kinds.includes(a.kind)) { continue; }
    const v = value(series(a.id, quantity));
    if (v !== null && v !== undefined) { total = (total || 0) + v; }
  }
  return total;
}

// The tiles: what an operator reads first, from the assets' own series.
const TILES = [
  ["import", () => sum(["grid"], "import_kw"), "kW"],
  ["export", () => sum(["grid"], "export_kw"), "kW"],
  ["pv", () => sum(["pv"], "output_kw"), "kW"],
  ["wind", () => sum(["wind"], "output_kw"), "kW"],
  ["chp", () => sum(["chp"], "p_kw"), "kW"],
  ["load", () => sum(["electric_load", "data_centre", "ev_charging", "flexible_load"], "p_kw"), "kW"],
  ["heat", () => sum(["heat_load"], "heat_kw"), "kW"],
  ["cold", () => sum(["cooling_load"], "cold_kw"), "kW"],
  ["battery", () => sum(["battery"], "level_kwh"), "kWh"],
  ["thermal", () => sum(["thermal_store"], "level_kwh"), "kWh"],
];

function renderTiles() {
  const box = $("tiles");
  if (!state.assets.length) { box.hidden = true; return; }
  box.hidden = false;
  box.replaceChildren(...TILES.map(([key, f, unit]) => {
    const tile = document.createElement("div");
    tile.className = "tile";
    tile.dataset.tile = key;
    const v = f();
    tile.dataset.value = v === null ? "" : String(v);
    const label = document.createElement("div");
    label.className = "label";
    label.textContent = t(key);
    const val = document.createElement("div");
    val.className = "value";
    val.textContent = fmt(v, 0);
    const u = document.createElement("span");
    u.className = "unit";
    u.textContent = unit;
    val.append(u);
    tile.append(label, val);
    return tile;
  }));
}

const CARRIER_COLOUR = { ac: "#58a6ff", dc: "#d29922", heat: "#f85149", waste_heat: "#db6d28", cold: "#39c5cf" };

// A branch's flow now: a line's or transformer's flow_kw, a converter's forward − reverse.
function flow(b) {
  const f = value(series(b.id, "flow_kw"));
  if (f !== null && f !== undefined) { return f; }
  const fw = value(series(b.id, "forward_kw"));
  const rv = value(series(b.id, "reverse_kw"));
  if (fw === null && rv === null) { return null; }
  return (fw || 0) - (rv || 0);
}

// Buses in rows by level — the highest voltage on top, DC below AC, heat and cold at the
// bottom — spread evenly across each row: a single-line diagram's reading order.
function sldLayout() {
  const rank = (b) => {
    if (b.carrier === "ac") { return -(b.v_nom_kv || 0); }
    if (b.carrier === "dc") { return 1000 - (b.v_nom_kv || 0); }
    return 2000 + ["heat", "waste_heat", "cold"].indexOf(b.carrier);
  };
  const levels = [...new Set(state.buses.map(rank))].sort((a, b) => a - b);
  const rows = levels.map((l) => state.buses.filter((b) => rank(b) === l));
  const at = new Map();
  rows.forEach((row, r) => row.forEach((b, i) => at.set(b.id, [(i + 1) * 1000 / (row.length + 1), r * 140])));
  return at;
}

function renderSld() {
  const box = $("sld-box");
  if (!state.buses.length) { box.hidden = true; return; }
  box.hidden = false;
  if (!state.sld) { state.sld = echarts.init($("sld"), null, { renderer: "canvas" }); }
  const at = sldLayout();
  const nodes = state.buses.map((b) => ({
    id: b.id, name: b.name || b.id, x: at.get(b.id)[0], y: at.get(b.id)[1],
    symbol: b.carrier === "ac" || b.carrier === "dc" ? "rect" : "circle",
    symbolSize: b.carrier === "ac" || b.carrier === "dc" ? [46, 10] : 16,
    itemStyle: { color: CARRIER_COLOUR[b.carrier] || "#8b98a5" },
    label: { show: true, position: "bottom", color: "#e6edf3",
      formatter: b.v_nom_kv ? `${b.id} · ${b.v_nom_kv} kV` : b.id },
  }));
  const links = state.branches.map((b) => {
    const f = flow(b);
    return {
      source: b.from_bus, target: b.to_bus, id: b.id,
      lineStyle: { width: b.kind === "transformer" ? 4 : 2, type: b.in_service ? "solid" : "dashed",
        color: b.kind === "converter" ? "#d29922" : "#58a6ff", curveness: 0.08 },
      label: { show: true, formatter: `${b.id}: ${fmt(f, 0)} kW` },
    };
  });
  state.sld.setOption({
    animation: false,
    series: [{ type: "graph", layout: "none", roam: true, data: nodes, links: links,
      edgeLabel: { show: true, fontSize: 13, color: "#c9d1d9", textBorderColor: "#17212b", textBorderWidth: 3 },
      edgeSymbol: ["none", "arrow"], edgeSymbolSize: 7,
      left: 60, right: 60, top: 30, bottom: 40 }],
  });
}

function renderMeters(today) {
  const box = $("meters-box");
  if (!state.meters.length) { box.hidden = true; return; }
  box.hidden = false;
  const rows = state.meters.map((m) => {
    const tr = document.createElement("tr");
    tr.dataset.meter = m.id;
    tr.dataset.tenant = m.tenant;
    const e = today.get(m.id);
    for (const [text, cls] of [[m.tenant], [m.id], [m.carrier], [fmt(e, 1), "num"]]) {
      const td = document.createElement("td");
      td.textContent = text;
      if (cls) { td.className = cls; }
      tr.append(td);
    }
    return tr;
  });
  $("meters").tBodies[0].replaceChildren(...rows);
}

const canAct = () => state.me && (state.me.role === "admin" || state.me.role === "operator");

function renderAlarms() {
  const box = $("alarms-box");
  if (state.alarms === null) { box.hidden = true; return; }
  box.hidden = false;
  const open = state.alarms.filter((a) => a.state !== "cleared");
  $("no-alarms").hidden = open.length > 0;
  $("alarms").tBodies[0].replaceChildren(...open.map((a) => {
    const tr = document.createElement("tr");
    tr.className = `${a.severity} ${a.state}`;
    tr.dataset.alarm = String(a.id);
    tr.dataset.key = a.key;
    tr.dataset.state = a.state;
    for (const text of [t(a.severity), a.source, a.message, t(a.state)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    const td = document.createElement("td");
    if (canAct() && a.state === "active") {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "ack";
      b.textContent = t("acknowledge");
      b.addEventListener("click", () => acknowledge(a.id));
      td.append(b);
    }
    tr.append(td);
    return tr;
  }));
}

async function acknowledge(id) {
  const r = await fetch(`/api/v1/alarms/${id}/acknowledge`, {
    method: "POST", headers: { Authorization: "Bearer " + state.token },
  });
  if (r.ok) {
    const a = await r.json();
    state.alarms = state.alarms.map((x) => (x.id === a.id ? a : x));
    renderAlarms();
  }
}

let meterEnergy = new Map();

function render() {
  $("park-name").textContent = state.park ? state.park.name : "parkgrid";
  $("who").textContent = state.me ? `${t("role")}: ${state.me.role}${state.me.tenant ? " · " + state.me.tenant : ""}` : "";
  renderTiles();
  renderAlarms();
  renderSld();
  renderMeters(meterEnergy);
}

// The offset of the park's time zone from UTC at the instant `ms`, ms.
function tzOffset(ms, tz) {
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-US", {
    timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const local = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute, +parts.second);
  return local - Math.floor(ms / 1000) * 1000;
}

// Today's energy per meter: its intervals since the park's local midnight, today being the day
// of the newest measurement (a twin replaying another year has its own today).
async function refreshMeters() {
  const session = state.session;
  const now = state.newest || Date.now();
  const tz = state.park.time_zone;
  const local = new Date(now + tzOffset(now, tz));
  const day = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate());
  // Midnight's own offset (a day on which the clocks change has another at midnight).
  const midnight = day - tzOffset(day - tzOffset(now, tz), tz);
  const energy = new Map();
  if (now <= midnight) {  // The first instant of the day: nothing has ended in it yet.
    for (const m of state.meters) { energy.set(m.id, 0); }
    meterEnergy = energy;
    renderMeters(meterEnergy);
    return;
  }
  for (const m of state.meters) {
    const r = await api(`/api/v1/meters/${encodeURIComponent(m.id)}/intervals?from=${midnight}&to=${now}`);
    if (session !== state.session) { return; }
    if (r) { energy.set(m.id, r.energy_kwh); }
  }
  meterEnergy = energy;
  renderMeters(meterEnergy);
}

// Server-Sent Events over fetch: each `latest` event is a page of latest values, each `alarms`
// event the alarm list. Ends when its session does (a sign-out or another sign-in).
async function stream(session) {
  while (session === state.session) {
    try {
      const r = await fetch("/api/v1/stream/latest", {
        headers: { Authorization: "Bearer " + state.token }, signal: state.abort.signal,
      });
      if (r.status === 401) { return signOut(t("bad_token")); }
      if (!r.ok || !r.body) { throw new Error(String(r.status)); }
      const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value: chunk, done } = await reader.read();
        if (done || session !== state.session) { break; }
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = "message";
          const data = [];
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) { event = line.slice(6).trim(); }
            if (line.startsWith("data:")) { data.push(line.slice(5).trim()); }
          }
          if (!data.length || session !== state.session) { continue; }
          if (event === "alarms") {
            state.alarms = JSON.parse(data.join("\n"));
            renderAlarms();
            continue;
          }
          if (event !== "latest") { continue; }
          const page = JSON.parse(data.join("\n"));
          for (const item of page.items) { state.latest.set(item.series, item); }
          state.updates += 1;
          const newest = Math.max(...page.items.map((i) => i.time_ms || 0));
          const firstTime = !state.newest && newest > 0;
          if (newest > 0) { state.newest = newest; }
          if (firstTime) { refreshMeters(); }
          $("status").textContent = `${t("live")} · ${t("updated")} ${newest ? new Date(newest).toLocaleString(state.lang === "zh" ? "zh-CN" : "en-GB", { timeZone: state.park.time_zone }) : "–"}`;
          render();
        }
      }
    } catch (e) {
      if (session !== state.session || e.name === "AbortError") { return; }
      $("status").textContent = t("stream_lost");
      await new Promise((ok) => setTimeout(ok, 2000));
    }
  }
}

// Ends the session: its stream aborted, its timers stopped, everything it showed forgotten.
function endSession() {
  state.session += 1;
  if (state.abort) { state.abort.abort(); }
  state.abort = null;
  for (const id of state.timers) { clearInterval(id); }
  state.timers = [];
  Object.assign(state, {
    me: null, park: null, assets: [], branches: [], buses: [], meters: [], alarms: null,
    newest: 0, updates: 0,
  });
  state.latest = new Map();
  meterEnergy = new Map();
  if (state.sld) { state.sld.dispose(); state.sld = null; }
}

function signOut(message) {
  endSession();
  sessionStorage.removeItem("token");
  state.token = "";
  $("login").hidden = false;
  $("logout").hidden = true;
  $("login-error").textContent = message || "";
  $("status").textContent = "";
  $("who").textContent = "";
  for (const id of ["tiles", "sld-box", "meters-box", "alarms-box"]) { $(id).hidden = true; }
  return null;
}

async function start() {
  endSession();
  const session = state.session;
  state.abort = new AbortController();
  try {
    state.me = await api("/api/v1/whoami");
  } catch (e) {
    return signOut(t("bad_token"));
  }
  if (!state.me) { return signOut(t("bad_token")); }
  $("login").hidden = true;
  $("logout").hidden = false;
  state.park = await api("/api/v1/park");
  const [assets, branches, buses, meters] = await Promise.all([
    api("/api/v1/park/assets?limit=1000"), api("/api/v1/park/branches?limit=1000"),
    api("/api/v1/park/buses?limit=1000"), api("/api/v1/meters?limit=1000"),
  ]);
  if (session !== state.session) { return null; }
  // A tenant's token answers 403 on the park's parts: those panels stay hidden.
  state.assets = assets ? assets.items : [];
  state.branches = branches ? branches.items : [];
  state.buses = buses ? buses.items : [];
  state.meters = meters ? meters.items : [];
  $("status").textContent = t("waiting");
  render();
  refreshMeters();
  state.timers.push(setInterval(refreshMeters, 5000));
  state.timers.push(setInterval(() => { $("clock").textContent = new Date().toLocaleTimeString(state.lang === "zh" ? "zh-CN" : "en-GB"); }, 1000));
  stream(session);
  return null;
}

$("lang").addEventListener("click", () => {
  state.lang = state.lang === "zh" ? "en" : "zh";
  sessionStorage.setItem("lang", state.lang);
  translate();
});
$("logout").addEventListener("click", () => signOut(""));
$("login").addEventListener("submit", (ev) => {
  ev.preventDefault();
  state.token = $("token").value.trim();
  sessionStorage.setItem("token", state.token);
  start();
});
window.addEventListener("resize", () => { if (state.sld) { state.sld.resize(); } });
translate();
if (state.token) { start(); } else { signOut(""); }
