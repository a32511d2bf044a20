// @ts-check
(function () {
  'use strict';
  var API = '/api/v1';
  /**
   * API documents (see the OpenAPI document at /docs) are read as they come: `any` here, checked by the server.
   * @typedef {any} ApiDocument
   * @type {{ campaigns: ApiDocument[], id: string | null | undefined, campaign: ApiDocument, progress: ApiDocument, experiments: ApiDocument[],
   *   source: EventSource | null, seen: Record<string, string>, refreshTimer: number | undefined, plotStamp: number, activity: ApiDocument[] }}
   */
  var state = { campaigns: [], id: null, campaign: null, progress: null, experiments: [], source: null, seen: {}, refreshTimer: undefined, plotStamp: Date.now(), activity: [] };
  var STATES = ['proposed', 'approved', 'queued', 'dispatched', 'accepted', 'running', 'measured', 'rejected', 'failed', 'timed_out', 'cancelled', 'abandoned'];
  var PLOTS = [['best-so-far', 'Best so far by experiment'], ['pareto', 'Pareto front (glass formers)'], ['success-rate', 'Success rate per batch'], ['model-quality', 'Surrogate quality'], ['training', 'Agent training curves']];

  /** The page's element for a selector (null where the current view has none). @param {string} sel @returns {HTMLElement} */
  function $(sel) { return /** @type {HTMLElement} */ (document.querySelector(sel)); }
  /** A form field of the page. @param {string} sel @returns {HTMLInputElement} */
  function field(sel) { return /** @type {HTMLInputElement} */ ($(sel)); }
  /** The element matching `sel` that an event happened in, or null. @param {Event} ev @param {string} sel @returns {HTMLElement | null} */
  function closest(ev, sel) { return ev.target instanceof Element ? /** @type {HTMLElement | null} */ (ev.target.closest(sel)) : null; }
  /** @type {Record<string, string>} */
  var ENTITIES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  /** The one escape for every value that reaches the HTML (text and attribute values). @param {unknown} v @returns {string} */
  function esc(v) { return String(v === null || v === undefined ? '' : v).replace(/[&<>"']/g, function (c) { return ENTITIES[c]; }); }
  /** A number for display ('–' when missing). @param {unknown} v @param {number} [d] decimals @returns {string} */
  function fmt(v, d) { return v === null || v === undefined || isNaN(Number(v)) ? '–' : Number(v).toLocaleString('en-US', { minimumFractionDigits: d || 0, maximumFractionDigits: d || 0 }); }
  /** @param {number | null | undefined} v a share @returns {string} */
  function pct(v) { return v === null || v === undefined ? '–' : (v * 100).toFixed(1) + ' %'; }
  /** @param {unknown} s a state name @returns {string} */
  function pill(s) { return '<span class="pill ' + esc(s) + '">' + esc(String(s).replace('_', ' ')) + '</span>'; }
  /** @param {string | null | undefined} iso @returns {string} */
  function time(iso) { if (!iso) return '–'; var d = new Date(iso); return d.toLocaleDateString('en-GB', { day: '2-digit', month: 'short' }) + ' ' + d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' }); }
  /** @param {number | null | undefined} s seconds @returns {string} */
  function duration(s) { if (s === null || s === undefined) return '–'; if (s === 0) return 'done'; var h = s / 3600; return h >= 48 ? (h / 24).toFixed(1) + ' d' : h >= 1 ? h.toFixed(1) + ' h' : Math.max(1, Math.round(s / 60)) + ' min'; }
  function actor() { return (field('#actor').value || 'pi').trim(); }
  // API key (kept for this tab only, in sessionStorage: not left behind in the browser): a bearer header for fetch; ?access_token= for EventSource, <img> and links, which cannot send headers
  function apiKey() { try { return sessionStorage.getItem('aimd.apiKey') || ''; } catch { return ''; } }
  /** @param {string} url @returns {string} */
  function withToken(url) { var k = apiKey(); return k ? url + (url.indexOf('?') >= 0 ? '&' : '?') + 'access_token=' + encodeURIComponent(k) : url; }
  field('#apikey').value = apiKey();
  $('#apikey').addEventListener('change', function () {
    try { sessionStorage.setItem('aimd.apiKey', field('#apikey').value.trim()); } catch { /* private mode */ }
    start();
  });

  /** @type {number | undefined} */
  var toastTimer;
  /** @param {string} message @param {boolean} [error] */
  function toast(message, error) {
    var t = $('#toast'); t.textContent = message; t.className = error ? 'show error' : 'show';
    clearTimeout(toastTimer); toastTimer = setTimeout(function () { t.className = ''; }, 3500);
  }

  /** @param {string} method @param {string} path @param {unknown} [body] @returns {Promise<ApiDocument>} */
  function request(method, path, body) {
    /** @type {Record<string, string>} */
    var headers = { 'X-Actor': actor() };
    /** @type {RequestInit} */
    var init = { method: method, headers: headers };
    if (apiKey()) headers.Authorization = 'Bearer ' + apiKey();
    if (body !== undefined) { headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    return fetch(API + path, init).then(function (res) {
      return res.text().then(function (text) {
        var data = null; try { data = text ? JSON.parse(text) : null; } catch { data = text; }
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
    var q = (field('#filter').value || '').toLowerCase();
    var html = state.campaigns.filter(function (c) { return !q || c.name.toLowerCase().indexOf(q) >= 0; }).map(function (c) {
      var measured = (c.counts.instrument || 0) + (c.counts.technician || 0);
      return '<a class="campaign-link' + (c.id === state.id ? ' active' : '') + '" href="?campaign=' + esc(c.id) + '" data-id="' + esc(c.id) + '">' +
        '<span class="name">' + esc(c.name) + '</span><span class="meta">' + pill(c.status) + '<span>' + fmt(measured) + ' / ' + fmt(c.budget) + ' measured</span></span></a>';
    }).join('');
    $('#campaigns').innerHTML = html || '<div class="muted" style="padding:8px">No campaigns yet.</div>';
  }
  $('#campaigns').addEventListener('click', function (ev) {
    var a = closest(ev, 'a.campaign-link'); if (!a) return;
    ev.preventDefault(); history.pushState(null, '', '?campaign=' + a.dataset.id); select(a.dataset.id);
  });
  $('#filter').addEventListener('input', renderCampaigns);
  window.addEventListener('popstate', function () { select(new URLSearchParams(location.search).get('campaign')); });

  // ---- one campaign --------------------------------------------------------------------------
  /** @param {string | null | undefined} id */
  function select(id) {
    if (state.source) { state.source.close(); state.source = null; }
    state.id = id; state.progress = null; state.experiments = []; state.seen = {}; state.activity = [];
    renderCampaigns();
    if (!id) { $('#main').innerHTML = '<div class="empty">Select a campaign.</div>'; setLive('', 'not connected'); return; }
    $('#main').innerHTML = '<div class="empty">Loading…</div>';
    refresh(true).then(connect).catch(function (e) { $('#main').innerHTML = '<div class="empty">' + esc(e.message) + '</div>'; });
  }

  /** @param {boolean} first @returns {Promise<void>} */
  function refresh(first) {
    var id = state.id;
    return Promise.all([
      request('GET', '/campaigns/' + id),
      request('GET', '/campaigns/' + id + '/progress'),
      request('GET', '/campaigns/' + id + '/export/experiments.json'),
    ]).then(function (r) {
      if (id !== state.id) return;
      var before = state.seen;
      /** @type {Record<string, string>} */
      var fresh = {};
      r[2].forEach(function (/** @type {ApiDocument} */ e) { fresh[e.id] = e.status + '|' + (e.measurement ? e.measurement.id : ''); });
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

  /** @param {string} cls @param {string} text */
  function setLive(cls, text) { var el = $('#live'); el.className = 'live ' + cls; /** @type {HTMLElement} */ (el.querySelector('.text')).textContent = text; }
  function connect() {
    if (!state.id || typeof EventSource === 'undefined') return;
    var source = new EventSource(withToken(API + '/campaigns/' + state.id + '/events'));
    state.source = source;
    source.onopen = function () { setLive('on', 'live'); };
    source.onerror = function () { setLive('off', 'reconnecting…'); };
    source.onmessage = function (msg) {
      var event; try { event = JSON.parse(msg.data); } catch { return; }
      state.activity.unshift(event); state.activity = state.activity.slice(0, 50);
      renderActivity();
      scheduleRefresh();
    };
  }

  /** One live event as HTML. @param {ApiDocument} e @returns {string} */
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
        var parts = Object.keys(e).filter(function (/** @type {ApiDocument} */ k) { return ['type', 'campaignId', 'at'].indexOf(k) < 0 && (typeof e[k] !== 'object' || e[k] === null); })
          .slice(0, 4).map(function (/** @type {ApiDocument} */ k) { return esc(k) + ' ' + esc(e[k]); });
        return parts.join(' · ');
    }
  }
  function renderActivity() {
    var el = $('#activity'); if (!el) return;
    el.innerHTML = state.activity.length ? state.activity.map(function (e) {
      return '<li><time>' + esc(time(e.at || new Date().toISOString())) + '</time><code>' + esc(e.type) + '</code><span>' + describe(e) + '</span></li>';
    }).join('') : '<li class="muted">Waiting for events… (the page updates itself)</li>';
  }

  /** @param {Record<string, string> | null} before what each experiment was at the last render (null: first render) */
  function render(before) {
    var c = state.campaign, p = state.progress;
    var ys = p.bestSoFar.find(function (/** @type {ApiDocument} */ b) { return b.property === 'yieldStrengthMPa'; }) || {};
    var el = p.bestSoFar.find(function (/** @type {ApiDocument} */ b) { return b.property === 'elongationPct'; }) || {};
    var targets = p.campaign.objectives.targets.map(function (/** @type {ApiDocument} */ t) {
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
    var trained = p.training.filter(function (/** @type {ApiDocument} */ k) { return k.rates; }).slice().reverse();
    if (trained.length) {
      var tnames = p.campaign.objectives.targets.map(function (/** @type {ApiDocument} */ t) { return t.property === 'yieldStrengthMPa' ? 'σy' : t.property === 'elongationPct' ? 'ε' : t.property; });
      html += '<section class="card"><h3>Agent training per iteration <span class="count">' + trained.length + '</span></h3><div class="scroll"><table data-testid="training"><thead><tr><th>Iteration</th><th class="num">Steps</th><th class="num">SR_legal</th><th class="num">SR_cls</th>' +
        tnames.map(function (/** @type {string} */ n) { return '<th class="num">SR_80 ' + esc(n) + '</th>'; }).join('') + '<th class="num">SR_done</th><th class="num">Final corr(Q, r)</th></tr></thead><tbody>' +
        trained.map(function (/** @type {ApiDocument} */ k) {
          var last = k.points.length ? k.points[k.points.length - 1] : {};
          return '<tr data-testid="training-' + esc(k.iteration) + '"><td>' + esc(k.iteration) + '</td><td class="num">' + fmt(k.envSteps) + '</td><td class="num">' + pct(k.rates.srLegal) + '</td><td class="num">' + pct(k.rates.srCls) + '</td>' +
            tnames.map(function (/** @type {string} */ _, /** @type {number} */ i) { return '<td class="num">' + pct(k.rates.sr80[i]) + '</td>'; }).join('') + '<td class="num">' + pct(k.rates.srDone) + '</td><td class="num">' + fmt(last.qRewardCorrelation, 2) + '</td></tr>';
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
    html += fleet.length ? '<table data-testid="instruments"><thead><tr><th>Instrument</th><th>State</th><th>Utilisation</th><th class="num">Jobs / h</th><th class="num">Open</th><th class="num">Done</th><th>Last seen</th></tr></thead><tbody>' + fleet.map(function (/** @type {ApiDocument} */ i) {
      var u = i.utilisation === null ? null : i.utilisation;
      return '<tr><td class="formula">' + esc(i.id) + '</td><td>' + (i.state ? pill(i.state) : '–') + '</td><td><span class="util"><div style="width:' + ((u || 0) * 100).toFixed(0) + '%"></div></span>' + pct(u) + '</td><td class="num">' + fmt(i.throughputPerHour, 2) + '</td><td class="num">' + fmt(i.open) + '</td><td class="num">' + fmt(i.finished) + '</td><td class="muted">' + esc(time(i.lastSeenAt)) + '</td></tr>';
    }).join('') + '</tbody></table>' : '<div class="muted">No instruments registered.</div>';
    html += '</section><section class="card" style="margin:0"><h3>Recent instrument jobs <span class="count">' + fmt(p.instruments.recentJobs.length) + '</span></h3>';
    html += p.instruments.recentJobs.length ? '<div class="scroll" style="max-height:260px"><table><thead><tr><th>#</th><th>Instrument</th><th>Attempt</th><th>Status</th><th>Dispatched</th><th>Finished</th></tr></thead><tbody>' + p.instruments.recentJobs.map(function (/** @type {ApiDocument} */ j) {
      return '<tr><td>' + esc(j.sequence) + '</td><td class="formula">' + esc(j.instrumentId) + '</td><td class="num">' + esc(j.attempt) + '</td><td>' + pill(j.status) + '</td><td class="muted">' + esc(time(j.dispatchedAt)) + '</td><td class="muted">' + esc(time(j.finishedAt)) + '</td></tr>';
    }).join('') + '</tbody></table></div>' : '<div class="muted">No jobs dispatched yet.</div>';
    html += '</section></div>';

    html += '<section class="card"><h3>Model refinement events <span class="count">' + fmt(p.refinement.length) + '</span></h3>';
    html += p.refinement.length ? '<div class="scroll" style="max-height:300px"><table data-testid="refinement"><thead><tr><th>When</th><th class="num">Iteration</th><th>Reason</th><th class="num">Corr. before → after</th><th>Features chosen</th><th>Outcome</th><th>Provider</th><th>Rationale</th></tr></thead><tbody>' + p.refinement.slice().reverse().map(function (/** @type {ApiDocument} */ r) {
      return '<tr><td class="muted">' + esc(time(r.createdAt)) + '</td><td class="num">' + esc(r.iteration) + '</td><td>' + esc(r.reason) + '</td><td class="num">' + fmt(r.correlationBefore, 2) + ' → ' + fmt(r.correlationAfter, 2) + '</td><td class="formula">' + esc(r.featuresChosen.join(', ')) + '</td><td>' + (r.accepted ? pill('yes') : pill('no')) + '</td><td class="muted">' + esc(r.provider) + '</td><td title="' + esc(r.rationale) + '">' + esc(r.rationale.length > 90 ? r.rationale.slice(0, 90) + '…' : r.rationale) + '</td></tr>';
    }).join('') + '</tbody></table></div>' : '<div class="muted">No refinement triggered yet.</div>';
    html += '</section>';

    var scroll = window.scrollY;
    $('#main').innerHTML = html;
    window.scrollTo(0, scroll);
    renderActivity();
  }
  /** @param {string} label @param {string} value HTML @param {string} hint HTML @returns {string} */
  function kpi(label, value, hint) { return '<div class="card kpi"><div class="label">' + esc(label) + '</div><div class="value">' + value + '</div><div class="hint">' + hint + '</div></div>'; }

  // ---- approvals -------------------------------------------------------------------------------
  $('#main').addEventListener('click', function (ev) {
    var b = closest(ev, 'button[data-act]'); if (!b) return;
    var id = b.dataset.id; var e = state.experiments.find(function (x) { return x.id === id; }); if (!e) return;
    if (b.dataset.act === 'approve') act('POST', '/experiments/' + e.id + '/approve', {}, 'Experiment #' + e.sequence + ' approved');
    else if (b.dataset.act === 'reject') openReject(e);
    else openEdit(e);
  });
  /** @param {string} method @param {string} path @param {unknown} body @param {string} done */
  function act(method, path, body, done) {
    return request(method, path, body).then(function () { toast(done); scheduleRefresh(); }).catch(function (err) { toast(err.message, true); });
  }
  /** @param {string} html @param {(form: HTMLFormElement) => (boolean | void)} onSubmit */
  function dialog(html, onSubmit) {
    var d = /** @type {HTMLDialogElement} */ ($('#dialog')), f = /** @type {HTMLFormElement} */ ($('#dialog-form'));
    f.innerHTML = html;
    f.onsubmit = function (ev) { if (ev.submitter instanceof HTMLButtonElement && ev.submitter.value === 'cancel') return; ev.preventDefault(); if (onSubmit(f) !== false) d.close(); };
    d.showModal();
  }
  /** @param {ApiDocument} e */
  function openReject(e) {
    dialog('<h4>Reject experiment #' + esc(e.sequence) + '</h4><div class="formula">' + esc(e.formula) + '</div><label for="reason">Reason (recorded in the audit trail)</label><textarea id="reason" name="reason" rows="3" required></textarea>' +
      '<div class="buttons"><button value="cancel" formnovalidate>Cancel</button><button class="danger" value="ok" data-testid="confirm-reject">Reject</button></div>', function (f) {
      act('POST', '/experiments/' + e.id + '/reject', { reason: f.reason.value.trim() }, 'Experiment #' + e.sequence + ' rejected');
    });
  }
  /** @param {ApiDocument} e */
  function openEdit(e) {
    // element symbols come from stored data: only escaped text reaches the HTML; ids and names are indexes
    var els = Object.keys(e.composition);
    dialog('<h4>Edit composition of #' + esc(e.sequence) + '</h4><div class="muted">at.%; the fractions must sum to 100.</div><div class="els">' + els.map(function (s, i) {
      return '<div><label for="el-' + i + '">' + esc(s) + '</label><input type="number" step="any" min="0" max="100" id="el-' + i + '" name="el-' + i + '" data-element="' + esc(s) + '" value="' + esc(e.composition[s]) + '"></div>';
    }).join('') + '</div><label>Sum</label><div id="sum" class="formula"></div>' +
      '<div class="buttons"><button value="cancel" formnovalidate>Cancel</button><button class="primary" value="ok" data-testid="confirm-edit">Save</button></div>', function (f) {
      /** @type {Record<string, number>} */
      var composition = {}; els.forEach(function (s, i) { var v = parseFloat(/** @type {HTMLInputElement} */ (f.elements.namedItem('el-' + i)).value); if (v > 0) composition[s] = v; });
      act('PATCH', '/experiments/' + e.id, { composition: composition }, 'Experiment #' + e.sequence + ' updated');
    });
    var sum = function () { var t = els.reduce(function (a, s, i) { return a + (parseFloat(field('#el-' + i).value) || 0); }, 0); $('#sum').textContent = t.toFixed(2) + ' at.%'; };
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
