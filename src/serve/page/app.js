// HeatDesk's page for crews in the field: log in, see the team's tickets nearest first, and
// take each step. Steps are queued on the phone and sent when the network allows: each carries
// its own client id, so a retry is applied once; one overtaken meanwhile is shown as such.
"use strict";

const WORDS = {
  zh: {
    title: "HeatDesk 班组", logout: "退出", login_title: "班组登录", login: "账号", password: "密码",
    log_in: "登录", empty: "没有待办工单", celsius: "室温 (°C)", method: "测温方式",
    thermometer: "温度计(室中1.5米)", ir: "红外测温(三点平均)", work_done: "处理情况",
    photos: "照片(最多3张)", reason: "原因", cancel: "取消", submit: "提交",
    accept: "接单", depart: "出发", arrive: "到场", complete: "完工", hold: "挂起", return: "退回",
    call: "拨打", left: "剩余", late: "超时", away: "距离", online: "在线", offline: "离线",
    queued: "条操作待发送（恢复网络后自动发送）", pending: "待发送…",
    overtaken: "未执行：工单 #{id} 已被 {by} 于 {at} 更新（{what}）",
    refused: "未执行：工单 #{id} {what}：{why}", done: "已{what}：工单 #{id}",
    no_position: "位置不可用：{why}", need_work: "请填写处理情况",
    pos_insecure: "本页不是用 https:// 打开的，手机不给位置。请用管理员给的 https 地址打开",
    pos_denied: "没有允许本页使用定位。请在浏览器的网站设置里允许定位后重试",
    pos_unavailable: "手机暂时没有定位信号。请到窗边或楼外重试",
    pos_timeout: "定位超时。请稍后重试", pos_none: "这个浏览器不能定位",
    need_reason: "请填写原因", too_many_photos: "最多3张照片", shrinking: "正在压缩照片…",
    wrong: "账号或密码错误", locked: "密码错误次数过多，请一分钟后再试", team: "班组",
    hold_title: "挂起原因", return_title: "退回原因", complete_title: "完工登记",
    add_photos: "拍照或选择照片", photos_chosen: "已选 {n} 张照片", photo_too_large: "照片无法压缩到300KB以内",
    not_image: "不是图片文件", dismiss: "点击关闭",
  },
  en: {
    title: "HeatDesk crews", logout: "Log out", login_title: "Crew login", login: "Login",
    password: "Password", log_in: "Log in", empty: "No open tickets", celsius: "Indoor °C",
    method: "Method", thermometer: "Thermometer (1.5 m)", ir: "Infrared (3-point average)",
    work_done: "What was done", photos: "Photos (up to 3)", reason: "Reason", cancel: "Cancel",
    submit: "Submit", accept: "Accept", depart: "Depart", arrive: "Arrived", complete: "Done",
    hold: "Hold", return: "Return", call: "Call", left: "left", late: "overdue", away: "away",
    online: "online", offline: "offline", queued: "steps waiting to be sent (sent when back online)",
    pending: "waiting to be sent…",
    overtaken: "Not done: ticket #{id} was changed by {by} at {at} ({what})",
    refused: "Not done: ticket #{id} {what}: {why}", done: "{what}: ticket #{id}",
    no_position: "Position unavailable: {why}", need_work: "Say what was done",
    pos_insecure: "this page was not opened over https://, so the phone gives no position. Open the https address your administrator gave",
    pos_denied: "this page may not use location. Allow it in the browser's site settings and try again",
    pos_unavailable: "the phone has no location fix now. Try by a window or outside",
    pos_timeout: "locating took too long. Try again", pos_none: "this browser cannot locate",
    need_reason: "Give a reason", too_many_photos: "At most 3 photos", shrinking: "Shrinking photos…",
    wrong: "Wrong login or password", locked: "Too many wrong passwords: wait a minute",
    team: "Team", hold_title: "Why on hold", return_title: "Why returned",
    complete_title: "Work done", add_photos: "Take or choose photos",
    photos_chosen: "{n} photo(s) chosen", photo_too_large: "The photo cannot be shrunk to 300 KB",
    not_image: "Not an image file", dismiss: "tap to close",
  },
};

