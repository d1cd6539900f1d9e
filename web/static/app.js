// roasd dashboard: fetches /dashboard/api/* and draws tables and inline SVG
// charts. No external resources; works offline.
"use strict";

(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const PALETTE = ["#4f46e5", "#0ea5e9", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#ec4899", "#14b8a6", "#84cc16", "#64748b"];
  const COLORS = { spend: "#f97316", paid: "#4f46e5", organic: "#10b981", fees: "#94a3b8", target: "#16a34a", floor: "#dc2626" };
  const state = { brands: [], brand: null, from: "", to: "", mode: "cumulative", series: null };

  const $ = (sel) => document.querySelector(sel);

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k);
    return e;
  }

  function svg(tag, attrs, ...kids) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined) continue;
      if (k === "text") e.textContent = v;
      else e.setAttribute(k, v);
    }
    for (const k of kids) if (k) e.append(k);
    return e;
  }

  // ---- formatting (display only; amounts arrive as integer micro-units) ----

  function group(intStr) {
    return intStr.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  }

  function fmtMicros(micros, decimals) {
    const neg = micros < 0;
    const unit = Math.pow(10, 6 - decimals);
    const q = Math.round(Math.abs(micros) / unit);
    let s = String(q);
    if (decimals > 0) {
      s = s.padStart(decimals + 1, "0");
      s = group(s.slice(0, s.length - decimals)) + "." + s.slice(s.length - decimals);
    } else {
      s = group(s);
    }
    return (neg && q !== 0 ? "-" : "") + s;
  }

  function money(micros) {
    const s = state.series;
    return fmtMicros(micros, s ? s.currency_decimals : 2) + " " + (s ? s.currency : "");
  }

  function compactMoney(micros) {
    const v = micros / 1e6;
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
    if (a >= 1e3) return (v / 1e3).toFixed(a >= 1e4 ? 0 : 1) + "k";
    return a >= 10 || v === 0 ? v.toFixed(0) : v.toFixed(1);
  }

  function fmtRatio(r) {
    return r === null || r === undefined ? "–" : r.toFixed(2) + "×";
  }

  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  function shortDay(d) {
    return MONTHS[Number(d.slice(5, 7)) - 1] + " " + Number(d.slice(8, 10));
  }
  function utc(ts) {
    return ts ? ts.slice(0, 16).replace("T", " ") : "–";
  }
  function day(ts) {
    return ts ? ts.slice(0, 10) : "–";
  }

  // ---- charts ----

  function niceScale(max, ticks) {
    if (!(max > 0)) return { top: 1, step: 0.25 };
    const raw = max / ticks;
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    const n = raw / mag;
    const step = (n <= 1 ? 1 : n <= 2 ? 2 : n <= 2.5 ? 2.5 : n <= 5 ? 5 : 10) * mag;
    return { top: Math.ceil(max / step - 1e-9) * step, step };
  }

  // lineChart draws series of values (null = gap) against days.
  // opts: {days, series: [{name, values, color, dash, area, attrs}], refs: [{value, label, color}],
  //        yLabel: v => string, tip: i => string, label}
  function lineChart(opts) {
    const W = 560, H = 230, m = { l: 52, r: 14, t: 14, b: 30 };
    const pw = W - m.l - m.r, ph = H - m.t - m.b;
    const n = opts.days.length;
    let max = 0;
    for (const s of opts.series) for (const v of s.values) if (v !== null && v > max) max = v;
    for (const r of opts.refs || []) if (r.value > max) max = r.value;
    const sc = niceScale(max * 1.05, 4);
    const x = (i) => m.l + (n <= 1 ? pw / 2 : (i * pw) / (n - 1));
    const y = (v) => m.t + ph - (v / sc.top) * ph;
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, class: "chart", role: "img", "aria-label": opts.label || "" });

    const grid = svg("g", { class: "grid" });
    for (let v = 0; v <= sc.top + sc.step / 2; v += sc.step) {
      grid.append(svg("line", { x1: m.l, x2: W - m.r, y1: y(v), y2: y(v) }));
      grid.append(svg("text", { x: m.l - 8, y: y(v) + 4, "text-anchor": "end", class: "axis", text: opts.yLabel(v) }));
    }
    const every = Math.max(1, Math.ceil(n / 6));
    for (let i = 0; i < n; i += every) {
      grid.append(svg("text", { x: x(i), y: H - 8, "text-anchor": i === 0 && n > 1 ? "start" : "middle", class: "axis", text: shortDay(opts.days[i]) }));
    }
    root.append(grid);

    for (const r of opts.refs || []) {
      if (!(r.value > 0)) continue;
      const g = svg("g", { class: "ref", "data-ref": r.kind });
      g.append(svg("line", { x1: m.l, x2: W - m.r, y1: y(r.value), y2: y(r.value), stroke: r.color, "stroke-dasharray": "5 4", "stroke-width": 1.2 }));
      g.append(svg("text", { x: W - m.r - 2, y: y(r.value) - 4, "text-anchor": "end", class: "reflabel", fill: r.color, text: r.label }));
      root.append(g);
    }

    for (const s of opts.series) {
      let d = "", pen = false, first = -1, last = -1;
      s.values.forEach((v, i) => {
        if (v === null || v === undefined) { pen = false; return; }
        d += (pen ? "L" : "M") + x(i).toFixed(1) + " " + y(v).toFixed(1) + " ";
        pen = true;
        if (first < 0) first = i;
        last = i;
      });
      if (s.area && first >= 0) {
        const ad = d + `L${x(last).toFixed(1)} ${y(0)} L${x(first).toFixed(1)} ${y(0)} Z`;
        root.append(svg("path", { d: ad, fill: s.color, "fill-opacity": 0.08, stroke: "none", class: "area" }));
      }
      const p = svg("path", Object.assign({ d: d.trim() || `M${m.l} ${y(0)}`, fill: "none", stroke: s.color, "stroke-width": s.width || 2,
        "stroke-linejoin": "round", "stroke-linecap": "round", "stroke-dasharray": s.dash || null, class: "line" }, s.attrs || {}));
      p.append(svg("title", { text: s.name }));
      root.append(p);
      if (last >= 0 && n <= 62) {
        root.append(svg("circle", { cx: x(last), cy: y(s.values[last]), r: 3, fill: s.color, class: "end" }));
      }
    }

    if (opts.tip) {
      const hov = svg("g", { class: "hover" });
      const w = n <= 1 ? pw : pw / (n - 1);
      for (let i = 0; i < n; i++) {
        const r = svg("rect", { x: x(i) - w / 2, y: m.t, width: w, height: ph, fill: "transparent" });
        r.append(svg("title", { text: opts.tip(i) }));
        hov.append(r);
      }
      root.append(hov);
    }
    return root;
  }

  function running(values) {
    let sum = 0;
    return values.map((v) => (sum += v));
  }

  function renderCreators() {
    const s = state.series, box = $("#creator-charts");
    box.replaceChildren();
    const cum = state.mode === "cumulative";
    $("#creator-hint").textContent = (cum ? "Running totals" : "Per day") + " from " + s.from + " to " + s.to + ", in " + s.currency + ".";
    if (!s.creators.length) {
      box.append(el("p", { class: "empty", text: "No spend or revenue in this range." }));
      return;
    }
    for (const c of s.creators) {
      const pick = (arr) => (cum ? running(arr) : arr.slice());
      const spend = pick(c.spend_micros), paid = pick(c.paid_revenue_micros), org = pick(c.organic_revenue_micros), fees = pick(c.fee_micros);
      const attrs = (series) => ({ "data-creator": c.key, "data-series": series });
      const chart = lineChart({
        label: "Spend vs revenue for " + c.label,
        days: s.days,
        yLabel: compactMoney,
        series: [
          { name: "Creator fees", values: fees, color: COLORS.fees, dash: "3 3", width: 1.5, attrs: attrs("fees") },
          { name: "Organic revenue", values: org, color: COLORS.organic, attrs: attrs("organic_revenue") },
          { name: "Paid revenue", values: paid, color: COLORS.paid, area: true, attrs: attrs("paid_revenue") },
          { name: "Spend", values: spend, color: COLORS.spend, attrs: attrs("spend") },
        ],
        tip: (i) => `${s.days[i]}${cum ? " (to date)" : ""}\nSpend ${money(spend[i])}\nPaid revenue ${money(paid[i])}\nOrganic revenue ${money(org[i])}\nFees ${money(fees[i])}`,
      });
      const t = c.totals;
      box.append(el("figure", { class: "chart-card", "data-creator": c.key },
        el("figcaption", {},
          el("div", { class: "title", text: c.label }),
          el("div", { class: "stats" },
            stat("Spend", t.display.spend), stat("Revenue", t.display.revenue),
            stat("ROAS", t.display.roas, "roas"), stat("Blended", t.display.blended_roas, "blended"))),
        chart));
    }
  }

  function stat(label, value, key) {
    return el("span", { class: "stat", "data-stat": key || null }, el("small", { text: label }), el("b", { text: value }));
  }

  function renderVariants() {
    const s = state.series, box = $("#variant-charts");
    box.replaceChildren();
    if (!s.variants.length) {
      box.append(el("p", { class: "empty", text: "No variant has spend in this range." }));
      return;
    }
    const tests = new Map();
    for (const v of s.variants) {
      if (!tests.has(v.test_id)) tests.set(v.test_id, []);
      tests.get(v.test_id).push(v);
    }
    for (const [id, vs] of tests) {
      const info = s.tests.find((t) => t.id === id) || {};
      const series = vs.map((v, i) => ({
        name: `${v.variant} (${v.platform}) — ROAS ${fmtRatio(v.totals.roas)}`,
        values: v.cum_roas, color: PALETTE[i % PALETTE.length],
        attrs: { "data-variant": v.key, "data-series": "cum_roas" },
      }));
      const refs = [];
      if (info.target_roas) refs.push({ kind: "target", value: info.target_roas, label: "target " + info.target_roas.toFixed(1) + "×", color: COLORS.target });
      if (info.floor_roas) refs.push({ kind: "floor", value: info.floor_roas, label: "floor " + info.floor_roas.toFixed(1) + "×", color: COLORS.floor });
      const chart = lineChart({
        label: "ROAS per variant for " + id, days: s.days, series, refs,
        yLabel: (v) => (v === 0 ? "0" : v.toFixed(v < 10 && v % 1 ? 1 : 0) + "×"),
        tip: (i) => s.days[i] + "\n" + vs.map((v) => `${v.variant}: ${fmtRatio(v.cum_roas[i])}`).join("\n"),
      });
      const legend = el("div", { class: "legend small" });
      vs.forEach((v, i) => {
        const sw = el("i", { class: "sw" });
        sw.style.background = PALETTE[i % PALETTE.length];
        legend.append(el("span", { "data-variant": v.key }, sw, `${v.variant} · ${v.platform} · ${fmtRatio(v.totals.roas)} on ${v.totals.display.spend}`));
      });
      box.append(el("figure", { class: "chart-card", "data-test": id },
        el("figcaption", {},
          el("div", { class: "title", text: id }),
          el("div", { class: "meta", text: [info.creator, info.start && info.start + " → " + info.end].filter(Boolean).join(" · ") })),
        chart, legend));
    }
  }

  function renderTotals() {
    const t = state.series.totals, d = t.display, box = $("#kpis");
    box.replaceChildren(
      tile("Spend", d.spend, "spend"),
      tile("Paid revenue", d.paid_revenue, "paid_revenue"),
      tile("Organic revenue", d.organic_revenue, "organic_revenue"),
      tile("Creator fees", d.fees, "fees"),
      tile("ROAS (paid)", d.roas, "roas", "paid revenue ÷ spend"),
      tile("Blended ROAS", d.blended_roas, "blended_roas", "all revenue ÷ (spend + fees)"),
    );
  }

  // The tie-out block: store sales of the range's orders, of which
  // attributed and unattributed, as `roasd report` prints it.
  function renderTieOut() {
    const t = state.series.tie_out, card = $("#tieout-card");
    card.hidden = !t;
    if (!t) return;
    $("#tieout-title").textContent = t.title;
    $("#tieout tbody").replaceChildren(...t.lines.map((l) =>
      el("tr", { "data-line": l.label.trim() }, el("td", { text: l.label }), el("td", { class: "num", text: l.amount }),
        el("td", { class: "hint", text: l.note || "" }))));
  }

  function tile(label, value, key, hint) {
    const m = /^(.*) ([A-Z]{3})$/.exec(value);
    const big = m ? el("b", {}, m[1], el("span", { class: "cur", text: m[2] })) : el("b", { text: value });
    return el("div", { class: "tile", "data-kpi": key }, el("small", { text: label }), big, hint ? el("span", { class: "hint", text: hint }) : null);
  }

  function badge(kind, text) {
    return el("span", { class: "badge badge-" + String(kind).replace(/[^a-z_-]/gi, ""), text: text || kind });
  }

  function fillTable(sel, rows, empty, cols) {
    const tb = $(sel + " tbody");
    tb.replaceChildren();
    if (!rows.length) {
      tb.append(el("tr", { class: "empty" }, el("td", { colspan: cols, text: empty })));
      return;
    }
    for (const r of rows) tb.append(r);
  }

  function renderVerdicts(data) {
    const rows = data.verdicts.map((v) =>
      el("tr", { class: v.latest ? "latest" : "older", "data-test": v.test_id, "data-subject": v.subject, "data-checkpoint": v.checkpoint, "data-verdict": v.verdict },
        el("td", { text: v.test_id }),
        el("td", {}, el("b", { text: v.subject }), v.creator ? el("div", { class: "muted", text: v.creator }) : null),
        el("td", { text: v.platform || "–" }),
        el("td", { text: v.checkpoint }),
        el("td", {}, badge(v.verdict)),
        el("td", { class: "reason", text: v.reason }),
        el("td", { class: "nowrap", text: v.decided_on })));
    fillTable("#verdicts", rows, "No verdicts yet: they appear at a test's first checkpoint.", 7);
    const older = data.verdicts.filter((v) => !v.latest).length;
    $("#show-older").parentElement.hidden = older === 0;
    $("#show-older-label").textContent = "Show earlier checkpoints (" + older + ")";
    const acts = data.actions.map((a) =>
      el("tr", { "data-action": a.action },
        el("td", { text: a.test_id }), el("td", { text: a.variant }), el("td", { text: a.action.replace("_", " ") }),
        el("td", { class: "mono", text: a.target_id }), el("td", { text: a.checkpoint }), el("td", {}, badge(a.status)),
        el("td", { class: "mono", text: (a.before || "–") + " → " + (a.after || "–") }), el("td", { class: "reason", text: a.error || a.note || "" })));
    $("#actions-card").hidden = acts.length === 0;
    fillTable("#actions", acts, "", 8);
    const waiting = (data.pending_approvals || []).map((a) =>
      el("tr", { "data-approval": String(a.id) },
        el("td", { class: "mono", text: String(a.id) }), el("td", { text: a.test_id }), el("td", { text: a.variant }),
        el("td", { text: a.action.replace(/_/g, " ") }), el("td", { class: "mono", text: a.target_id }), el("td", { text: a.checkpoint }),
        el("td", { class: "mono", text: (a.before || "–") + " → " + a.target }), el("td", { class: "mono", text: a.approvers }),
        el("td", { class: "nowrap", text: a.expires_at.slice(0, 16).replace("T", " ") + " UTC" })));
    $("#approvals-card").hidden = waiting.length === 0;
    fillTable("#approvals", waiting, "", 9);
  }

  function renderPermissions(data) {
    $("#perm-hint").textContent = "Meta partnership permissions and TikTok Spark authorizations. Highlighted: live grants expiring within " +
      (data.warning_days || 7) + " days." + (data.note ? " " + data.note + "." : "");
    const rows = data.permissions.map((p) => {
      const dead = p.status === "expired" || p.status === "revoked";
      const left = p.days_left === null ? "no expiry" : p.days_left < 0 ? "expired" : String(p.days_left);
      return el("tr", { class: p.expiring_soon ? "expiring" : dead ? "dead" : "", "data-permission": p.id, "data-status": p.status },
        el("td", {}, el("b", { text: p.creator || p.handle || "–" })),
        el("td", { text: p.platform }),
        el("td", { class: "mono", text: p.handle ? "@" + p.handle : "–" }),
        el("td", { class: "mono", text: p.item_id ? "post " + p.item_id : p.id }),
        el("td", {}, badge(p.status), p.expiring_soon ? badge("soon", "expiring soon") : null),
        el("td", { class: "nowrap", text: day(p.expires_at) }),
        el("td", { class: "num", text: left }));
    });
    fillTable("#permissions", rows, "No permissions synced for this brand's accounts yet.", 7);
  }

  function renderRuns(data) {
    const rows = data.runs.map((r) =>
      el("tr", { "data-job": r.job, "data-status": r.status },
        el("td", { class: "nowrap", text: utc(r.started_at) }),
        el("td", { class: "mono", text: r.job }),
        el("td", { class: "mono muted", text: r.scope }),
        el("td", {}, badge(r.status), r.attempt > 1 ? el("span", { class: "muted", text: " try " + r.attempt }) : null),
        el("td", { class: "num", text: r.duration || "…" }),
        el("td", { class: "num", text: String(r.rows) }),
        el("td", { class: "num", text: String(r.api_calls) }),
        el("td", { class: "reason err", title: r.error || null, text: r.error })));
    fillTable("#runs", rows, "No job has run for this brand yet.", 8);
  }

  // ---- data ----

  async function getJSON(path, params) {
    const q = new URLSearchParams(params);
    const res = await fetch(path + "?" + q.toString(), { headers: { Accept: "application/json" } });
    if (res.status === 401) {
      // The session expired or was logged out: back to the login form.
      window.location.assign("/login");
      throw new Error("not logged in");
    }
    const body = await res.json().catch(() => ({ error: res.statusText }));
    if (!res.ok) throw new Error(body.error || res.statusText);
    return body;
  }

  function showError(msg) {
    const e = $("#error");
    e.hidden = !msg;
    e.textContent = msg || "";
  }

  function syncURL() {
    const q = new URLSearchParams({ brand: state.brand.name, from: state.from, to: state.to });
    history.replaceState(null, "", "?" + q.toString());
  }

  // failedPanel puts a failed request's message where the panel's rows
  // or charts would be, so a panel never just stays empty.
  function failedPanel(sel, cols, what, err) {
    const msg = "Could not load " + what + ": " + err.message;
    const box = $(sel);
    if (box.tagName === "TABLE") {
      $(sel + " tbody").replaceChildren(el("tr", { class: "failed", "data-failed": what }, el("td", { colspan: cols, class: "err", text: msg })));
    } else {
      box.replaceChildren(el("p", { class: "empty err", "data-failed": what, text: msg }));
    }
  }

  async function load() {
    document.body.dataset.state = "loading";
    showError("");
    const b = { brand: state.brand.name };
    // Each panel loads on its own: one failed request leaves the others
    // drawn and says so in its own panel.
    const [series, verdicts, perms, runs] = await Promise.allSettled([
      getJSON("/dashboard/api/series", Object.assign({ from: state.from, to: state.to }, b)),
      getJSON("/dashboard/api/verdicts", b),
      getJSON("/dashboard/api/permissions", b),
      getJSON("/dashboard/api/runs", b),
    ]);
    const failed = [];
    const draw = (res, what, ok, fail) => {
      if (res.status === "fulfilled") {
        try {
          ok(res.value);
          return;
        } catch (err) {
          res = { reason: err };
        }
      }
      failed.push(what + " (" + res.reason.message + ")");
      fail(res.reason);
    };
    draw(series, "totals and charts", (s) => {
      state.series = s;
      const w = $("#warnings");
      w.hidden = !s.warnings.length;
      w.textContent = s.warnings.join(" ");
      const rec = s.reconciled || {};
      const stale = $("#stale");
      stale.hidden = !rec.stale;
      stale.textContent = rec.stale ? "Stale figures: " + rec.warning + "." : "";
      $("#reconciled").textContent = rec.text ? "Figures " + rec.text + "." : "Not reconciled yet.";
      const prov = $("#provisional");
      prov.hidden = !s.provisional;
      prov.textContent = s.provisional ? "Provisional: these totals include days that may still change — " + rec.provisional + "." : "";
      renderTotals();
      renderTieOut();
      renderCreators();
      renderVariants();
    }, (err) => {
      state.series = null;
      for (const sel of ["#kpis", "#creator-charts", "#variant-charts"]) failedPanel(sel, 0, "totals and charts", err);
    });
    draw(verdicts, "verdicts", renderVerdicts, (err) => failedPanel("#verdicts", 7, "verdicts", err));
    draw(perms, "permissions", renderPermissions, (err) => failedPanel("#permissions", 7, "permissions", err));
    draw(runs, "job runs", renderRuns, (err) => failedPanel("#runs", 8, "job runs", err));
    if (failed.length) showError("Could not load " + failed.join("; ") + ".");
    document.body.dataset.state = failed.length === 0 ? "ready" : failed.length < 4 ? "partial" : "error";
  }

  function applyBrand(name, from, to) {
    state.brand = state.brands.find((b) => b.name === name) || state.brands[0];
    state.from = from || state.brand.default_from;
    state.to = to || state.brand.default_to;
    $("#brand").value = state.brand.name;
    $("#from").value = state.from;
    $("#to").value = state.to;
    document.title = "roasd · " + state.brand.name;
    const why = state.brand.not_judged || [];
    const nj = $("#not-judged");
    nj.hidden = !why.length;
    nj.textContent = why.length ? "Not judging " + state.brand.name + "'s tests (no verdicts, guards or permission checks) until its data is complete: " + why.join("; ") + "." : "";
  }

  function addDays(d, n) {
    const t = new Date(d + "T00:00:00Z");
    t.setUTCDate(t.getUTCDate() + n);
    return t.toISOString().slice(0, 10);
  }

  async function init() {
    try {
      const data = await getJSON("/dashboard/api/brands", {});
      state.brands = data.brands;
    } catch (err) {
      showError("Could not load brands: " + err.message);
      document.body.dataset.state = "error";
      return;
    }
    if (!state.brands.length) {
      showError("No brand is configured or reconciled yet. Run `roasd run --once` or wait for the first reconcile.");
      document.body.dataset.state = "empty";
      return;
    }
    const sel = $("#brand");
    for (const b of state.brands) sel.append(el("option", { value: b.name, text: b.name + " · " + b.currency }));
    const q = new URLSearchParams(location.search);
    applyBrand(q.get("brand"), q.get("from"), q.get("to"));

    sel.addEventListener("change", () => { applyBrand(sel.value); syncURL(); load(); });
    for (const id of ["#from", "#to"]) {
      $(id).addEventListener("change", () => {
        if (!$("#from").value || !$("#to").value) return;
        state.from = $("#from").value;
        state.to = $("#to").value;
        syncURL();
        load();
      });
    }
    for (const btn of document.querySelectorAll(".presets button")) {
      btn.addEventListener("click", () => {
        const end = state.brand.last_day || state.brand.default_to;
        state.to = end;
        state.from = addDays(end, -(Number(btn.dataset.days) - 1));
        $("#from").value = state.from;
        $("#to").value = state.to;
        syncURL();
        load();
      });
    }
    for (const btn of document.querySelectorAll(".toggle button")) {
      btn.addEventListener("click", () => {
        state.mode = btn.dataset.mode;
        for (const b of document.querySelectorAll(".toggle button")) b.classList.toggle("on", b === btn);
        if (state.series) renderCreators();
      });
    }
    $("#show-older").addEventListener("change", (e) => $("#verdicts").classList.toggle("hide-older", !e.target.checked));
    $("#controls").addEventListener("submit", (e) => e.preventDefault());
    await load();
  }

  init();
})();
