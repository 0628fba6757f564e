// The clinic's staff console. A client of the public API (/api/v1) with the
// signed-in user's bearer token, nothing more. No framework and no build
// step: elements are built with h(), which only ever sets text (never HTML),
// so nothing a customer typed can become markup.
"use strict";
(() => {
  const TOKEN = "clinic.token"; // the access token (tests may put one made by `clinic token` here)
  const ID_TOKEN = "clinic.idToken";
  const PKCE = "clinic.pkce";
  const main = document.getElementById("main");
  let cfg = null;
  let catalog = { clinic: "", timeZone: "UTC", doctors: [], fees: [], currency: "KRW" };
  let onCommit = null; // the open screen's refresh on a read model's commit
  let screenSeq = 0; // stops an old screen's late answer from drawing over a new one

  // ---- elements -----------------------------------------------------------
  function h(tag, attrs, ...kids) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
      else if (k === "text") el.textContent = v;
      else if (v === true) el.setAttribute(k, "");
      else el.setAttribute(k, String(v));
    }
    for (const kid of kids.flat()) {
      if (kid === undefined || kid === null || kid === false) continue;
      el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
    return el;
  }
  let fieldSeq = 0;
  // field is a labelled control: label text, then the input (or select).
  function field(label, control, hint) {
    const id = control.id || "f" + ++fieldSeq;
    control.id = id;
    return h("div", { class: "field" }, h("label", { for: id }, label), control, hint ? h("small", {}, hint) : null);
  }
  function button(text, onclick, attrs) {
    return h("button", Object.assign({ type: "button", onclick }, attrs || {}), text);
  }
  function table(caption, head, rows) {
    return h("table", {}, h("caption", {}, caption),
      h("thead", {}, h("tr", {}, head.map((c) => h("th", { scope: "col" }, c)))),
      h("tbody", {}, rows.length ? rows : h("tr", {}, h("td", { colspan: head.length, class: "empty" }, "None."))));
  }

  // ---- messages -----------------------------------------------------------
  const alertBox = document.getElementById("alert");
  function showError(err) {
    alertBox.replaceChildren(h("strong", {}, "Could not do that. "), err.message || String(err));
    if (err.fields && err.fields.length) {
      alertBox.append(h("ul", {}, err.fields.map((f) => h("li", {}, (f.field ? f.field + ": " : "") + f.message))));
    }
    alertBox.className = "alert error";
    alertBox.hidden = false;
  }
  function showInfo(text) {
    alertBox.replaceChildren(text);
    alertBox.className = "alert info";
    alertBox.hidden = false;
  }
  function clearMessage() { alertBox.hidden = true; alertBox.replaceChildren(); }

  // ---- the API ------------------------------------------------------------
  class Problem extends Error {
    constructor(status, p) {
      const title = (p && p.title) || "The server answered " + status;
      super(p && p.detail ? title + ": " + p.detail : title);
      this.status = status;
      this.type = p && p.type;
      this.fields = (p && p.errors) || [];
    }
  }
  function token() { return sessionStorage.getItem(TOKEN); }
  function newKey() {
    if (crypto.randomUUID) return crypto.randomUUID();
    return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
  }
  // api calls the API; a command gets an Idempotency-Key, so a retried
  // click books once. Errors are Problems with the server's words.
  async function api(method, path, body) {
    const headers = { Authorization: "Bearer " + token() };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    if (method !== "GET") headers["Idempotency-Key"] = newKey();
    let r;
    try {
      r = await fetch(cfg.api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new Problem(0, { title: "The clinic's server cannot be reached", detail: String(e.message || e) });
    }
    const type = r.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await r.json().catch(() => null) : null;
    if (r.status === 401) {
      sessionStorage.removeItem(TOKEN);
      renderWho();
    }
    if (!r.ok) throw new Problem(r.status, data);
    return data;
  }
  // all follows a list's pages and returns its items (list: the member).
  async function all(path, list) {
    let out = [], cursor = "", first = null;
    for (let i = 0; i < 50; i++) {
      const sep = path.includes("?") ? "&" : "?";
      const page = await api("GET", path + sep + "limit=200" + (cursor ? "&cursor=" + encodeURIComponent(cursor) : ""));
      first = first || page;
      const holder = page.data || page;
      out = out.concat(holder[list] || []);
      if (!page.next) break;
      cursor = page.next;
    }
    return { items: out, page: first };
  }

  // ---- formats ------------------------------------------------------------
  const digits = {};
  function exponent(currency) {
    if (!(currency in digits)) {
      try { digits[currency] = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().maximumFractionDigits; }
      catch { digits[currency] = 0; }
    }
    return digits[currency];
  }
  function money(minor, currency) {
    currency = currency || catalog.currency;
    const e = exponent(currency);
    return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(minor / 10 ** e);
  }
  function toMinor(text, currency) {
    const n = Number(String(text).replace(/[, ]/g, ""));
    return Math.round(n * 10 ** exponent(currency || catalog.currency));
  }
  function fromMinor(minor, currency) { return String(minor / 10 ** exponent(currency || catalog.currency)); }
  function today() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: catalog.timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  }
  function hhmm(local) { return (local || "").slice(11, 16); }
  function when(iso) {
    if (!iso) return "";
    return new Intl.DateTimeFormat(undefined, { timeZone: catalog.timeZone, dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  }
  const statusNames = { booked: "Booked", checked_in: "Checked in", completed: "Completed", cancelled: "Cancelled", no_show: "No-show",
    open: "Open", partially_paid: "Partly paid", paid: "Paid", refunded: "Refunded", void: "Void", finalized: "Finalised" };
  function status(s) { return h("span", { class: "status s-" + s }, statusNames[s] || s); }
  function doctorName(id) { const d = catalog.doctors.find((x) => x.id === id); return d ? d.name : id; }
  function qs(params) {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") u.set(k, v);
    const s = u.toString();
    return s ? "?" + s : "";
  }
  function minPos(pos) { return pos ? "minPosition=" + pos : ""; }

  // ---- sign-in: OpenID Connect, authorization code with PKCE ----------------
  function b64url(bytes) {
    return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function randomString() { return b64url(crypto.getRandomValues(new Uint8Array(32))); }
  let discovered = null;
  async function provider() {
    if (!discovered) {
      const r = await fetch(cfg.issuer.replace(/\/$/, "") + "/.well-known/openid-configuration");
      if (!r.ok) throw new Problem(r.status, { title: "The sign-in service does not answer", detail: cfg.issuer });
      discovered = await r.json();
    }
    return discovered;
  }
  function redirectURI() { return location.origin + "/console/callback"; }
  async function signIn() {
    try {
      if (!crypto.subtle) throw new Error("sign-in needs a secure origin (https, or http on localhost)");
      const p = await provider();
      const verifier = randomString(), state = randomString(), nonce = randomString();
      const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
      sessionStorage.setItem(PKCE, JSON.stringify({ verifier, state, nonce, back: location.hash }));
      location.assign(p.authorization_endpoint + qs({ response_type: "code", client_id: cfg.clientId, redirect_uri: redirectURI(),
        scope: "openid profile", state, nonce, code_challenge: challenge, code_challenge_method: "S256" }));
    } catch (e) { showError(e); }
  }
  // callback finishes a sign-in: the provider sent the browser back with a
  // code, which the token endpoint exchanges with the PKCE verifier.
  async function callback() {
    const q = new URLSearchParams(location.search);
    const saved = JSON.parse(sessionStorage.getItem(PKCE) || "null");
    sessionStorage.removeItem(PKCE);
    history.replaceState(null, "", "/console/" + ((saved && saved.back) || ""));
    if (q.get("error")) throw new Problem(400, { title: "Sign-in failed", detail: q.get("error_description") || q.get("error") });
    if (!saved || q.get("state") !== saved.state) throw new Problem(400, { title: "Sign-in failed", detail: "the answer does not belong to this sign-in; try again" });
    const p = await provider();
    const r = await fetch(p.token_endpoint, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: q.get("code") || "", redirect_uri: redirectURI(),
        client_id: cfg.clientId, code_verifier: saved.verifier }) });
    const t = await r.json().catch(() => null);
    if (!r.ok || !t || !t.access_token) {
      throw new Problem(r.status, { title: "Sign-in failed", detail: (t && (t.error_description || t.error)) || "no token" });
    }
    sessionStorage.setItem(TOKEN, t.access_token);
    if (t.id_token) sessionStorage.setItem(ID_TOKEN, t.id_token);
  }
  async function signOut() {
    const idToken = sessionStorage.getItem(ID_TOKEN);
    sessionStorage.removeItem(TOKEN);
    sessionStorage.removeItem(ID_TOKEN);
    stopStream();
    try {
      const p = await provider();
      if (p.end_session_endpoint) {
        location.assign(p.end_session_endpoint + qs({ client_id: cfg.clientId, id_token_hint: idToken, post_logout_redirect_uri: location.origin + "/console/" }));
        return;
      }
    } catch { /* signed out here in any case */ }
    start();
  }
  function claims() {
    const t = token();
    if (!t) return null;
    try {
      const c = JSON.parse(atob(t.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
      if (c.exp && c.exp * 1000 < Date.now()) return null;
      c.roles = [].concat(c.roles || [], c.role || [], (c.realm_access && c.realm_access.roles) || []);
      return c;
    } catch { return null; }
  }
  function hasRole(c, ...roles) { return c && (c.roles.includes("staff") || roles.some((r) => c.roles.includes(r))); }
  function renderWho() {
    const c = claims();
    document.getElementById("who").textContent = c ? "Signed in as " + (c.name || c.preferred_username || c.sub) + " (" + c.roles.join(", ") + ")" : "";
    document.getElementById("signin").hidden = !!c;
    document.getElementById("signout").hidden = !c;
    const nav = document.getElementById("nav");
    nav.hidden = !c;
    for (const a of nav.querySelectorAll("[data-role]")) a.hidden = !hasRole(c, a.dataset.role);
  }

  // ---- live updates: the API's event stream --------------------------------
  // EventSource cannot send a bearer token, so the stream is read with fetch.
  let streamAbort = null;
  function setLive(text) { document.getElementById("live").textContent = text; }
  function stopStream() { if (streamAbort) streamAbort.abort(); streamAbort = null; setLive(""); }
  async function startStream() {
    stopStream();
    const ctl = new AbortController();
    streamAbort = ctl;
    let retry = 2000;
    while (!ctl.signal.aborted && token()) {
      try {
        const r = await fetch(cfg.api + "/events/stream", { headers: { Authorization: "Bearer " + token() }, signal: ctl.signal });
        if (!r.ok || !r.body) throw new Error("stream " + r.status);
        setLive("Live");
        document.body.dataset.live = "on";
        const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let end;
          while ((end = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, end);
            buf = buf.slice(end + 2);
            let event = "message", data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("event: ")) event = line.slice(7);
              else if (line.startsWith("data: ")) data += line.slice(6);
              else if (line.startsWith("retry: ")) retry = Number(line.slice(7)) || retry;
            }
            if (event === "commit" && onCommit) {
              try { const c = JSON.parse(data); onCommit(c.readModel, c.position); } catch { /* a malformed event is skipped */ }
            }
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
      }
      document.body.dataset.live = "off";
      setLive("Reconnecting…");
      await new Promise((res) => setTimeout(res, retry));
    }
  }

  // ---- screens ------------------------------------------------------------
  const routes = [
    [/^#\/day(?:\/(\d{4}-\d{2}-\d{2}))?$/, (m, p) => daySheet(m[1] || today(), p)],
    [/^#\/book(?:\/([0-9a-f-]{36}))?$/, (m) => booking(m[1])],
    [/^#\/visit\/([0-9a-f-]{36})$/, (m, p) => visit(m[1], p)],
    [/^#\/record\/([0-9a-f-]{36})$/, (m, p) => record(m[1], p)],
    [/^#\/invoice\/([0-9a-f-]{36})$/, (m, p) => invoice(m[1], p)],
    [/^#\/admin$/, () => admin()],
  ];
  let pendingPos = 0; // a command's position, for the next screen's read-your-writes
  function go(hash, pos) {
    pendingPos = pos || 0;
    if (location.hash === hash) route();
    else location.hash = hash;
  }
  async function route() {
    if (!claims()) { renderSignedOut(); return; }
    const hash = location.hash || "#/day";
    const seq = ++screenSeq;
    onCommit = null;
    for (const [re, screen] of routes) {
      const m = hash.match(re);
      if (!m) continue;
      const pos = pendingPos;
      pendingPos = 0;
      try {
        const el = await screen(m, pos);
        if (seq !== screenSeq) return;
        main.replaceChildren(el);
        const heading = main.querySelector("h2");
        if (heading) { heading.tabIndex = -1; heading.focus(); }
      } catch (e) {
        if (seq !== screenSeq) return;
        main.replaceChildren(h("h2", {}, "Cannot show this"));
        showError(e);
      }
      return;
    }
    main.replaceChildren(h("h2", {}, "No such screen"), h("p", {}, h("a", { href: "#/day" }, "Back to the day sheet")));
  }
  // act runs a command from a form or button, shows its error in words, and
  // on success moves to (or redraws) a screen that reads its own write.
  async function act(el, fn) {
    clearMessage();
    const controls = el ? el.querySelectorAll("button, input, select, textarea") : [];
    controls.forEach((c) => (c.disabled = true));
    try { await fn(); } catch (e) { showError(e); } finally { controls.forEach((c) => (c.disabled = false)); }
  }
  function form(legend, fields, submit, onsubmit, attrs) {
    const f = h("form", Object.assign({ class: "card" }, attrs || {}), h("fieldset", {}, h("legend", {}, legend), fields, h("button", { type: "submit" }, submit)));
    f.addEventListener("submit", (ev) => { ev.preventDefault(); act(f, () => onsubmit(f)); });
    return f;
  }
  function val(f, name) { return f.elements[name].value.trim(); }

  function renderSignedOut() {
    stopStream();
    renderWho();
    main.replaceChildren(h("section", { class: "card signin" }, h("h2", {}, "Sign in"),
      h("p", {}, "Sign in with your clinic account to see the day sheet, book visits, record and bill them."),
      button("Sign in", signIn, { class: "primary", id: "signin-main" })));
  }

  // The day sheet: every doctor's visits of one day, live.
  async function daySheet(date, pos) {
    const load = async (p) => (await all("/day-sheet" + qs({ date }) + (p ? "&" + minPos(p) : ""), "visits")).items;
    let visits = await load(pos);
    const body = h("div", { id: "sheet" });
    const c = claims();
    const draw = () => {
      const byDoctor = {};
      for (const v of visits) (byDoctor[v.doctorId] = byDoctor[v.doctorId] || []).push(v);
      const rows = visits.map((v) => h("tr", { "data-id": v.id, "data-status": v.status },
        h("td", {}, hhmm(v.slotLocal)), h("td", {}, doctorName(v.doctorId)),
        h("td", {}, h("a", { href: "#/visit/" + v.id }, v.pet.name), " (" + v.pet.species + ")"),
        h("td", {}, v.customer.name), h("td", {}, status(v.status)),
        h("td", { class: "num" }, v.invoice ? money(v.balance, v.invoice.currency) : "—"),
        h("td", { class: "actions" }, visitActions(v, c))));
      body.replaceChildren(table((visits.length === 1 ? "1 visit" : visits.length + " visits") + " on " + date, ["Time", "Doctor", "Pet", "Customer", "Status", "Balance", "Actions"], rows));
    };
    draw();
    onCommit = async (rm, p) => {
      if (rm !== "visits") return;
      try { visits = await load(p); draw(); } catch (e) { showError(e); }
    };
    const picker = h("input", { type: "date", value: date, name: "date" });
    picker.addEventListener("change", () => picker.value && go("#/day/" + picker.value));
    return h("section", {}, h("h2", {}, "Day sheet"),
      h("div", { class: "toolbar" }, field("Day", picker), h("a", { href: "#/book", class: "button" }, "Book a visit")), body);
  }
  function visitActions(v, c) {
    const out = [];
    const cmd = (text, path, label) => button(text, (ev) => act(ev.target.closest("td"), async () => {
      const r = await api("POST", "/reservations/" + v.id + path, {});
      showInfo(label + ": " + v.pet.name + ".");
      go(location.hash, r.position);
    }), { "aria-label": text + " " + v.pet.name + " " + hhmm(v.slotLocal) });
    if (v.status === "booked" && hasRole(c, "reception")) {
      out.push(cmd("Check in", "/check-in", "Checked in"), cmd("No-show", "/no-show", "Marked a no-show"));
    }
    if ((v.status === "checked_in" || v.status === "completed") && v.medicalRecordId) {
      out.push(h("a", { href: "#/record/" + v.medicalRecordId, class: "button" }, "Record"));
    }
    if (v.invoice) out.push(h("a", { href: "#/invoice/" + v.invoice.invoiceId, class: "button" }, "Invoice"));
    return out;
  }

  // Booking (or, with a reservation id, rescheduling) with a slot picker
  // fed by the doctors' availability.
  async function booking(moving) {
    let current = null;
    if (moving) current = (await api("GET", "/reservations/" + moving)).data;
    const doctor = h("select", { name: "doctorId", required: true },
      catalog.doctors.map((d) => h("option", { value: d.id, selected: current && current.doctorId === d.id }, d.name)));
    const date = h("input", { type: "date", name: "date", required: true, value: current ? current.day : today() });
    const slots = h("fieldset", { class: "slots", id: "slots" }, h("legend", {}, "Free slots"));
    const openForm = h("div", { id: "open-day" });
    const showSlots = async () => {
      slots.replaceChildren(h("legend", {}, "Free slots"));
      openForm.replaceChildren();
      let day = null;
      try {
        day = (await api("GET", "/doctors/" + doctor.value + "/days/" + date.value + "/availability")).data;
      } catch (e) {
        if (e.status !== 404) throw e;
      }
      const free = day && !day.closed ? (day.slots || []).filter((s) => s.free > 0 && !s.past) : [];
      if (!free.length) {
        slots.append(h("p", {}, day && !day.closed ? "No free slot on this day." : "This day is not open for " + doctorName(doctor.value) + "."));
      }
      free.forEach((s, i) => {
        const id = "slot-" + i;
        const local = new Intl.DateTimeFormat("en-GB", { timeZone: catalog.timeZone, hour: "2-digit", minute: "2-digit" }).format(new Date(s.start));
        slots.append(h("div", { class: "slot" }, h("input", { type: "radio", name: "slot", id, value: s.start, required: true }),
          h("label", { for: id }, local + " (" + s.free + " free)")));
      });
      const c = claims();
      if ((!day || day.closed) && hasRole(c, "reception", "admin")) openForm.append(openDayForm(doctor.value, date.value, showSlots));
    };
    doctor.addEventListener("change", () => showSlots().catch(showError));
    date.addEventListener("change", () => date.value && showSlots().catch(showError));
    await showSlots();
    const who = moving ? [] : [
      field("Customer name", h("input", { name: "customerName", required: true, autocomplete: "name" })),
      field("Phone", h("input", { name: "phone", required: true, type: "tel", autocomplete: "tel" })),
      field("Pet name", h("input", { name: "petName", required: true })),
      field("Species", h("input", { name: "species", required: true, list: "species" }),
        h("datalist", { id: "species" }, ["dog", "cat", "rabbit", "bird"].map((s) => h("option", { value: s })))),
      field("Reason", h("input", { name: "reason" })),
    ];
    const f = form(moving ? "Move " + current.pet.name + "'s visit" : "New visit", [field("Doctor", doctor), field("Day", date), slots, ...who],
      moving ? "Reschedule" : "Book", async (f) => {
        const slot = f.querySelector("input[name=slot]:checked");
        if (!slot) throw new Problem(422, { title: "Pick a free slot" });
        const start = slot.value; // RFC 3339, as availability gave it
        if (moving) {
          const r = await api("POST", "/reservations/" + moving + "/reschedule", { slot: start, doctorId: doctor.value });
          showInfo("Moved.");
          go("#/visit/" + moving, r.position);
          return;
        }
        const r = await api("POST", "/reservations", { customer: { name: val(f, "customerName"), phone: val(f, "phone") },
          pet: { name: val(f, "petName"), species: val(f, "species") }, doctorId: doctor.value, slot: start, reason: val(f, "reason") || undefined });
        showInfo("Booked " + val(f, "petName") + ".");
        go("#/day/" + date.value, r.position);
      }, { id: "booking" });
    return h("section", {}, h("h2", {}, moving ? "Reschedule" : "Book a visit"), f, openForm);
  }
  function openDayForm(doctorId, date, then) {
    return form("Open " + doctorName(doctorId) + "'s day " + date, [
      field("Opens", h("input", { name: "opens", type: "time", value: "09:00", required: true })),
      field("Closes", h("input", { name: "closes", type: "time", value: "18:00", required: true })),
      field("Slot minutes", h("input", { name: "slotMinutes", type: "number", min: 5, value: 30, required: true })),
      field("Visits per slot", h("input", { name: "capacity", type: "number", min: 1, value: 1, required: true })),
      h("div", { class: "field check" }, h("input", { type: "checkbox", name: "extra", id: "extra" }),
        h("label", { for: "extra" }, "Extra day (not one of the doctor's usual days)")),
    ], "Open the day", async (f) => {
      await api("PUT", "/doctors/" + doctorId + "/days/" + date, { opens: val(f, "opens"), closes: val(f, "closes"),
        slotMinutes: Number(val(f, "slotMinutes")), capacity: Number(val(f, "capacity")), extra: f.elements.extra.checked || undefined });
      showInfo("The day is open.");
      await new Promise((r) => setTimeout(r, 300)); // availability follows the day's opening
      await then();
    }, { id: "open-day-form" });
  }

  // One visit: its status, history, actions and notifications.
  async function visit(id, pos) {
    const v = (await api("GET", "/reservations/" + id + qs({ minPosition: pos || undefined }))).data;
    const c = claims();
    const parts = [h("h2", {}, v.pet.name + " with " + doctorName(v.doctorId)),
      h("dl", { class: "facts" },
        h("dt", {}, "When"), h("dd", {}, v.day + " " + hhmm(v.slotLocal) + " (" + v.timeZone + ")"),
        h("dt", {}, "Status"), h("dd", {}, status(v.status)),
        h("dt", {}, "Customer"), h("dd", {}, v.customer.name + ", " + v.customer.phone),
        h("dt", {}, "Pet"), h("dd", {}, v.pet.name + " (" + v.pet.species + ")"),
        h("dt", {}, "Reason"), h("dd", {}, v.reason || "—"),
        h("dt", {}, "Balance"), h("dd", {}, v.invoice ? money(v.invoice.balance, v.invoice.currency) + " of " + money(v.invoice.total, v.invoice.currency) : "not billed yet")),
      h("div", { class: "toolbar" }, visitActions({ id, status: v.status, pet: v.pet, slotLocal: v.slotLocal, medicalRecordId: v.medicalRecord.id, invoice: v.invoice }, c),
        v.medicalRecord.id && v.status === "booked" ? h("a", { href: "#/record/" + v.medicalRecord.id, class: "button" }, "Record") : null)];
    if (v.status === "booked" && hasRole(c, "reception")) {
      parts.push(h("div", { class: "toolbar" }, h("a", { href: "#/book/" + id, class: "button" }, "Reschedule")),
        form("Cancel the visit", [field("Reason", h("input", { name: "reason" }))], "Cancel the visit", async (f) => {
          const r = await api("POST", "/reservations/" + id + "/cancel", { reason: val(f, "reason") || undefined });
          showInfo("Cancelled; the customer is told.");
          go("#/visit/" + id, r.position);
        }));
    }
    if (v.status === "checked_in" && hasRole(c, "reception", "vet")) {
      parts.push(h("div", { class: "toolbar" }, button("Complete the visit", (ev) => act(ev.target.parentNode, async () => {
        const r = await api("POST", "/reservations/" + id + "/complete", {});
        go("#/visit/" + id, r.position);
      }))));
    }
    parts.push(table("History", ["When", "What", "Slot", "By"], v.history.map((e) =>
      h("tr", {}, h("td", {}, when(e.at)), h("td", {}, statusNames[e.status] || e.event, e.reason ? " — " + e.reason : ""),
        h("td", {}, hhmm(e.slotLocal) + " " + doctorName(e.doctorId)), h("td", {}, e.by)))));
    if (hasRole(c, "reception", "admin")) {
      const notes = await all("/notifications" + qs({ reservationId: id }), "notifications").catch((e) => ({ items: [], error: e }));
      parts.push(table("Messages to the customer", ["Created", "Kind", "Text", "Status"], notes.items.map((n) =>
        h("tr", {}, h("td", {}, when(n.createdAt)), h("td", {}, n.kind), h("td", {}, n.text), h("td", {}, n.status + (n.lastError ? " (" + n.lastError + ")" : ""))))));
      if (notes.error) parts.push(h("p", { class: "muted" }, "Messages: " + notes.error.message));
    }
    onCommit = (rm, p) => { if (rm === "visits") visit(id, p).then((el) => main.replaceChildren(el)).catch(showError); };
    return h("section", {}, parts);
  }

  // The medical record: findings, diagnosis, treatments with a running total,
  // prescriptions, finalising, addenda, its history.
  async function record(id, pos) {
    const read = await api("GET", "/medical-records/" + id + qs({ minPosition: pos || undefined }));
    const r = read.data;
    const c = claims();
    const vet = hasRole(c, "vet");
    const open = r.status !== "finalized";
    const cur = r.currency || catalog.currency;
    const reload = (p) => go("#/record/" + id, p);
    const parts = [h("h2", {}, "Medical record: " + r.visit.pet.name),
      h("p", {}, r.visit.customer.name + " · " + doctorName(r.visit.doctorId) + " · " + r.visit.atLocal.slice(0, 16).replace("T", " ") + " · ",
        status(r.status), " · ", h("a", { href: "#/visit/" + r.visit.reservationId }, "the visit"),
        r.invoiceId ? [" · ", h("a", { href: "#/invoice/" + r.invoiceId }, "the invoice")] : null)];
    if (vet && open) {
      parts.push(form("Examination", [
        field("Findings", h("textarea", { name: "findings", rows: 3 }, r.findings)),
        field("Diagnosis", h("input", { name: "diagnosis", value: r.diagnosis })),
      ], "Save the diagnosis", async (f) => {
        const a = await api("POST", "/medical-records/" + id + "/diagnosis", { findings: val(f, "findings"), diagnosis: val(f, "diagnosis") });
        reload(a.position);
      }, { id: "diagnosis" }));
    } else {
      parts.push(h("dl", { class: "facts" }, h("dt", {}, "Findings"), h("dd", {}, r.findings || "—"), h("dt", {}, "Diagnosis"), h("dd", {}, r.diagnosis || "—")));
    }
    const lineRows = r.lines.map((l) => h("tr", {}, h("td", {}, l.line || ""), h("td", {}, l.code), h("td", {}, l.description),
      h("td", { class: "num" }, l.quantity), h("td", { class: "num" }, money(l.unitPrice, cur)), h("td", { class: "num" }, money(l.lineTotal, cur)),
      h("td", {}, vet && open && l.line ? button("Remove", (ev) => act(ev.target.closest("td"), async () => {
        const a = await api("POST", "/medical-records/" + id + "/treatments/" + l.line + "/remove", {});
        reload(a.position);
      }), { "aria-label": "Remove line " + l.line }) : null)));
    const lines = table("Treatments", ["Line", "Code", "Treatment", "Qty", "Unit price", "Line total", ""], lineRows);
    lines.append(h("tfoot", {}, h("tr", {}, h("th", { scope: "row", colspan: 5 }, "Total"), h("td", { class: "num", id: "total" }, money(r.total, cur)), h("td", {}))));
    parts.push(lines);
    if (vet && open) {
      const fee = h("select", { name: "code" }, catalog.fees.map((x) => h("option", { value: x.code }, x.description + " (" + money(x.price, x.currency) + ")")));
      const qty = h("input", { name: "quantity", type: "number", min: 1, value: 1, required: true });
      const preview = h("output", { id: "running", for: fee.id }, "");
      const update = () => {
        const x = catalog.fees.find((y) => y.code === fee.value);
        preview.textContent = x ? "Total with this line: " + money(r.total + x.price * (Number(qty.value) || 0), cur) : "";
      };
      fee.addEventListener("change", update);
      qty.addEventListener("input", update);
      update();
      parts.push(form("Add a treatment", [field("Treatment", fee), field("Quantity", qty), preview], "Add", async (f) => {
        const a = await api("POST", "/medical-records/" + id + "/treatments", { items: [{ code: fee.value, quantity: Number(qty.value) }] });
        reload(a.position);
      }, { id: "treatments" }));
    }
    parts.push(table("Prescriptions", ["Drug", "Dosage", "Frequency", "Days", "Notes"], r.prescriptions.map((p) =>
      h("tr", {}, h("td", {}, p.drug), h("td", {}, p.dosage), h("td", {}, p.frequency), h("td", { class: "num" }, p.days), h("td", {}, p.notes || "")))));
    if (vet && open) {
      parts.push(form("Prescribe", [
        field("Drug", h("input", { name: "drug", required: true })), field("Dosage", h("input", { name: "dosage", required: true })),
        field("Frequency", h("input", { name: "frequency", required: true })), field("Days", h("input", { name: "days", type: "number", min: 1, value: 7, required: true })),
        field("Notes", h("input", { name: "notes" })),
      ], "Prescribe", async (f) => {
        const a = await api("POST", "/medical-records/" + id + "/prescriptions", { items: [{ drug: val(f, "drug"), dosage: val(f, "dosage"),
          frequency: val(f, "frequency"), days: Number(val(f, "days")), notes: val(f, "notes") || undefined }] });
        reload(a.position);
      }, { id: "prescriptions" }));
      parts.push(form("Finalise", [h("div", { class: "field check" }, h("input", { type: "checkbox", name: "noCharge", id: "nocharge" }),
        h("label", { for: "nocharge" }, "No charge for this visit"))], "Finalise and bill", async (f) => {
        const a = await api("POST", "/medical-records/" + id + "/finalize", f.elements.noCharge.checked ? { noCharge: true } : undefined);
        showInfo("Finalised; invoice " + (a.invoiceId || "") + " issued.");
        reload(a.position);
      }, { id: "finalize" }));
    }
    parts.push(table("Addenda", ["When", "Note", "By"], r.addenda.map((a) => h("tr", {}, h("td", {}, when(a.at)), h("td", {}, a.text), h("td", {}, a.by)))));
    if (vet && !open) {
      parts.push(form("Add an addendum", [field("Note", h("textarea", { name: "text", rows: 2, required: true }))], "Add the addendum", async (f) => {
        const a = await api("POST", "/medical-records/" + id + "/addenda", { text: val(f, "text") });
        reload(a.position);
      }, { id: "addenda" }));
    }
    const hist = await all("/medical-records/" + id + "/history" + qs({ minPosition: read.position }), "entries");
    parts.push(table("The record's history", ["When", "What", "By"], hist.items.map((e) => h("tr", {}, h("td", {}, when(e.at)), h("td", {}, e.what), h("td", {}, e.by)))));
    return h("section", {}, parts);
  }

  // The invoice: lines, discounts, payments by method, refunds, a receipt.
  async function invoice(id, pos) {
    const i = (await api("GET", "/invoices/" + id + qs({ minPosition: pos || undefined }))).data;
    const c = claims();
    const desk = hasRole(c, "reception");
    const cur = i.currency;
    const reload = (p) => go("#/invoice/" + id, p);
    const methods = ["card", "cash", "transfer", "mobile"];
    const methodSelect = () => h("select", { name: "method" }, methods.map((m) => h("option", { value: m }, m)));
    const parts = [h("h2", {}, "Invoice: " + i.pet.name),
      h("p", {}, i.customer.name + " · " + i.customer.phone + " · " + doctorName(i.doctorId) + " · issued " + when(i.issuedAt) + " · ", status(i.status),
        " · ", h("a", { href: "#/visit/" + i.reservationId }, "the visit"), " · ", h("a", { href: "#/record/" + i.medicalRecordId }, "the record"))];
    const lines = table("Lines", ["Code", "Treatment", "Qty", "Unit price", "Line total"], i.lines.map((l) =>
      h("tr", {}, h("td", {}, l.code), h("td", {}, l.description), h("td", { class: "num" }, l.quantity), h("td", { class: "num" }, money(l.unitPrice, cur)), h("td", { class: "num" }, money(l.lineTotal, cur)))));
    const sum = (label, amount, id) => h("tr", {}, h("th", { scope: "row", colspan: 4 }, label), h("td", { class: "num", id }, money(amount, cur)));
    lines.append(h("tfoot", {}, sum("Discounts", i.discounted ? -i.discounted : 0, "discounted"), sum("Total", i.total, "inv-total"), sum("Paid", i.paid, "inv-paid"),
      sum("Refunded", i.refunded, "inv-refunded"), sum("Balance", i.balance, "inv-balance")));
    parts.push(lines);
    const moves = (caption, list) => table(caption, ["When", "Amount", "Method", "Reason", "By"], list.map((m) =>
      h("tr", {}, h("td", {}, when(m.at)), h("td", { class: "num" }, money(m.amount, cur)), h("td", {}, m.method || ""), h("td", {}, m.reason || ""), h("td", {}, m.by))));
    parts.push(moves("Payments", i.payments), moves("Refunds", i.refunds), moves("Discounts", i.discounts));
    parts.push(h("div", { class: "toolbar" }, button("Print a receipt", () => window.print())));
    if (desk && i.status !== "void") {
      if (i.balance > 0) {
        parts.push(form("Take a payment", [field("Amount", h("input", { name: "amount", inputmode: "decimal", value: fromMinor(i.balance, cur), required: true }), cur),
          field("Method", methodSelect())], "Take the payment", async (f) => {
          const a = await api("POST", "/invoices/" + id + "/payments", { amount: toMinor(val(f, "amount"), cur), currency: cur, method: val(f, "method") });
          showInfo("Payment taken.");
          reload(a.position);
        }, { id: "payment" }));
        parts.push(form("Give a discount", [field("Amount", h("input", { name: "amount", inputmode: "decimal", required: true }), cur),
          field("Reason", h("input", { name: "reason", required: true }))], "Give the discount", async (f) => {
          const a = await api("POST", "/invoices/" + id + "/discounts", { amount: toMinor(val(f, "amount"), cur), currency: cur, reason: val(f, "reason") });
          reload(a.position);
        }, { id: "discount" }));
      }
      if (i.paid > 0) {
        parts.push(form("Refund", [field("Amount", h("input", { name: "amount", inputmode: "decimal", required: true }), cur),
          field("Method", methodSelect()), field("Reason", h("input", { name: "reason", required: true }))], "Refund", async (f) => {
          const a = await api("POST", "/invoices/" + id + "/refunds", { amount: toMinor(val(f, "amount"), cur), currency: cur, method: val(f, "method"), reason: val(f, "reason") });
          reload(a.position);
        }, { id: "refund" }));
      } else {
        parts.push(form("Void the invoice", [field("Reason", h("input", { name: "reason", required: true }))], "Void", async (f) => {
          const a = await api("POST", "/invoices/" + id + "/void", { reason: val(f, "reason") });
          showInfo("Voided; the record is open again.");
          go("#/record/" + i.medicalRecordId, a.position);
        }, { id: "void" }));
      }
    }
    return h("section", { class: "invoice" }, parts);
  }

  // Admin: the read models' status with lag and parked events, rebuilds.
  async function admin() {
    const [ps, parked] = await Promise.all([api("GET", "/admin/projections"), all("/admin/parked", "parked")]);
    const progress = h("div", { id: "rebuild", "aria-live": "polite" });
    const rows = ps.projections.map((p) => h("tr", { "data-name": p.name }, h("th", { scope: "row" }, p.name), h("td", { class: "num" }, p.checkpoint),
      h("td", { class: "num" }, p.head), h("td", { class: "num" }, p.lagEvents), h("td", { class: "num" }, (p.lagSeconds || 0).toFixed(1) + " s"),
      h("td", { class: "num" }, p.parked), h("td", {}, p.running ? "yes" : "no"), h("td", {}, p.lastError || ""),
      h("td", {}, p.rebuildable ? button("Rebuild", (ev) => act(ev.target.closest("td"), () => rebuild(p.name, progress)), { "aria-label": "Rebuild " + p.name }) : null)));
    return h("section", {}, h("h2", {}, "Read models"),
      table("Projections", ["Name", "Checkpoint", "Head", "Lag (events)", "Lag", "Parked", "Running", "Last error", ""], rows), progress,
      table("Parked events", ["Subscriber", "Position", "Type", "Stream", "Attempts", "Error"], parked.items.map((e) =>
        h("tr", {}, h("td", {}, e.subscriber), h("td", { class: "num" }, e.position), h("td", {}, e.type), h("td", {}, e.stream), h("td", { class: "num" }, e.attempts), h("td", {}, e.error)))),
      h("div", { class: "toolbar" }, button("Refresh", () => route())));
  }
  async function rebuild(name, into) {
    let r = await api("POST", "/admin/projections/" + name + "/rebuild");
    const bar = h("progress", { max: 1, value: 0, "aria-label": "Rebuild of " + name });
    const text = h("span", {}, "");
    into.replaceChildren(h("p", {}, "Rebuilding " + name + ": ", bar, " ", text));
    while (r.state === "running") {
      const p = r.progress || {};
      if (p.head) { bar.max = p.head; bar.value = p.position || 0; }
      text.textContent = (p.events || 0) + " events" + (p.head ? ", " + Math.floor((100 * (p.position || 0)) / p.head) + "%" : "");
      await new Promise((res) => setTimeout(res, 300));
      r = await api("GET", "/admin/projections/" + name + "/rebuild");
    }
    bar.max = 1; bar.value = r.state === "done" ? 1 : 0;
    text.textContent = r.state === "done" ? "done, " + ((r.progress && r.progress.events) || 0) + " events" : "failed: " + (r.error || "");
  }

  // ---- start ---------------------------------------------------------------
  async function start() {
    clearMessage();
    renderWho();
    if (!claims()) { renderSignedOut(); return; }
    const [docs, fees] = await Promise.all([api("GET", "/doctors"), api("GET", "/fees")]);
    catalog = { clinic: docs.clinic, timeZone: docs.timeZone, doctors: docs.doctors, fees: fees.fees, currency: fees.currency };
    startStream();
    await route();
  }
  async function boot() {
    document.getElementById("signin").addEventListener("click", signIn);
    document.getElementById("signout").addEventListener("click", signOut);
    window.addEventListener("hashchange", () => { clearMessage(); route(); });
    try {
      cfg = await (await fetch("/console/config.json")).json();
      if (location.pathname === "/console/callback") await callback();
      await start();
    } catch (e) {
      main.replaceChildren(h("h2", {}, "The console could not start"));
      showError(e);
      renderWho();
    }
  }
  boot();
})();