let lang = localStorage.getItem("hd_lang") || "zh";
const w = (k) => (WORDS[lang] && WORDS[lang][k]) || WORDS.zh[k] || k;
const fill = (text, vars) => text.replace(/\{(\w+)\}/g, (_, k) => (vars[k] ?? ""));
const $ = (id) => document.getElementById(id);

let me = null;
let tickets = [];
let lastPosition = null;
const QUEUE = "hd_queue";
const queue = () => JSON.parse(localStorage.getItem(QUEUE) || "[]");
const saveQueue = (q) => localStorage.setItem(QUEUE, JSON.stringify(q));

function translate() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = w(el.dataset.t); });
  $("lang").textContent = lang === "zh" ? "English" : "中文";
  document.title = w("title");
}

function localTime(d) {
  const p = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function clientId() {
  const a = new Uint8Array(12);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function api(method, path, body) {
  const r = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await r.json(); } catch (_) { data = null; }
  return { status: r.status, data };
}

// A line at the top: a step done fades after 8 s; a refusal stays until tapped.
function notice(text, bad) {
  const div = document.createElement("div");
  div.className = bad ? "notice bad" : "notice good";
  div.textContent = text;
  if (bad) {
    div.title = w("dismiss");
    div.addEventListener("click", () => div.remove());
  } else {
    setTimeout(() => div.remove(), 8000);
  }
  $("notices").prepend(div);
  while ($("notices").children.length > 4) $("notices").lastChild.remove();
}

function showNet() {
  $("net").textContent = navigator.onLine ? w("online") : w("offline");
  const n = queue().filter((c) => c.kind === "step").length;
  $("queue-note").hidden = n === 0;
  $("queue-note").textContent = `${n} ${w("queued")}`;
}

// ---- login ----

async function start() {
  translate();
  showNet();
  const r = await api("GET", "/api/me").catch(() => null);
  if (r && r.status === 200) {
    loggedIn(r.data);
  } else {
    $("login").hidden = false;
    $("work").hidden = true;
    $("logout").hidden = true;
  }
}

function loggedIn(data) {
  me = data;
  $("login").hidden = true;
  $("work").hidden = false;
  $("logout").hidden = false;
  $("who").textContent = `${w("team")}：${me.team.name} · ${me.login}`;
  flush().then(refresh);
  reportPosition();
}

$("login").addEventListener("submit", async (e) => {
  e.preventDefault();
  $("login-error").textContent = "";
  const r = await api("POST", "/api/login", {
    login: $("login-name").value.trim(),
    password: $("login-password").value,
  }).catch(() => null);
  if (!r) { $("login-error").textContent = w("offline"); return; }
  if (r.status === 200) { $("login-password").value = ""; loggedIn(r.data); }
  else if (r.status === 429) $("login-error").textContent = w("locked");
  else $("login-error").textContent = w("wrong");
});

$("logout").addEventListener("click", async () => {
  await api("POST", "/api/logout").catch(() => null);
  me = null;
  tickets = [];
  start();
});

$("lang").addEventListener("click", () => {
  lang = lang === "zh" ? "en" : "zh";
  localStorage.setItem("hd_lang", lang);
  translate();
  if (me) { loggedIn(me); }
});

// ---- the list ----

function countdown(minutes) {
  const m = Math.abs(minutes);
  const text = m >= 60 ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, "0")}m` : `${m}m`;
  return minutes < 0 ? `${w("late")} ${text}` : `${w("left")} ${text}`;
}

const NEXT = {
  assigned: ["accept", "return"],
  accepted: ["depart", "arrive", "hold", "return"],
  on_site: ["complete", "hold"],
  on_hold: [],
};

function render() {
  const list = $("tickets");
  list.textContent = "";
  const waiting = new Set(queue().filter((c) => c.kind === "step").map((c) => c.ticket));
  for (const t of tickets) {
    const li = document.createElement("li");
    li.className = `card ${t.severity}`;
    li.dataset.ticket = t.id;
    const top = document.createElement("div");
    top.className = "top";
    const cat = document.createElement("span");
    cat.className = "cat";
    cat.textContent = `#${t.id} ${t.category} · ${t.severity_name}`;
    const st = document.createElement("span");
    st.className = "status";
    st.textContent = t.status_name;
    top.append(cat, st);
    const place = document.createElement("div");
    place.className = "place";
    place.textContent = `${t.place} ${t.address_detail || ""}`;
    const desc = document.createElement("div");
    desc.className = "desc";
    desc.textContent = t.description || "";
    const meta = document.createElement("div");
    meta.className = "meta";
    const due = document.createElement("span");
    due.textContent = countdown(t.minutes_left);
    if (t.minutes_left < 0) due.className = "late";
    const dist = document.createElement("span");
    dist.textContent = t.distance_m == null ? "" : `${w("away")} ${t.distance_m >= 1000 ? (t.distance_m / 1000).toFixed(1) + " km" : t.distance_m + " m"}`;
    meta.append(due, dist);
    const actions = document.createElement("div");
    actions.className = "actions";
    if (t.has_phone) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "call";
      b.textContent = `${w("call")} ${t.reporter || ""} ${t.phone}`;
      b.addEventListener("click", () => call(t));
      actions.append(b);
    }
    for (const step of NEXT[t.status] || []) {
      const b = document.createElement("button");
      b.type = "button";
      b.className = step === "complete" || step === "accept" || step === "arrive" ? "primary" : "";
      b.dataset.step = step;
      b.textContent = w(step);
      b.disabled = waiting.has(t.id);
      b.addEventListener("click", () => takeStep(t, step));
      actions.append(b);
    }
    li.append(top, place, desc, meta, actions);
    if (waiting.has(t.id)) {
      const p = document.createElement("div");
      p.className = "pending";
      p.textContent = w("pending");
      li.append(p);
    }
    list.append(li);
  }
  $("empty").hidden = tickets.length > 0;
  showNet();
}

