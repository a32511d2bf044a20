/**
 * The PI dashboard, served at /dashboard: plain HTML, CSS and JavaScript (no framework, no
 * build). It reads the campaigns, progress and export endpoints, embeds the server-side SVG
 * charts, follows the campaign's live feed (EventSource on /api/v1/campaigns/{id}/events) and
 * calls the experiment approval routes (POST /api/v1/experiments/{id}/approve | reject,
 * PATCH /api/v1/experiments/{id}). With API keys on, the key entered in the page is kept for the
 * tab (sessionStorage) and sent as a bearer header (as ?access_token= where a header cannot go).
 *
 * Every value from the API reaches the HTML through the page's one `esc()` helper (or as
 * `textContent`), and DASHBOARD_CSP allows only this page's own script (by its hash): no inline
 * handler, no injected script runs even if a value slipped through unescaped.
 */
import { createHash } from 'node:crypto';

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AIMatDesign · Campaign dashboard</title>
<style>
  :root {
    --bg: #f4f6fa; --panel: #ffffff; --ink: #0f172a; --muted: #64748b; --line: #e2e8f0; --soft: #f8fafc;
    --blue: #2563eb; --blue-soft: #dbeafe; --green: #16a34a; --green-soft: #dcfce7; --red: #dc2626; --red-soft: #fee2e2;
    --amber: #d97706; --amber-soft: #fef3c7; --violet: #7c3aed; --violet-soft: #ede9fe; --grey-soft: #eef2f7;
    --radius: 10px; --shadow: 0 1px 2px rgba(15, 23, 42, .06), 0 1px 8px rgba(15, 23, 42, .04);
  }
  * { box-sizing: border-box; }
  html, body { margin: 0; background: var(--bg); color: var(--ink); font: 14px/1.45 "Inter", "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
  header.top { display: flex; align-items: center; gap: 16px; padding: 12px 24px; background: #0f172a; color: #e2e8f0; position: sticky; top: 0; z-index: 5; }
  header.top .brand { font-weight: 700; letter-spacing: .2px; color: #fff; font-size: 15px; }
  header.top .brand span { color: #93c5fd; font-weight: 500; }
  header.top .spacer { flex: 1; }
  header.top label { font-size: 12px; color: #94a3b8; display: flex; align-items: center; gap: 6px; }
  header.top input { background: #1e293b; border: 1px solid #334155; color: #e2e8f0; border-radius: 6px; padding: 4px 8px; width: 130px; font: inherit; font-size: 12px; }
  header.top a { color: #93c5fd; }
  section.card h3 a { font-weight: 500; font-size: 12.5px; color: var(--blue); text-decoration: none; }
  section.card h3 a:hover { text-decoration: underline; }
  .live { display: inline-flex; align-items: center; gap: 6px; font-size: 12px; color: #cbd5e1; }
  .live .dot { width: 8px; height: 8px; border-radius: 50%; background: #64748b; }
  .live.on .dot { background: #22c55e; box-shadow: 0 0 0 3px rgba(34, 197, 94, .25); }
  .live.off .dot { background: #f59e0b; }
  .layout { display: grid; grid-template-columns: 270px 1fr; min-height: calc(100vh - 50px); }
  aside { border-right: 1px solid var(--line); background: var(--panel); padding: 16px 12px; }
  aside h2 { font-size: 11px; text-transform: uppercase; letter-spacing: .08em; color: var(--muted); margin: 4px 8px 10px; }
  aside input { width: 100%; padding: 7px 10px; border: 1px solid var(--line); border-radius: 8px; font: inherit; margin-bottom: 10px; background: var(--soft); }
  .campaign-link { display: block; padding: 9px 10px; border-radius: 8px; color: inherit; text-decoration: none; margin-bottom: 2px; border: 1px solid transparent; }
  .campaign-link:hover { background: var(--soft); }
  .campaign-link.active { background: var(--blue-soft); border-color: #bfdbfe; }
  .campaign-link .name { font-weight: 600; display: block; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
  .campaign-link .meta { font-size: 12px; color: var(--muted); display: flex; gap: 8px; align-items: center; margin-top: 2px; }
  main { padding: 20px 28px 48px; min-width: 0; }
  .empty { color: var(--muted); padding: 40px; text-align: center; }
  .title-row { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; }
  .title-row h1 { font-size: 22px; margin: 0; }
  .subtitle { color: var(--muted); margin: 4px 0 16px; }
  .pill { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 11.5px; font-weight: 600; background: var(--grey-soft); color: #334155; white-space: nowrap; }
  .pill.running, .pill.measured, .pill.online, .pill.yes, .pill.completed { background: var(--green-soft); color: #166534; }
  .pill.paused, .pill.proposed, .pill.approved, .pill.busy { background: var(--amber-soft); color: #92400e; }
  .pill.queued, .pill.dispatched, .pill.accepted { background: var(--blue-soft); color: #1e40af; }
  .pill.draft { background: var(--violet-soft); color: #5b21b6; }
  .pill.failed, .pill.timed_out, .pill.rejected, .pill.aborted, .pill.error, .pill.no, .pill.abandoned { background: var(--red-soft); color: #991b1b; }
  .pill.cancelled, .pill.offline { background: var(--grey-soft); color: #475569; }
  .kpis { display: grid; grid-template-columns: repeat(6, minmax(0, 1fr)); gap: 12px; margin-bottom: 16px; }
  .card { background: var(--panel); border: 1px solid var(--line); border-radius: var(--radius); box-shadow: var(--shadow); }
  .kpi { padding: 12px 14px; }
  .kpi .label { font-size: 11px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
  .kpi .value { font-size: 22px; font-weight: 700; margin-top: 2px; font-variant-numeric: tabular-nums; }
  .kpi .hint { font-size: 12px; color: var(--muted); }
  .bar { height: 6px; background: var(--grey-soft); border-radius: 4px; overflow: hidden; margin-top: 8px; }
  .bar > div { height: 100%; background: var(--blue); border-radius: 4px; transition: width .4s ease; }
  .states { display: flex; flex-wrap: wrap; gap: 8px; padding: 12px 14px; margin-bottom: 16px; align-items: center; }
  .states .pill { font-size: 12px; padding: 3px 10px; }
  .states .pill b { font-variant-numeric: tabular-nums; margin-left: 4px; }
  .grid2 { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; margin-bottom: 16px; }
  section.card { padding: 14px 16px; margin-bottom: 16px; }
  section.card h3, .grid2 .card h3 { margin: 0 0 10px; font-size: 14px; display: flex; align-items: center; gap: 8px; }
  section.card h3 .count { color: var(--muted); font-weight: 500; }
  .chart { padding: 12px; }
  .chart img { width: 100%; height: auto; display: block; }
  .chart h3 { margin: 0 0 6px; font-size: 13px; }
  table { width: 100%; border-collapse: collapse; font-size: 13px; }
  th { text-align: left; font-weight: 600; font-size: 11.5px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted); padding: 6px 8px; border-bottom: 1px solid var(--line); background: var(--soft); position: sticky; top: 0; }
  td { padding: 6px 8px; border-bottom: 1px solid #f1f5f9; vertical-align: top; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  td.formula { font-family: "JetBrains Mono", "DejaVu Sans Mono", Menlo, monospace; font-size: 12.5px; }
  tr.flash td { animation: flash 2.4s ease-out; }
  @keyframes flash { from { background: #fef9c3; } to { background: transparent; } }
  .scroll { max-height: 420px; overflow: auto; border: 1px solid var(--line); border-radius: 8px; }
  .muted { color: var(--muted); }
  .ok { color: var(--green); font-weight: 700; }
  .bad { color: var(--red); font-weight: 700; }
  button { font: inherit; font-size: 12.5px; border-radius: 6px; padding: 4px 10px; border: 1px solid var(--line); background: #fff; cursor: pointer; color: var(--ink); }
  button:hover { background: var(--soft); }
  button.primary { background: var(--green); border-color: var(--green); color: #fff; }
  button.primary:hover { background: #15803d; }
  button.danger { color: var(--red); border-color: #fecaca; }
  button.danger:hover { background: var(--red-soft); }
  .actions { display: flex; gap: 6px; white-space: nowrap; }
  .activity { list-style: none; margin: 0; padding: 0; max-height: 260px; overflow: auto; font-size: 12.5px; }
  .activity li { padding: 6px 2px; border-bottom: 1px solid #f1f5f9; display: flex; gap: 10px; }
  .activity time { color: var(--muted); font-variant-numeric: tabular-nums; white-space: nowrap; }
  .activity code { background: var(--grey-soft); border-radius: 4px; padding: 0 5px; font-size: 11.5px; }
  .util { display: inline-block; width: 80px; height: 6px; background: var(--grey-soft); border-radius: 4px; vertical-align: middle; margin-right: 6px; overflow: hidden; }
  .util > div { height: 100%; background: var(--violet); }
  dialog { border: 1px solid var(--line); border-radius: 12px; padding: 0; box-shadow: 0 20px 50px rgba(15, 23, 42, .25); width: 420px; }
  dialog form { padding: 18px 20px; }
  dialog h4 { margin: 0 0 12px; font-size: 15px; }
  dialog label { display: block; font-size: 12px; color: var(--muted); margin: 8px 0 4px; }
  dialog input, dialog textarea { width: 100%; font: inherit; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px; }
  dialog .els { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
  dialog .buttons { display: flex; justify-content: flex-end; gap: 8px; margin-top: 16px; }
  #toast { position: fixed; right: 20px; bottom: 20px; background: #0f172a; color: #fff; padding: 10px 14px; border-radius: 8px; font-size: 13px; opacity: 0; transform: translateY(10px); transition: all .25s; pointer-events: none; max-width: 420px; }
  #toast.show { opacity: 1; transform: none; }
  #toast.error { background: #991b1b; }
  @media (max-width: 1200px) { .kpis { grid-template-columns: repeat(3, 1fr); } .grid2 { grid-template-columns: 1fr; } }
</style>
</head>
<body>
<header class="top">
  <div class="brand">AIMatDesign <span>· campaign dashboard</span></div>
  <div class="spacer"></div>
  <label>API key <input id="apikey" type="password" data-testid="api-key" placeholder="aimd_…" autocomplete="off"></label>
  <label>acting as <input id="actor" data-testid="actor" value="pi" autocomplete="off"></label>
  <div id="live" class="live" data-testid="live-status"><span class="dot"></span><span class="text">not connected</span></div>
</header>
<div class="layout">
  <aside>
    <h2>Campaigns</h2>
    <input id="filter" placeholder="Filter by name" autocomplete="off">
    <nav id="campaigns" data-testid="campaign-list"></nav>
  </aside>
  <main id="main"><div class="empty">Select a campaign.</div></main>
</div>
<dialog id="dialog"><form method="dialog" id="dialog-form"></form></dialog>
<div id="toast" role="status"></div>
<script>
(function () {
  'use strict';
  var API = '/api/v1';
  var state = { campaigns: [], id: null, campaign: null, progress: null, experiments: [], source: null, seen: {}, refreshTimer: null, plotStamp: Date.now(), activity: [] };
  var STATES = ['proposed', 'approved', 'queued', 'dispatched', 'accepted', 'running', 'measured', 'rejected', 'failed', 'timed_out', 'cancelled', 'abandoned'];
  var PLOTS = [['best-so-far', 'Best so far by experiment'], ['pareto', 'Pareto front (glass formers)'], ['success-rate', 'Success rate per batch'], ['model-quality', 'Surrogate quality'], ['training', 'Agent training curves']];

  function $(sel) { return document.querySelector(sel); }
  function esc(v) { return String(v === null || v === undefined ? '' : v).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
  function fmt(v, d) { return v === null || v === undefined || isNaN(v) ? '–' : Number(v).toLocaleString('en-US', { minimumFractionDigits: d || 0, maximumFractionDigits: d || 0 }); }
  function pct(v) { return v === null || v === undefined ? '–' : (v * 100).toFixed(1) + ' %'; }
  function pill(s) { return '<span class="pill ' + esc(s) + '">' + esc(String(s).replace('_', ' ')) + '</span>'; }
  function time(iso) { if (!iso) return '–'; var d = new Date(iso); return d.toLocaleDateString('en-GB', { day: '2-digit', month: 'short' }) + ' ' + d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' }); }
  function duration(s) { if (s === null || s === undefined) return '–'; if (s === 0) return 'done'; var h = s / 3600; return h >= 48 ? (h / 24).toFixed(1) + ' d' : h >= 1 ? h.toFixed(1) + ' h' : Math.max(1, Math.round(s / 60)) + ' min'; }
  function actor() { return ($('#actor').value || 'pi').trim(); }
  // API key (kept for this tab only, in sessionStorage: not left behind in the browser): a bearer header for fetch; ?access_token= for EventSource, <img> and links, which cannot send headers
  function apiKey() { try { return sessionStorage.getItem('aimd.apiKey') || ''; } catch (e) { return ''; } }
  function withToken(url) { var k = apiKey(); return k ? url + (url.indexOf('?') >= 0 ? '&' : '?') + 'access_token=' + encodeURIComponent(k) : url; }
  $('#apikey').value = apiKey();
  $('#apikey').addEventListener('change', function () {
    try { sessionStorage.setItem('aimd.apiKey', $('#apikey').value.trim()); } catch (e) { /* private mode */ }
    start();
  });

  function toast(message, error) {
    var t = $('#toast'); t.textContent = message; t.className = error ? 'show error' : 'show';
    clearTimeout(toast.timer); toast.timer = setTimeout(function () { t.className = ''; }, 3500);
  }

  function request(method, path, body) {
    var init = { method: method, headers: { 'X-Actor': actor() } };
    if (apiKey()) init.headers.Authorization = 'Bearer ' + apiKey();
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(API + path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null; try { data = text ? JSON.parse(text) : null; } catch (e) { data = text; }
        if (res.status === 401) throw new Error('This service needs an API key: enter yours at the top right.');
        if (!res.ok) { var m = data && data.message ? (Array.isArray(data.message) ? data.message.join('; ') : data.message) : res.status + ' ' + res.statusText; throw new Error(m); }
        return data;
      });
    });
  }

  // ---- campaign list -------------------------------------------------------------------------
  function loadCampaigns() {
    return request('GET', '/campaigns?limit=200').then(function (page) { state.campaigns = page.items || []; renderCampaigns(); });
  }
  function renderCampaigns() {
    var q = ($('#filter').value || '').toLowerCase();
    var html = state.campaigns.filter(function (c) { return !q || c.name.toLowerCase().indexOf(q) >= 0; }).map(function (c) {
      var measured = (c.counts.instrument || 0) + (c.counts.technician || 0);
      return '<a class="campaign-link' + (c.id === state.id ? ' active' : '') + '" href="?campaign=' + esc(c.id) + '" data-id="' + esc(c.id) + '">' +
        '<span class="name">' + esc(c.name) + '</span><span class="meta">' + pill(c.status) + '<span>' + fmt(measured) + ' / ' + fmt(c.budget) + ' measured</span></span></a>';
    }).join('');
    $('#campaigns').innerHTML = html || '<div class="muted" style="padding:8px">No campaigns yet.</div>';
  }
  $('#campaigns').addEventListener('click', function (ev) {
    var a = ev.target.closest('a.campaign-link'); if (!a) return;
    ev.preventDefault(); history.pushState(null, '', '?campaign=' + a.dataset.id); select(a.dataset.id);
  });
  $('#filter').addEventListener('input', renderCampaigns);
  window.addEventListener('popstate', function () { select(new URLSearchParams(location.search).get('campaign')); });

  // ---- one campaign --------------------------------------------------------------------------
  function select(id) {
    if (state.source) { state.source.close(); state.source = null; }
    state.id = id; state.progress = null; state.experiments = []; state.seen = {}; state.activity = [];
    renderCampaigns();
    if (!id) { $('#main').innerHTML = '<div class="empty">Select a campaign.</div>'; setLive('', 'not connected'); return; }
    $('#main').innerHTML = '<div class="empty">Loading…</div>';
    refresh(true).then(connect).catch(function (e) { $('#main').innerHTML = '<div class="empty">' + esc(e.message) + '</div>'; });
  }

  function refresh(first) {
    var id = state.id;
    return Promise.all([
      request('GET', '/campaigns/' + id),
      request('GET', '/campaigns/' + id + '/progress'),
      request('GET', '/campaigns/' + id + '/export/experiments.json'),
    ]).then(function (r) {
      if (id !== state.id) return;
      var before = state.seen; var fresh = {};
      r[2].forEach(function (e) { fresh[e.id] = e.status + '|' + (e.measurement ? e.measurement.id : ''); });
      state.campaign = r[0]; state.progress = r[1]; state.experiments = r[2]; state.plotStamp = Date.now();
      render(first ? null : before); state.seen = fresh;
      var i = state.campaigns.findIndex(function (c) { return c.id === id; });
      if (i >= 0) { state.campaigns[i] = r[0]; renderCampaigns(); }
    });
  }
  function scheduleRefresh() {
    clearTimeout(state.refreshTimer);
    state.refreshTimer = setTimeout(function () { refresh(false).catch(function (e) { toast(e.message, true); }); }, 250);
  }

  function setLive(cls, text) { var el = $('#live'); el.className = 'live ' + cls; el.querySelector('.text').textContent = text; }
  function connect() {
    if (!state.id || typeof EventSource === 'undefined') return;
    var source = new EventSource(withToken(API + '/campaigns/' + state.id + '/events'));
    state.source = source;
    source.onopen = function () { setLive('on', 'live'); };
    source.onerror = function () { setLive('off', 'reconnecting…'); };
    source.onmessage = function (msg) {
      var event; try { event = JSON.parse(msg.data); } catch (e) { return; }
      state.activity.unshift(event); state.activity = state.activity.slice(0, 50);
      renderActivity();
      scheduleRefresh();
    };
  }

  function describe(e) {
    switch (e.type) {
      case 'campaign.state': return 'Campaign ' + esc(e.from) + ' → ' + esc(e.to) + (e.actor ? ' by ' + esc(e.actor) : '');
      case 'measurements.added': return fmt(e.count) + ' measurement' + (e.count === 1 ? '' : 's') + ' added (' + esc(e.source) + ')';
      case 'experiment.state': return 'Experiment #' + esc(e.sequence) + ' ' + esc(e.from) + ' → ' + esc(e.to) + (e.cause ? ' <span class="muted">(' + esc(e.cause) + ')</span>' : '');
      case 'proposals.created': return fmt(e.count) + ' new proposal' + (e.count === 1 ? '' : 's') + ' in batch ' + esc(e.batchNumber);
      case 'refinement.event': return 'Model refinement ' + (e.accepted ? 'accepted' : 'not accepted') + ': ' + esc(e.reason);
      case 'model.trained': return 'Surrogates v' + esc(e.version) + ' trained';
      case 'instrument.state': return 'Instrument ' + esc(e.instrumentId) + ' is ' + esc(e.state);
      default:
        var parts = Object.keys(e).filter(function (k) { return ['type', 'campaignId', 'at'].indexOf(k) < 0 && (typeof e[k] !== 'object' || e[k] === null); })
          .slice(0, 4).map(function (k) { return esc(k) + ' ' + esc(e[k]); });
        return parts.join(' · ');
    }
  }
  function renderActivity() {
    var el = $('#activity'); if (!el) return;
    el.innerHTML = state.activity.length ? state.activity.map(function (e) {
      return '<li><time>' + esc(time(e.at || new Date().toISOString())) + '</time><code>' + esc(e.type) + '</code><span>' + describe(e) + '</span></li>';
    }).join('') : '<li class="muted">Waiting for events… (the page updates itself)</li>';
  }

  function render(before) {
    var c = state.campaign, p = state.progress;
    var ys = p.bestSoFar.find(function (b) { return b.property === 'yieldStrengthMPa'; }) || {};
    var el = p.bestSoFar.find(function (b) { return b.property === 'elongationPct'; }) || {};
    var targets = p.campaign.objectives.targets.map(function (t) {
      var name = t.property === 'yieldStrengthMPa' ? 'yield strength' : t.property === 'elongationPct' ? 'elongation' : t.property;
      var unit = t.property === 'yieldStrengthMPa' ? ' MPa' : t.property === 'elongationPct' ? ' %' : '';
      var d = t.direction || 'atLeast';
      if (d === 'within') return name + ' in [' + t.min + ', ' + t.max + ']' + unit;
      if (d === 'maximise' || d === 'minimise') return name + (d === 'maximise' ? ' maximised' : ' minimised') + (t.threshold != null ? (d === 'maximise' ? ' (≥ ' : ' (≤ ') + t.threshold + unit + ')' : '');
      return name + (d === 'atMost' ? ' ≤ ' : ' ≥ ') + t.threshold + unit;
    });
    if (p.campaign.objectives.requireGlass) targets.unshift('glass former');
    var seeds = p.measurements.bySource.seed || 0;
    var html = '';
    html += '<div class="title-row"><h1 data-testid="campaign-name">' + esc(c.name) + '</h1>' + pill(c.status) + (c.approvalRequired ? '<span class="pill approved">approval gate</span>' : '') + '</div>';
    html += '<p class="subtitle">' + esc(c.description || '') + (c.description ? ' · ' : '') + 'Success = ' + esc(targets.join(' and ')) + ' · ' + fmt(seeds) + ' seed alloys · batches of ' + fmt(c.batchSize) + '</p>';

    html += '<div class="kpis">';
    html += kpi('Measured', '<span data-testid="kpi-measured">' + fmt(p.budget.measured) + '</span> <span class="muted" style="font-size:14px">/ ' + fmt(p.budget.budget) + '</span>', '<div class="bar"><div style="width:' + Math.min(100, p.budget.fraction * 100).toFixed(1) + '%"></div></div>');
    html += kpi('Success rate', '<span data-testid="kpi-success">' + pct(p.success.overall.rate) + '</span>', fmt(p.success.overall.successes) + ' of ' + fmt(p.success.overall.measured) + ' meet every objective');
    html += kpi('Best yield strength', fmt(ys.best, 0) + ' <span class="muted" style="font-size:13px">MPa</span>', ys.bestSequence ? 'experiment #' + esc(ys.bestSequence) + ' · seed best ' + fmt(ys.seedBest, 0) : 'seed best ' + fmt(ys.seedBest, 0));
    html += kpi('Best elongation', fmt(el.best, 1) + ' <span class="muted" style="font-size:13px">%</span>', el.bestSequence ? 'experiment #' + esc(el.bestSequence) + ' · seed best ' + fmt(el.seedBest, 1) : 'seed best ' + fmt(el.seedBest, 1));
    html += kpi('Hypervolume', '<span data-testid="kpi-hypervolume">' + fmt(p.pareto.hypervolume, 0) + '</span>', 'MPa·% beyond targets · ' + fmt(p.pareto.front.length) + ' on front');
    html += kpi('Time to budget', duration(p.pace.etaSeconds), p.pace.perHour ? fmt(p.pace.perHour, 2) + ' results / h' : 'pace not known yet');
    html += '</div>';

    html += '<div class="card states" data-testid="states"><span class="muted" style="margin-right:4px">Experiments</span>' + STATES.filter(function (s) { return p.experiments.byState[s]; }).map(function (s) {
      return '<span class="pill ' + esc(s) + '">' + esc(s.replace('_', ' ')) + '<b>' + fmt(p.experiments.byState[s]) + '</b></span>';
    }).join('') + (p.experiments.total ? '' : '<span class="muted">none proposed yet</span>') + '</div>';

    var pending = state.experiments.filter(function (e) { return e.status === 'proposed'; });
    if (c.approvalRequired || pending.length) {
      html += '<section class="card" data-testid="approvals"><h3>Pending approvals <span class="count">' + fmt(pending.length) + '</span></h3>';
      html += pending.length ? '<div class="scroll"><table><thead><tr><th>#</th><th>Batch</th><th>Composition</th><th class="num">P(glass)</th><th class="num">Pred. σy (MPa)</th><th class="num">Pred. ε (%)</th><th>Proposed</th><th></th></tr></thead><tbody>' +
        pending.map(function (e) {
          var pr = e.prediction || {};
          return '<tr data-testid="proposal-' + esc(e.sequence) + '"><td>' + esc(e.sequence) + '</td><td>' + esc(e.batchNumber) + '</td><td class="formula">' + esc(e.formula) + '</td><td class="num">' + fmt(pr.pGlass, 2) + '</td><td class="num">' + fmt(pr.yieldStrengthMPa, 0) + '</td><td class="num">' + fmt(pr.elongationPct, 1) + '</td><td>' + esc(time(e.createdAt)) + '</td>' +
            '<td class="actions"><button class="primary" data-act="approve" data-id="' + esc(e.id) + '">Approve</button><button data-act="edit" data-id="' + esc(e.id) + '">Edit</button><button class="danger" data-act="reject" data-id="' + esc(e.id) + '">Reject</button></td></tr>';
        }).join('') + '</tbody></table></div>' : '<div class="muted">Nothing waiting for approval.</div>';
      html += '</section>';
    }

    html += '<div class="grid2">' + PLOTS.map(function (pl) {
      return '<div class="card chart"><img alt="' + esc(pl[1]) + '" data-plot="' + esc(pl[0]) + '" src="' + esc(withToken(API + '/campaigns/' + c.id + '/plots/' + pl[0] + '.svg?t=' + state.plotStamp)) + '"></div>';
    }).join('') + '<section class="card" style="margin:0"><h3>Live activity</h3><ul class="activity" id="activity" data-testid="activity"></ul></section></div>';

    // The agent's success rates per design iteration (the paper's SR_legal, SR_cls, SR_80 per target, SR_done).
    var trained = p.training.filter(function (k) { return k.rates; }).slice().reverse();
    if (trained.length) {
      var tnames = p.campaign.objectives.targets.map(function (t) { return t.property === 'yieldStrengthMPa' ? 'σy' : t.property === 'elongationPct' ? 'ε' : t.property; });
      html += '<section class="card"><h3>Agent training per iteration <span class="count">' + trained.length + '</span></h3><div class="scroll"><table data-testid="training"><thead><tr><th>Iteration</th><th class="num">Steps</th><th class="num">SR_legal</th><th class="num">SR_cls</th>' +
        tnames.map(function (n) { return '<th class="num">SR_80 ' + esc(n) + '</th>'; }).join('') + '<th class="num">SR_done</th><th class="num">Final corr(Q, r)</th></tr></thead><tbody>' +
        trained.map(function (k) {
          var last = k.points.length ? k.points[k.points.length - 1] : {};
          return '<tr data-testid="training-' + esc(k.iteration) + '"><td>' + esc(k.iteration) + '</td><td class="num">' + fmt(k.envSteps) + '</td><td class="num">' + pct(k.rates.srLegal) + '</td><td class="num">' + pct(k.rates.srCls) + '</td>' +
            tnames.map(function (_, i) { return '<td class="num">' + pct(k.rates.sr80[i]) + '</td>'; }).join('') + '<td class="num">' + pct(k.rates.srDone) + '</td><td class="num">' + fmt(last.qRewardCorrelation, 2) + '</td></tr>';
        }).join('') + '</tbody></table></div></section>';
    }

    var rows = state.experiments.slice().sort(function (a, b) { return b.sequence - a.sequence; }).slice(0, 300);
    html += '<section class="card"><h3>Experiments <span class="count">' + fmt(state.experiments.length) + '</span>' +
      '<span style="flex:1"></span>' + ['experiments.csv', 'measurements.csv', 'campaign.json'].map(function (f) {
        return '<a href="' + esc(withToken(API + '/campaigns/' + c.id + '/export/' + f)) + '">' + f + '</a>';
      }).join(' · ') + '</h3>';
    html += rows.length ? '<div class="scroll"><table data-testid="experiments"><thead><tr><th>#</th><th>Batch</th><th>Composition</th><th>State</th><th class="num">Pred. σy</th><th class="num">Pred. ε</th><th>Glass</th><th class="num">σy (MPa)</th><th class="num">ε (%)</th><th>Meets objectives</th><th>Source</th><th>Updated</th></tr></thead><tbody>' +
      rows.map(function (e) {
        var m = e.measurement, pr = e.prediction || {};
        var key = e.status + '|' + (m ? m.id : '');
        var changed = before && before[e.id] !== key;
        return '<tr data-testid="experiment-' + esc(e.sequence) + '" data-status="' + esc(e.status) + '"' + (changed ? ' class="flash"' : '') + '><td>' + esc(e.sequence) + '</td><td>' + esc(e.batchNumber) + '</td><td class="formula">' + esc(e.formula) + '</td><td>' + pill(e.status) + '</td>' +
          '<td class="num muted">' + fmt(pr.yieldStrengthMPa, 0) + '</td><td class="num muted">' + fmt(pr.elongationPct, 1) + '</td>' +
          '<td>' + (m ? (m.isGlass === true ? pill('yes') : m.isGlass === false ? pill('no') : '–') : '') + '</td>' +
          '<td class="num" data-testid="ys-' + esc(e.sequence) + '">' + (m ? fmt(m.yieldStrengthMPa, 0) : '') + '</td><td class="num">' + (m ? fmt(m.elongationPct, 1) : '') + '</td>' +
          '<td>' + (e.meetsObjectives === null ? '' : e.meetsObjectives ? '<span class="ok">✓ success</span>' : '<span class="bad">✗</span>') + '</td>' +
          '<td class="muted">' + (m ? esc(m.source + (m.instrumentId ? ' · ' + m.instrumentId : m.enteredBy ? ' · ' + m.enteredBy : '')) : esc(e.instrumentId || '')) + '</td><td class="muted">' + esc(time(e.updatedAt)) + '</td></tr>';
      }).join('') + '</tbody></table></div>' : '<div class="muted">No experiments proposed yet.</div>';
    html += '</section>';

    var fleet = p.instruments.fleet;
    html += '<div class="grid2"><section class="card" style="margin:0"><h3>Instruments <span class="count">' + fmt(fleet.length) + '</span></h3>';
    html += fleet.length ? '<table data-testid="instruments"><thead><tr><th>Instrument</th><th>State</th><th>Utilisation</th><th class="num">Jobs / h</th><th class="num">Open</th><th class="num">Done</th><th>Last seen</th></tr></thead><tbody>' + fleet.map(function (i) {
      var u = i.utilisation === null ? null : i.utilisation;
      return '<tr><td class="formula">' + esc(i.id) + '</td><td>' + (i.state ? pill(i.state) : '–') + '</td><td><span class="util"><div style="width:' + ((u || 0) * 100).toFixed(0) + '%"></div></span>' + pct(u) + '</td><td class="num">' + fmt(i.throughputPerHour, 2) + '</td><td class="num">' + fmt(i.open) + '</td><td class="num">' + fmt(i.finished) + '</td><td class="muted">' + esc(time(i.lastSeenAt)) + '</td></tr>';
    }).join('') + '</tbody></table>' : '<div class="muted">No instruments registered.</div>';
    html += '</section><section class="card" style="margin:0"><h3>Recent instrument jobs <span class="count">' + fmt(p.instruments.recentJobs.length) + '</span></h3>';
    html += p.instruments.recentJobs.length ? '<div class="scroll" style="max-height:260px"><table><thead><tr><th>#</th><th>Instrument</th><th>Attempt</th><th>Status</th><th>Dispatched</th><th>Finished</th></tr></thead><tbody>' + p.instruments.recentJobs.map(function (j) {
      return '<tr><td>' + esc(j.sequence) + '</td><td class="formula">' + esc(j.instrumentId) + '</td><td class="num">' + esc(j.attempt) + '</td><td>' + pill(j.status) + '</td><td class="muted">' + esc(time(j.dispatchedAt)) + '</td><td class="muted">' + esc(time(j.finishedAt)) + '</td></tr>';
    }).join('') + '</tbody></table></div>' : '<div class="muted">No jobs dispatched yet.</div>';
    html += '</section></div>';

    html += '<section class="card"><h3>Model refinement events <span class="count">' + fmt(p.refinement.length) + '</span></h3>';
    html += p.refinement.length ? '<div class="scroll" style="max-height:300px"><table data-testid="refinement"><thead><tr><th>When</th><th class="num">Iteration</th><th>Reason</th><th class="num">Corr. before → after</th><th>Features chosen</th><th>Outcome</th><th>Provider</th><th>Rationale</th></tr></thead><tbody>' + p.refinement.slice().reverse().map(function (r) {
      return '<tr><td class="muted">' + esc(time(r.createdAt)) + '</td><td class="num">' + esc(r.iteration) + '</td><td>' + esc(r.reason) + '</td><td class="num">' + fmt(r.correlationBefore, 2) + ' → ' + fmt(r.correlationAfter, 2) + '</td><td class="formula">' + esc(r.featuresChosen.join(', ')) + '</td><td>' + (r.accepted ? pill('yes') : pill('no')) + '</td><td class="muted">' + esc(r.provider) + '</td><td title="' + esc(r.rationale) + '">' + esc(r.rationale.length > 90 ? r.rationale.slice(0, 90) + '…' : r.rationale) + '</td></tr>';
    }).join('') + '</tbody></table></div>' : '<div class="muted">No refinement triggered yet.</div>';
    html += '</section>';

    var scroll = window.scrollY;
    $('#main').innerHTML = html;
    window.scrollTo(0, scroll);
    renderActivity();
  }
  function kpi(label, value, hint) { return '<div class="card kpi"><div class="label">' + esc(label) + '</div><div class="value">' + value + '</div><div class="hint">' + hint + '</div></div>'; }

  // ---- approvals -------------------------------------------------------------------------------
  $('#main').addEventListener('click', function (ev) {
    var b = ev.target.closest('button[data-act]'); if (!b) return;
    var e = state.experiments.find(function (x) { return x.id === b.dataset.id; }); if (!e) return;
    if (b.dataset.act === 'approve') act('POST', '/experiments/' + e.id + '/approve', {}, 'Experiment #' + e.sequence + ' approved');
    else if (b.dataset.act === 'reject') openReject(e);
    else openEdit(e);
  });
  function act(method, path, body, done) {
    return request(method, path, body).then(function () { toast(done); scheduleRefresh(); }).catch(function (err) { toast(err.message, true); });
  }
  function dialog(html, onSubmit) {
    var d = $('#dialog'), f = $('#dialog-form');
    f.innerHTML = html;
    f.onsubmit = function (ev) { if (ev.submitter && ev.submitter.value === 'cancel') return; ev.preventDefault(); if (onSubmit(f) !== false) d.close(); };
    d.showModal();
  }
  function openReject(e) {
    dialog('<h4>Reject experiment #' + esc(e.sequence) + '</h4><div class="formula">' + esc(e.formula) + '</div><label for="reason">Reason (recorded in the audit trail)</label><textarea id="reason" name="reason" rows="3" required></textarea>' +
      '<div class="buttons"><button value="cancel" formnovalidate>Cancel</button><button class="danger" value="ok" data-testid="confirm-reject">Reject</button></div>', function (f) {
      act('POST', '/experiments/' + e.id + '/reject', { reason: f.reason.value.trim() }, 'Experiment #' + e.sequence + ' rejected');
    });
  }
  function openEdit(e) {
    // element symbols come from stored data: only escaped text reaches the HTML; ids and names are indexes
    var els = Object.keys(e.composition);
    dialog('<h4>Edit composition of #' + esc(e.sequence) + '</h4><div class="muted">at.%; the fractions must sum to 100.</div><div class="els">' + els.map(function (s, i) {
      return '<div><label for="el-' + i + '">' + esc(s) + '</label><input type="number" step="any" min="0" max="100" id="el-' + i + '" name="el-' + i + '" data-element="' + esc(s) + '" value="' + esc(e.composition[s]) + '"></div>';
    }).join('') + '</div><label>Sum</label><div id="sum" class="formula"></div>' +
      '<div class="buttons"><button value="cancel" formnovalidate>Cancel</button><button class="primary" value="ok" data-testid="confirm-edit">Save</button></div>', function (f) {
      var composition = {}; els.forEach(function (s, i) { var v = parseFloat(f.elements['el-' + i].value); if (v > 0) composition[s] = v; });
      act('PATCH', '/experiments/' + e.id, { composition: composition }, 'Experiment #' + e.sequence + ' updated');
    });
    var sum = function () { var t = els.reduce(function (a, s, i) { return a + (parseFloat($('#el-' + i).value) || 0); }, 0); $('#sum').textContent = t.toFixed(2) + ' at.%'; };
    $('#dialog-form').addEventListener('input', sum); sum();
  }

  function start() {
    loadCampaigns().then(function () {
      var id = new URLSearchParams(location.search).get('campaign');
      if (!id && state.campaigns.length) { id = (state.campaigns.find(function (c) { return c.status === 'running'; }) || state.campaigns[0]).id; history.replaceState(null, '', '?campaign=' + id); }
      select(id);
    }).catch(function (e) { $('#main').innerHTML = '<div class="empty">' + esc(e.message) + '</div>'; });
  }
  start();
  setInterval(function () { loadCampaigns().catch(function () {}); }, 30000);
})();
</script>
</body>
</html>
`;

const SCRIPT = DASHBOARD_HTML.slice(DASHBOARD_HTML.indexOf('<script>') + '<script>'.length, DASHBOARD_HTML.indexOf('</script>'));

/** The dashboard's Content-Security-Policy: its own script only (no inline handlers, no eval), API calls and images from this origin. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  `script-src 'sha256-${createHash('sha256').update(SCRIPT, 'utf8').digest('base64')}'`,
  "style-src 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');