async function refresh() {
  if (!me) return;
  const pos = lastPosition ? `&lon=${lastPosition.lon}&lat=${lastPosition.lat}` : "";
  const r = await api("GET", `/api/tickets?lang=${lang}${pos}`).catch(() => null);
  if (!r) { showNet(); return; }
  if (r.status === 401) { me = null; start(); return; }
  if (r.status === 200) { tickets = r.data.tickets; render(); }
}

async function call(t) {
  const r = await api("POST", `/api/tickets/${t.id}/call`).catch(() => null);
  if (r && r.status === 200 && r.data.phone) window.location.href = `tel:${r.data.phone}`;
}

// ---- steps ----

// Where the phone is ({lon, lat, accuracy}), or why it cannot say ({why}): browsers give a
// position only to a secure page (https://, or the PC's own localhost).
function position() {
  return new Promise((resolve) => {
    if (!window.isSecureContext) { resolve({ why: w("pos_insecure") }); return; }
    if (!navigator.geolocation) { resolve({ why: w("pos_none") }); return; }
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy }),
      (e) => resolve({ why: w(e.code === 1 ? "pos_denied" : e.code === 3 ? "pos_timeout" : "pos_unavailable") }),
      { enableHighAccuracy: true, timeout: 10000, maximumAge: 30000 },
    );
  });
}

// Said once a session: the phone's position cannot reach the dispatchers' map.
let saidWhyNoPosition = false;

function enqueue(t, step, extra) {
  const q = queue();
  q.push({
    kind: "step", ticket: t.id, step, label: w(step),
    body: Object.assign({ version: t.version, client_id: clientId(), lang }, extra || {}),
  });
  saveQueue(q);
  render();
  return flush();
}

async function takeStep(t, step) {
  if (step === "arrive") {
    const p = await position();
    if (p.why) { notice(fill(w("no_position"), { why: p.why }), true); return; }
    lastPosition = p;
    return enqueue(t, step, { lon: p.lon, lat: p.lat, accuracy: p.accuracy });
  }
  if (step === "complete" || step === "hold" || step === "return") {
    return openSheet(t, step);
  }
  return enqueue(t, step);
}

// Send what is queued, oldest first; stop at the first network failure (it stays queued).
let flushing = null;
function flush() {
  if (!flushing) flushing = doFlush().finally(() => { flushing = null; });
  return flushing;
}

async function doFlush() {
  let q = queue();
  while (q.length > 0) {
    const c = q[0];
    let r;
    try {
      r = c.kind === "step"
        ? await api("POST", `/api/tickets/${c.ticket}/${c.step}`, c.body)
        : await api("POST", "/api/position", c.body);
    } catch (_) {
      showNet();
      return;
    }
    if (r.status === 401) { me = null; start(); return; }
    if (r.status >= 500) { showNet(); return; }
    q = queue();
    q.shift();
    saveQueue(q);
    if (c.kind !== "step") continue;
    if (r.status === 200) {
      notice(fill(w("done"), { id: c.ticket, what: c.label }));
    } else if (r.status === 409 && r.data) {
      notice(fill(w("overtaken"), { id: c.ticket, by: r.data.by || "?", at: r.data.at || "", what: c.label }), true);
    } else {
      notice(fill(w("refused"), { id: c.ticket, what: c.label, why: (r.data && r.data.message) || r.status }), true);
    }
  }
  showNet();
  await refresh();
}

// ---- the sheet for 完工 / 挂起 / 退回 ----

let sheetFor = null;

function openSheet(t, step) {
  sheetFor = { t, step };
  $("sheet-title").textContent = `#${t.id} ${w(step + "_title")}`;
  $("complete-fields").hidden = step !== "complete";
  $("reason-fields").hidden = step === "complete";
  $("sheet-error").textContent = "";
  $("photo-note").textContent = "";
  $("work-done").value = "";
  $("reason").value = "";
  $("celsius").value = "";
  $("photos").value = "";
  $("sheet").showModal();
}

$("photos").addEventListener("change", () => {
  const n = ($("photos").files || []).length;
  $("photo-note").textContent = n ? fill(w("photos_chosen"), { n }) : "";
});

$("sheet-cancel").addEventListener("click", () => $("sheet").close());

// A photo shrunk to at most 1280 px and 300 KB, as a JPEG data: URL.
function shrink(file) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const scale = Math.min(1, 1280 / Math.max(img.width, img.height));
      const c = document.createElement("canvas");
      c.width = Math.max(1, Math.round(img.width * scale));
      c.height = Math.max(1, Math.round(img.height * scale));
      c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
      URL.revokeObjectURL(img.src);
      for (const q of [0.8, 0.65, 0.5, 0.35, 0.2]) {
        const url = c.toDataURL("image/jpeg", q);
        if ((url.length - url.indexOf(",") - 1) * 3 / 4 <= 300 * 1024) { resolve(url); return; }
      }
      reject(new Error(w("photo_too_large")));
    };
    img.onerror = () => reject(new Error(w("not_image")));
    img.src = URL.createObjectURL(file);
  });
}

$("sheet-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const { t, step } = sheetFor;
  if (step === "complete") {
    const work = $("work-done").value.trim();
    if (!work) { $("sheet-error").textContent = w("need_work"); return; }
    const files = Array.from($("photos").files || []);
    if (files.length > 3) { $("sheet-error").textContent = w("too_many_photos"); return; }
    $("photo-note").textContent = files.length ? w("shrinking") : "";
    let photos;
    try { photos = await Promise.all(files.map(shrink)); } catch (err) {
      $("sheet-error").textContent = String(err.message || err); return;
    }
    const c = $("celsius").value.trim();
    $("sheet").close();
    await enqueue(t, step, {
      celsius: c === "" ? null : Number(c), method: $("method").value, work, photos,
    });
  } else {
    const reason = $("reason").value.trim();
    if (!reason) { $("sheet-error").textContent = w("need_reason"); return; }
    $("sheet").close();
    await enqueue(t, step, { reason });
  }
});

// ---- where the team is ----

async function reportPosition() {
  if (!me) return;
  const p = await position();
  if (p.why) {
    if (!saidWhyNoPosition) notice(fill(w("no_position"), { why: p.why }), true);
    saidWhyNoPosition = true;
    return;
  }
  saidWhyNoPosition = false;
  lastPosition = p;
  const q = queue().filter((c) => c.kind !== "position");
  q.push({ kind: "position", body: { lon: p.lon, lat: p.lat, accuracy: p.accuracy, at: localTime(new Date()) } });
  saveQueue(q);
  flush();
}

window.addEventListener("online", () => { showNet(); flush(); });
window.addEventListener("offline", showNet);
setInterval(() => { if (me) reportPosition(); }, 30000);
setInterval(() => { if (me) flush().then(refresh); }, 15000);
start();
