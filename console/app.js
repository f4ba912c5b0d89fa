/* kgrec console: plain JavaScript, no libraries, nothing fetched but this server's own API.
 * Views: shopper, query, node, service (docs/CONSOLE.md). The bearer token is asked for when
 * the server wants one and kept in sessionStorage; every API call sends it. */
'use strict';

(function () {
  const TOKEN_KEY = 'kgrec-token';
  const state = { vocab: null, status: null, view: null, timer: null, metricsPrev: null,
    lastQuery: null };

  /* ---- small DOM helpers ---- */
  const $ = (id) => document.getElementById(id);
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k.startsWith('data-')) e.setAttribute(k, v);
      else e.setAttribute(k, v === true ? '' : v);
    }
    for (const c of kids.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      e.append(c instanceof Node ? c : String(c));
    }
    return e;
  }
  const SVGNS = 'http://www.w3.org/2000/svg';
  function sv(tag, attrs, ...kids) {
    const e = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, v);
    for (const c of kids.flat(Infinity)) if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  function clear(node, ...kids) { node.replaceChildren(...kids.flat(Infinity).filter((k) => k != null)); return node; }
  function fmt(x, d) { return typeof x === 'number' ? x.toFixed(d === undefined ? 4 : d) : String(x); }
  function short(s, n) { s = String(s); return s.length > n ? s.slice(0, n - 1) + '\u2026' : s; }

  /* ---- the API ---- */
  class AuthError extends Error {}
  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }
  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
  async function call(path, opts) {
    opts = opts || {};
    const headers = Object.assign({}, opts.headers || {});
    if (token()) headers.Authorization = 'Bearer ' + token();
    let r;
    try {
      r = await fetch(path, { method: opts.method || 'GET', headers, body: opts.body });
    } catch (e) {
      throw new ApiError(0, 'network', 'the server did not answer (' + e.message + ')');
    }
    if (r.status === 401) { showLogin('The token was refused.'); throw new AuthError('unauthorized'); }
    const text = await r.text();
    if (!r.ok) {
      let code = 'http_' + r.status, msg = text;
      try { const j = JSON.parse(text); code = j.error.code; msg = j.error.message; } catch (e) { /* not JSON */ }
      throw new ApiError(r.status, code, msg);
    }
    return { text, response: r };
  }
  async function getJSON(path, opts) { return JSON.parse((await call(path, opts)).text); }
  function postJSON(path, obj) {
    return getJSON(path, { method: 'POST', body: JSON.stringify(obj), headers: { 'Content-Type': 'application/json' } });
  }
  const q = (o) => new URLSearchParams(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')).toString();
  /* Errors go to the view's message line; a refused token has already shown the login. */
  function report(target, e) {
    if (e instanceof AuthError) return;
    target.textContent = e.message || String(e);
    target.classList.add('error');
  }
  function say(target, text) { target.textContent = text; target.classList.remove('error'); }

  /* ---- login ---- */
  function showLogin(message) {
    stopTimer();
    $('app').hidden = true;
    $('login').hidden = false;
    const err = $('login-error');
    err.hidden = !message || !token();
    err.textContent = message || '';
    sessionStorage.removeItem(TOKEN_KEY);
    $('login-token').value = '';
    $('login-token').focus();
  }
  async function start() {
    try {
      state.status = await getJSON('/v1/status');
      state.vocab = await getJSON('/v1/vocab');
    } catch (e) {
      if (!(e instanceof AuthError)) {
        $('login').hidden = false;
        $('login-error').hidden = false;
        $('login-error').textContent = e.message;
      }
      return;
    }
    $('login').hidden = true;
    $('app').hidden = false;
    $('logout').hidden = !token();
    setupRankers();
    setupExamples();
    route();
  }
  $('login-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $('login-token').value.trim());
    start();
  });
  $('logout').addEventListener('click', () => { sessionStorage.removeItem(TOKEN_KEY); showLogin(''); });

  /* ---- routing: #/view?params ---- */
  function parseHash() {
    const h = location.hash.replace(/^#\/?/, '');
    const i = h.indexOf('?');
    return { view: (i < 0 ? h : h.slice(0, i)) || 'shopper', params: new URLSearchParams(i < 0 ? '' : h.slice(i + 1)) };
  }
  const link = (view, params) => '#/' + view + (params ? '?' + q(params) : '');
  function route() {
    if ($('app').hidden) return;
    const { view, params } = parseHash();
    const views = ['shopper', 'query', 'node', 'service'];
    const v = views.includes(view) ? view : 'shopper';
    for (const name of views) $('view-' + name).hidden = name !== v;
    for (const a of document.querySelectorAll('nav a')) {
      if (a.dataset.view === v) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    }
    stopTimer();
    state.view = v;
    if (v === 'shopper') shopperRoute(params);
    else if (v === 'query') queryRoute(params);
    else if (v === 'node') nodeRoute(params);
    else serviceRoute();
  }
  window.addEventListener('hashchange', route);

  /* ---- names ---- */
  function curie(iri) {
    const p = (state.vocab && state.vocab.prefixes) || {};
    let best = null;
    for (const [k, ns] of Object.entries(p)) if (iri.startsWith(ns) && (!best || ns.length > p[best].length)) best = k;
    return best ? best + ':' + iri.slice(p[best].length) : iri;
  }
  function phrase(p, fallback) { return (state.vocab && state.vocab.phrases[p]) || fallback || curie(p); }
  function nodeLink(iri, text) { return el('a', { href: link('node', { iri }), title: iri }, text || curie(iri)); }

  /* ---- shopper ---- */
  function setupRankers() {
    const llm = state.status.llm && state.status.llm.configured;
    const learned = !!state.status.learned;
    for (const id of ['rec-ranker-a', 'rec-ranker-b']) {
      clear($(id),
        el('option', { value: 'learned', disabled: !learned }, learned ? 'learned (model ' + state.status.learned.checksum + ')' : 'learned (no model: serve --model)'),
        el('option', { value: 'graph' }, 'graph' + (state.status.weights ? ' (trained weights)' : '')),
        el('option', { value: 'llm', disabled: !llm }, llm ? 'LLM (' + (state.status.llm.model || 'configured') + ')' : 'LLM (not configured)'));
    }
    $('rec-ranker-a').value = learned ? 'learned' : 'graph';
    $('rec-ranker-b').value = llm ? 'llm' : 'graph';
  }
  $('rec-compare').addEventListener('change', () => { $('rec-ranker-b').disabled = !$('rec-compare').checked; });

  let userTimer = null;
  $('user-q').addEventListener('input', () => {
    clearTimeout(userTimer);
    userTimer = setTimeout(searchUsers, 200);
  });
  async function searchUsers() {
    const text = $('user-q').value.trim();
    try {
      const r = await getJSON('/v1/users?' + q({ q: text, limit: 12 }));
      clear($('user-options'), r.users.map((u) => el('option', { value: u.label }, u.user)));
      clear($('user-matches'), r.users.map((u) => el('button', {
        type: 'button', title: u.user + ' (' + u.interactions + ' interactions)',
        onclick: () => { location.hash = link('shopper', { user: u.user }); }
      }, u.label)), r.truncated ? el('span', { class: 'hint' }, r.matches + ' matches') : null);
    } catch (e) { report($('shopper-msg'), e); }
  }
  $('user-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const u = $('user-q').value.trim();
    if (!u) { searchUsers(); return; }
    const params = { user: u, k: $('rec-k').value, ranker: $('rec-ranker-a').value };
    if ($('rec-compare').checked) params.compare = $('rec-ranker-b').value;
    const cur = parseHash();
    if (cur.view === 'shopper' && q(params) === cur.params.toString()) shopperRoute(cur.params);
    else location.hash = link('shopper', params);
  });
  $('text-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('rec-text').value.trim();
    if (!text) return;
    const params = { text, k: $('rec-k').value, ranker: $('rec-ranker-a').value, user: $('user-q').value.trim() };
    location.hash = link('shopper', params);
  });
  $('whynot-form').addEventListener('submit', (ev) => { ev.preventDefault(); whyNot(); });
  $('similar-form').addEventListener('submit', (ev) => { ev.preventDefault(); similar($('similar-item').value.trim()); });

  function shopperRoute(params) {
    const user = params.get('user') || '';
    const text = params.get('text') || '';
    $('user-q').value = user;
    $('rec-text').value = text;
    if (params.get('k')) $('rec-k').value = params.get('k');
    if (params.get('ranker')) $('rec-ranker-a').value = params.get('ranker');
    $('rec-compare').checked = !!params.get('compare');
    $('rec-ranker-b').disabled = !params.get('compare');
    if (params.get('compare')) $('rec-ranker-b').value = params.get('compare');
    if (params.get('similar')) { $('similar-item').value = params.get('similar'); similar(params.get('similar')); }
    if (!user && !text) {
      if (!$('user-matches').childElementCount) searchUsers();
      return;
    }
    if (user) loadHistory(user); else clear($('history'), el('p', { class: 'hint' }, 'No user: the request text alone.'));
    const k = Math.max(1, Math.min(1000, parseInt($('rec-k').value, 10) || 10));
    const rankers = [$('rec-ranker-a').value];
    if (params.get('compare')) rankers.push(params.get('compare'));
    clear($('lists'));
    say($('shopper-msg'), 'Asking for recommendations\u2026');
    Promise.all(rankers.map((rk, i) => recommendList(user, text, k, rk, i))).then(() => say($('shopper-msg'), ''),
      (e) => report($('shopper-msg'), e));
  }

  async function loadHistory(user) {
    const box = $('history');
    try {
      const h = await getJSON('/v1/history?' + q({ user, limit: 50 }));
      clear(box, el('p', { class: 'hint' }, nodeLink(h.user, h.label), ' \u2014 ', h.total + ' interactions, newest first'),
        el('div', { class: 'history' }, el('table', { class: 'history-table' },
          el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'time'), el('th', { scope: 'col' }, 'action'), el('th', { scope: 'col' }, 'item'))),
          el('tbody', {}, h.history.map((e) => el('tr', { 'data-item': e.item },
            el('td', { class: 'mono' }, e.time.replace('T', ' ').replace('Z', '')),
            el('td', {}, e.action_label || '', e.weight !== 1 ? ' (' + e.weight + ')' : ''),
            el('td', {}, nodeLink(e.item, e.label))))))));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) clear(box, el('p', { class: 'hint' }, e.message + ' (new users get cold-start lists).'));
      else report(box, e);
    }
  }

  async function recommendList(user, text, k, ranker, slot) {
    const body = { k, explain: true };
    if (user) body.user = user;
    if (text) body.query = text;
    if (state.status.llm && state.status.llm.configured) body.llm = { enabled: ranker === 'llm' };
    if (state.status.learned) body.ranker = ranker === 'graph' ? 'graph' : 'learned';
    const sec = el('section', { class: 'list', 'aria-label': 'list ' + (slot + 1) });
    $('lists').append(sec);
    const title = ranker === 'llm' ? 'LLM ranker' : ranker === 'learned' ? 'Learned ranker' : 'Graph ranker';
    sec.append(el('h3', {}, title + (text ? ': \u201c' + text + '\u201d' : '')));
    const t0 = performance.now();
    const r = await postJSON('/v1/recommend', body);
    sec.append(el('p', { class: 'hint' }, r.items.length + ' items in ' + Math.round(performance.now() - t0) + ' ms',
      r.cold_start ? ' \u00b7 cold start' : '', r.fallback ? ' \u00b7 LLM fell back to graph order' : '',
      r.request_id ? ' \u00b7 request ' + r.request_id : ''));
    for (const n of r.notes || []) sec.append(el('p', { class: 'note' }, n));
    sec.append(recList(r.items, { ranker, user: r.user || '' }));
  }

  /* One ranked list; data-* attributes carry the exact values the API returned. */
  function recList(items, meta) {
    return el('ol', { class: 'recs', 'data-ranker': meta.ranker, 'data-user': meta.user },
      items.map((it, i) => recItem(it, meta.user, i + 1)));
  }
  function recItem(it, user, pos) {
    /* the learned ranker's contributions (every feature's share, largest first), else the
     * graph formula's score parts */
    const parts = it.contributions ? it.contributions.slice(0, 8).map((c) => [c.feature, c.contribution])
      : it.parts ? Object.entries(it.parts).filter(([, v]) => v !== 0) : [];
    const maxPart = Math.max(1e-9, ...parts.map(([, v]) => Math.abs(v)));
    const li = el('li', { 'data-item': it.item, 'data-score': String(it.score), 'data-rank': it.rank || pos },
      el('div', { class: 'rec-head' },
        el('span', { class: 'rank' }, '#' + (it.rank || pos)),
        el('span', { class: 'name' }, nodeLink(it.item, it.label || curie(it.item))),
        el('span', { class: 'score', title: 'score' }, fmt(it.score))),
      it.llm_score !== undefined ? el('div', { class: 'gens' }, 'LLM score ' + fmt(it.llm_score) + ' \u00b7 graph score ' +
        fmt(it.graph_score) + ' (graph rank ' + it.graph_rank + ')' + (it.llm_valid === false ? ' \u00b7 no valid LLM answer' : '') +
        (it.grounded ? ' \u00b7 grounded' : '')) : null,
      it.cited && it.cited.length ? el('details', { class: 'cited' }, el('summary', {}, 'cites ' + it.cited.length + ' fact' + (it.cited.length > 1 ? 's' : '')),
        el('ul', {}, it.cited.map((f) => el('li', {}, nodeLink(f.s), ' ' + phrase(f.p) + ' ', /^[a-z][a-z0-9+.-]*:/i.test(f.o) ? nodeLink(f.o) : f.o)))) : null,
      it.generators && it.generators.length ? el('div', { class: 'gens' }, 'from: ' + it.generators.join(', ')) : null,
      it.rationale ? el('p', { class: 'rationale' }, it.rationale) : null,
      parts.length ? el('div', { class: 'parts', role: 'table', 'aria-label': 'score parts' },
        parts.map(([k, v]) => [el('span', { role: 'cell' }, k),
          el('span', { role: 'cell' }, el('span', { class: 'bar', style: 'display:block;width:' + Math.round(100 * Math.abs(v) / maxPart) + '%' })),
          el('span', { class: 'val', role: 'cell' }, fmt(v, 3))])) : null,
      it.paths && it.paths.length ? pathGraph(it, user) : user && !it.paths ? pathsOnDemand(it, user) : null,
      it.meta_paths && it.meta_paths.length ? el('details', {}, el('summary', {}, 'meta-paths (' + it.meta_paths_total + ')'),
        el('ul', {}, it.meta_paths.map((m) => el('li', {}, m.pattern + ' \u00d7 ' + m.count)))) : null,
      el('div', { class: 'row' }, el('button', { type: 'button', class: 'secondary', onclick: () => {
        $('similar-item').value = it.item; similar(it.item);
        $('similar-title').scrollIntoView({ block: 'start' });
      } }, 'Similar items')));
    return li;
  }

  /* A list without paths (the LLM ranker's): the paths come from /v1/explain when asked. */
  function pathsOnDemand(it, user) {
    const box = el('div', { class: 'row' });
    box.append(el('button', { type: 'button', class: 'secondary', onclick: async () => {
      say(box, 'Finding the paths\u2026');
      try {
        const r = await getJSON('/v1/explain?' + q({ user, item: it.item }));
        const x = r.items[0];
        clear(box, x && x.paths && x.paths.length ? pathGraph(Object.assign({}, x, { label: it.label }), user)
          : el('p', { class: 'hint' }, 'No evidence path within the hop limit.'));
      } catch (e) { report(box, e); }
    } }, 'Show evidence paths'));
    return box;
  }

  /* Evidence paths as one small left-to-right graph: column = hop from the start of the
   * path (the user), the item last; edges labelled with the ontology's phrases. */
  function pathGraph(it, user) {
    const nodes = new Map(), edges = new Map();
    const from = new Set(it.paths.map((p) => p.from));
    let maxCol = 0;
    for (const p of it.paths) {
      const seq = [];
      p.edges.forEach((e, i) => {
        const a = e.reversed ? e.o : e.s, b = e.reversed ? e.s : e.o;
        const al = e.reversed ? e.o_label : e.s_label, bl = e.reversed ? e.s_label : e.o_label;
        if (i === 0) seq.push([a, al]);
        seq.push([b, bl]);
        const key = e.s + ' ' + e.p + ' ' + e.o;
        if (!edges.has(key)) edges.set(key, e);
      });
      seq.forEach(([iri, label], col) => {
        if (!nodes.has(iri)) nodes.set(iri, { iri, label, col });
        maxCol = Math.max(maxCol, col);
      });
    }
    if (nodes.has(it.item)) nodes.get(it.item).col = maxCol;
    const rows = new Array(maxCol + 1).fill(0);
    for (const n of nodes.values()) n.row = rows[n.col]++;
    const W = 140, GAP = 100, H = 32, VG = 16;
    const height = Math.max(...rows) * (H + VG) + 10;
    const width = (maxCol + 1) * W + maxCol * GAP + 10;
    const pos = (n) => ({ x: 5 + n.col * (W + GAP), y: 5 + n.row * (H + VG) });
    const svg = sv('svg', { class: 'paths', viewBox: '0 0 ' + width + ' ' + height, width, role: 'img',
      'aria-label': 'evidence paths to ' + (it.label || it.item) });
    svg.append(sv('defs', {}, sv('marker', { id: 'arr', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
      sv('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#77776f' }))));
    for (const e of edges.values()) {
      const a = nodes.get(e.s), b = nodes.get(e.o);
      if (!a || !b) continue;
      const pa = pos(a), pb = pos(b);
      const left = a.col <= b.col ? pa : pb, right = a.col <= b.col ? pb : pa;
      const x1 = left.x + W, y1 = left.y + H / 2, x2 = right.x, y2 = right.y + H / 2;
      const forward = a.col <= b.col;
      svg.append(sv('line', { class: 'edge', x1, y1, x2, y2,
        'marker-end': forward ? 'url(#arr)' : null, 'marker-start': forward ? null : 'url(#arr)' }));
      svg.append(sv('text', { class: 'elabel', x: (x1 + x2) / 2, y: (y1 + y2) / 2 - 4, 'text-anchor': 'middle' },
        sv('title', {}, curie(e.p)), short(phrase(e.p, e.p_label), 22)));
    }
    for (const n of nodes.values()) {
      const p = pos(n);
      const cls = n.iri === it.item ? 'n-cand' : n.iri === user ? 'n-user' : from.has(n.iri) ? 'n-hist' : 'n-mid';
      svg.append(sv('a', { href: link('node', { iri: n.iri }) },
        sv('title', {}, (n.label || '') + '\n' + n.iri),
        sv('rect', { class: cls, x: p.x, y: p.y, width: W, height: H, rx: 5 }),
        sv('text', { x: p.x + W / 2, y: p.y + H / 2 + 4, 'text-anchor': 'middle' }, short(n.label || curie(n.iri), 21))));
    }
    return el('details', { class: 'evidence', open: true }, el('summary', {}, it.paths.length + ' evidence path' + (it.paths.length > 1 ? 's' : '')), svg);
  }

  async function whyNot() {
    const item = $('whynot-item').value.trim(), user = $('user-q').value.trim();
    const box = $('whynot');
    if (!item || !user) { clear(box, el('p', { class: 'hint' }, 'Pick a user above and name an item.')); return; }
    clear(box, el('p', { class: 'hint' }, 'Explaining\u2026'));
    try {
      const r = await getJSON('/v1/explain?' + q({ user, item }));
      clear(box, (r.notes || []).map((n) => el('p', { class: 'note' }, n)),
        r.items.length && r.items[0].paths && r.items[0].paths.length ? null :
          el('p', { class: 'note' }, 'No evidence path joins this user\u2019s history to the item within the hop limit.'),
        recList(r.items, { ranker: 'explain', user: r.user || user }));
    } catch (e) { clear(box); report(box, e); }
  }

  async function similar(item) {
    const box = $('similar');
    if (!item) return;
    clear(box, el('p', { class: 'hint' }, 'Looking for similar items\u2026'));
    try {
      const r = await getJSON('/v1/items/' + encodeURIComponent(item) + '/similar?' + q({ k: 5, explain: 'true' }));
      clear(box, (r.notes || []).map((n) => el('p', { class: 'note' }, n)), recList(r.items, { ranker: 'similar', user: '' }));
    } catch (e) { clear(box); report(box, e); }
  }

  /* ---- query ---- */
  function setupExamples() {
    const sel = $('query-example');
    clear(sel, el('option', { value: '' }, '(choose an example query)'),
      state.vocab.queries.map((x, i) => el('option', { value: String(i) }, x.name.replace(/\.rq$/, ''))));
    if (!$('query-text').value) $('query-text').value = prefixBlock() + '\nSELECT ?s ?p ?o\nWHERE { ?s ?p ?o }\nLIMIT 20\n';
    gutter();
  }
  function prefixBlock() {
    return Object.entries(state.vocab.prefixes).map(([k, v]) => 'PREFIX ' + k + ': <' + v + '>').join('\n') + '\n';
  }
  $('query-example').addEventListener('change', () => {
    const x = state.vocab.queries[parseInt($('query-example').value, 10)];
    if (x) { $('query-text').value = x.query; gutter(); }
  });
  $('query-prefixes').addEventListener('click', () => {
    const t = $('query-text');
    const have = new Set([...t.value.matchAll(/PREFIX\s+([\w-]*):/gi)].map((m) => m[1]));
    const add = Object.entries(state.vocab.prefixes).filter(([k]) => !have.has(k)).map(([k, v]) => 'PREFIX ' + k + ': <' + v + '>\n').join('');
    t.value = add + t.value;
    gutter();
  });
  function gutter(bad) {
    const n = $('query-text').value.split('\n').length;
    const g = $('query-gutter');
    clear(g, Array.from({ length: n }, (_, i) => el('span', { class: i + 1 === bad ? 'bad' : null }, String(i + 1) + '\n')));
    g.scrollTop = $('query-text').scrollTop;
  }
  $('query-text').addEventListener('input', () => gutter());
  $('query-text').addEventListener('scroll', () => { $('query-gutter').scrollTop = $('query-text').scrollTop; });
  $('query-text').addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); $('query-form').requestSubmit(); }
  });
  $('query-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = $('query-text').value;
    const cur = parseHash();
    if (cur.view === 'query' && cur.params.get('q') === text) runQuery(text);
    else location.hash = link('query', { q: text });
  });
  function queryRoute(params) {
    const text = params.get('q');
    if (text) { $('query-text').value = text; gutter(); runQuery(text); }
  }
  function isGraphQuery(text) {
    const body = text.replace(/#[^\n]*/g, '').replace(/(PREFIX|BASE)\s+[^<]*<[^>]*>/gi, '');
    return /^\s*(CONSTRUCT|DESCRIBE)\b/i.test(body);
  }
  async function sparql(text, accept) {
    return call('/sparql', { method: 'POST', body: new URLSearchParams({ query: text }).toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: accept } });
  }
  async function runQuery(text) {
    const info = $('query-info'), err = $('query-error'), out = $('query-results');
    err.hidden = true;
    gutter();
    say(info, 'Running\u2026');
    $('dl-json').disabled = $('dl-csv').disabled = true;
    const graph = isGraphQuery(text);
    const t0 = performance.now();
    let r;
    try {
      r = await sparql(text, graph ? 'text/turtle' : 'application/sparql-results+json');
    } catch (e) {
      say(info, '');
      clear(out);
      if (e instanceof AuthError) return;
      const m = /line (\d+)(?:, column (\d+))?/.exec(e.message);
      err.textContent = (m ? 'Line ' + m[1] + ': ' : '') + e.message;
      err.hidden = false;
      if (m) {
        gutter(parseInt(m[1], 10));
        const lines = text.split('\n'), ln = parseInt(m[1], 10);
        const start = lines.slice(0, ln - 1).join('\n').length + (ln > 1 ? 1 : 0);
        $('query-text').setSelectionRange(start, start + (lines[ln - 1] || '').length);
      }
      return;
    }
    const ms = Math.round(performance.now() - t0);
    state.lastQuery = { text, body: r.text, graph };
    $('dl-json').disabled = graph;
    $('dl-csv').disabled = graph;
    if (graph) {
      say(info, ms + ' ms');
      clear(out, el('pre', { class: 'card' }, r.text));
      return;
    }
    const j = JSON.parse(r.text);
    if (typeof j.boolean === 'boolean') {
      say(info, ms + ' ms');
      clear(out, el('p', { class: 'card', 'data-boolean': String(j.boolean) }, 'ASK: ' + j.boolean));
      return;
    }
    const rows = j.results.bindings, vars = j.head.vars;
    const max = state.status.sparql.max_rows;
    say(info, rows.length + ' row' + (rows.length === 1 ? '' : 's') + ' in ' + ms + ' ms' +
      (rows.length >= max ? ' \u00b7 truncated at the server\u2019s limit of ' + max + ' rows (--sparql-max-rows)' : ''));
    clear(out, el('table', { class: 'results' },
      el('thead', {}, el('tr', {}, vars.map((v) => el('th', { scope: 'col' }, '?' + v)))),
      el('tbody', {}, rows.map((b) => el('tr', {}, vars.map((v) => cell(b[v])))))));
  }
  function cell(t) {
    if (!t) return el('td', { 'data-value': '' });
    if (t.type === 'uri') return el('td', { 'data-value': t.value }, nodeLink(t.value));
    if (t.type === 'bnode') return el('td', { 'data-value': '_:' + t.value }, nodeLink('_:' + t.value, '_:' + t.value));
    return el('td', { 'data-value': t.value }, el('span', { class: 'lit' }, t.value),
      t['xml:lang'] ? el('span', { class: 'tag' }, ' @' + t['xml:lang']) : null,
      t.datatype ? el('span', { class: 'tag', title: t.datatype }, ' ' + curie(t.datatype)) : null);
  }
  function download(name, type, text) {
    const a = el('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
    document.body.append(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  }
  $('dl-json').addEventListener('click', () => {
    if (state.lastQuery) download('results.json', 'application/sparql-results+json', state.lastQuery.body);
  });
  $('dl-csv').addEventListener('click', async () => {
    if (!state.lastQuery) return;
    try { download('results.csv', 'text/csv', (await sparql(state.lastQuery.text, 'text/csv')).text); }
    catch (e) { report($('query-info'), e); }
  });

  /* ---- node ---- */
  $('node-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const iri = $('node-iri').value.trim();
    if (iri) location.hash = link('node', { iri });
  });
  async function nodeRoute(params) {
    const iri = params.get('iri');
    const box = $('node');
    if (!iri) { say($('node-msg'), 'Name a node, or follow a link from another view.'); return; }
    $('node-iri').value = iri;
    say($('node-msg'), 'Loading\u2026');
    try {
      const n = await getJSON('/v1/node?' + q({ iri, limit: 200 }));
      say($('node-msg'), '');
      clear(box, nodeView(n));
    } catch (e) { clear(box); report($('node-msg'), e); }
  }
  function termView(t) {
    if (t.kind === 'literal') return el('span', {}, el('span', { class: 'lit' }, t.value),
      t.lang ? el('span', { class: 'tag' }, ' @' + t.lang) : null, t.datatype ? el('span', { class: 'tag' }, ' ' + curie(t.datatype)) : null);
    return el('span', {}, nodeLink(t.value, t.label && t.label !== t.value ? t.label : curie(t.value)),
      el('span', { class: 'tag' }, ' ' + curie(t.value)));
  }
  function nodeView(n) {
    const edgeRows = (list, key) => list.map((e) => el('tr', {},
      el('td', { title: e.p.value }, e.p.phrase || e.p.label, el('span', { class: 'tag' }, ' ' + curie(e.p.value))),
      el('td', {}, termView(e[key])),
      el('td', { class: 'tag' }, e.g ? curie(e.g) : '')));
    const table = (title, list, key, total) => el('section', {}, el('h3', {}, title + ' (' + total + (total > list.length ? ', first ' + list.length : '') + ')'),
      list.length ? el('div', { class: 'scroll' }, el('table', { class: 'edges-' + (key === 'o' ? 'out' : 'in') },
        el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'relation'), el('th', { scope: 'col' }, key === 'o' ? 'object' : 'subject'), el('th', { scope: 'col' }, 'graph'))),
        el('tbody', {}, edgeRows(list, key)))) : el('p', { class: 'hint' }, 'none'));
    return el('div', { 'data-node': n.value },
      el('div', { class: 'card' },
        el('h3', {}, n.label || n.value),
        el('dl', { class: 'kv' },
          el('dt', {}, 'IRI'), el('dd', { class: 'mono' }, n.value),
          el('dt', {}, 'labels'), el('dd', {}, n.labels.length ? n.labels.map((l, i) => [i ? ' \u00b7 ' : '', l.value, l.lang ? el('span', { class: 'tag' }, ' @' + l.lang) : '']) : '\u2014'),
          el('dt', {}, 'types'), el('dd', {}, n.types.length ? n.types.map((t, i) => [i ? ', ' : '', termView(t)]) : '\u2014'),
          el('dt', {}, 'is'), el('dd', {}, [n.item ? 'an item' : null, n.user ? 'a user' : null].filter(Boolean).join(', ') || 'a resource')),
        el('div', { class: 'row' },
          n.item ? el('a', { href: link('shopper', { similar: n.value }) }, 'Similar items') : null,
          n.user ? el('a', { href: link('shopper', { user: n.value }) }, 'Recommendations for this user') : null,
          el('a', { href: link('query', { q: 'SELECT ?p ?o WHERE { <' + n.value + '> ?p ?o }' }) }, 'Query its triples'))),
      hoodGraph(n),
      el('div', { class: 'grid2' }, table('Out edges', n.out, 'o', n.out_total), table('In edges', n.in, 's', n.in_total)));
  }
  /* The neighbourhood as a drawing: the node in the middle, subjects of in-edges on the
   * left, objects of out-edges on the right (literals included), at most 12 a side. */
  function hoodGraph(n) {
    const left = n.in.slice(0, 12), right = n.out.slice(0, 12);
    const rows = Math.max(left.length, right.length, 1);
    const W = 170, H = 26, VG = 8, GAP = 150;
    const width = 3 * W + 2 * GAP + 10, height = rows * (H + VG) + 10;
    const cy = height / 2, cx = 5 + W + GAP;
    const svg = sv('svg', { class: 'hood', viewBox: '0 0 ' + width + ' ' + height, width, role: 'img', 'aria-label': 'neighbourhood of ' + (n.label || n.value) });
    svg.append(sv('defs', {}, sv('marker', { id: 'arr2', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto' },
      sv('path', { d: 'M0,0 L10,5 L0,10 z', fill: '#77776f' }))));
    const box = (t, x, y, cls) => {
      const label = t.kind === 'literal' ? '"' + t.value + '"' : (t.label || curie(t.value));
      const g = [sv('title', {}, t.value), sv('rect', { class: cls, x, y, width: W, height: H, rx: 4 }),
        sv('text', { x: x + W / 2, y: y + H / 2 + 4, 'text-anchor': 'middle' }, short(label, 26))];
      return t.kind === 'literal' ? sv('g', {}, g) : sv('a', { href: link('node', { iri: t.value }) }, g);
    };
    const side = (list, key, x, isOut) => list.forEach((e, i) => {
      const y = 5 + i * (H + VG) + (height - 10 - list.length * (H + VG)) / 2;
      const x1 = isOut ? cx + W : x + W, x2 = isOut ? x : cx;
      svg.append(sv('line', { class: 'edge', x1, y1: isOut ? cy : y + H / 2, x2, y2: isOut ? y + H / 2 : cy, 'marker-end': 'url(#arr2)' }));
      /* labels near the outer end, where the edges are apart */
      const ox = isOut ? x2 : x1, oy = y + H / 2, ix = isOut ? x1 : x2, t = 0.3;
      svg.append(sv('text', { class: 'elabel', x: ox + (ix - ox) * t, y: oy + (cy - oy) * t - 3, 'text-anchor': 'middle' },
        sv('title', {}, e.p.value), short(e.p.phrase || e.p.label, 24)));
      svg.append(box(e[key], x, y, e[key].kind === 'literal' ? 'n-mid' : e[key].item ? 'n-cand' : 'n-hist'));
    });
    side(left, 's', 5, false);
    side(right, 'o', 5 + 2 * (W + GAP), true);
    svg.append(box({ kind: n.kind, value: n.value, label: n.label }, cx, cy - H / 2, 'n-center'));
    return el('div', { class: 'card', style: 'margin:1em 0' }, svg);
  }

  /* ---- service ---- */
  function stopTimer() { if (state.timer) { clearInterval(state.timer); state.timer = null; } }
  function serviceRoute() {
    state.metricsPrev = null;
    refreshService();
    state.timer = setInterval(refreshService, 3000);
  }
  function parseMetrics(text) {
    const out = [];
    for (const line of text.split('\n')) {
      if (!line || line[0] === '#') continue;
      const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
      if (!m) continue;
      const labels = {};
      if (m[3]) for (const kv of m[3].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[kv[1]] = kv[2];
      out.push({ name: m[1], labels, value: parseFloat(m[4]) });
    }
    return out;
  }
  function summarise(ms) {
    const s = { req: {}, hist: {}, counters: {} };
    for (const m of ms) {
      if (m.name === 'kgrec_http_requests_total') s.req[m.labels.endpoint] = (s.req[m.labels.endpoint] || 0) + m.value;
      else if (m.name === 'kgrec_http_request_duration_seconds_bucket') {
        (s.hist[m.labels.endpoint] = s.hist[m.labels.endpoint] || []).push([m.labels.le === '+Inf' ? Infinity : parseFloat(m.labels.le), m.value]);
      } else if (!Object.keys(m.labels).length) s.counters[m.name] = m.value;
    }
    return s;
  }
  /* Percentile from cumulative buckets: the upper bound of the bucket that holds it. */
  function percentile(buckets, p) {
    const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
    if (!total) return null;
    for (const [le, c] of buckets) if (c >= p * total) return le;
    return Infinity;
  }
  const fmtSecs = (s) => s === null ? '\u2014' : s === Infinity ? '> 10 s' : s < 1 ? '\u2264 ' + (s * 1000).toFixed(s < 0.001 ? 1 : 0) + ' ms' : '\u2264 ' + s + ' s';
  function age(s) {
    if (s < 120) return s + ' s';
    if (s < 7200) return Math.round(s / 60) + ' min';
    if (s < 172800) return Math.round(s / 3600) + ' h';
    return Math.round(s / 86400) + ' days';
  }
  async function refreshService() {
    const box = $('service');
    let st, ready, metrics;
    try {
      [st, metrics] = await Promise.all([getJSON('/v1/status'), call('/metrics').then((r) => r.text)]);
      ready = await fetch('/readyz').then((r) => r.json()).catch(() => null);
    } catch (e) { stopTimer(); report($('service-msg'), e); return; }
    if (state.view !== 'service') return;
    const now = performance.now();
    const cur = summarise(parseMetrics(metrics));
    const prev = state.metricsPrev;
    state.metricsPrev = { t: now, s: cur };
    const dt = prev ? (now - prev.t) / 1000 : 0;
    const rate = (a, b) => prev && dt > 0 ? Math.max(0, (a - (b || 0)) / dt).toFixed(2) : '\u2026';
    const c = cur.counters, pc = prev ? prev.s.counters : {};
    const sn = st.snapshot;
    const eps = Object.keys(cur.req).sort();
    clear(box, el('div', { class: 'tiles' },
      el('section', { class: 'card', 'aria-labelledby': 'svc-snap' }, el('h3', { id: 'svc-snap' }, 'Snapshot'),
        el('dl', { class: 'kv' },
          el('dt', {}, 'checksum'), el('dd', { class: 'mono', 'data-checksum': sn.checksum }, sn.checksum),
          el('dt', {}, 'quads'), el('dd', {}, sn.quads.toLocaleString('en')),
          el('dt', {}, 'users'), el('dd', {}, sn.users.toLocaleString('en')),
          el('dt', {}, 'items'), el('dd', {}, sn.items.toLocaleString('en')),
          el('dt', {}, 'interactions'), el('dd', {}, sn.interactions.toLocaleString('en')),
          el('dt', {}, 'written'), el('dd', {}, sn.written ? sn.written + ' (' + age(sn.age_seconds) + ' ago)' : '\u2014'),
          el('dt', {}, 'replayed events'), el('dd', {}, ready && ready.replay ? String(ready.replay.applied) : '\u2014'),
          el('dt', {}, 'reloads'), el('dd', {}, String(c.kgrec_reloads_total || 0) + (c.kgrec_reload_failures_total ? ' (' + c.kgrec_reload_failures_total + ' failed)' : '')))),
      el('section', { class: 'card', 'aria-labelledby': 'svc-ev' }, el('h3', { id: 'svc-ev' }, 'Events'),
        el('dl', { class: 'kv' },
          el('dt', {}, 'events log'), el('dd', {}, st.events_log ? 'on' : 'off (POST /v1/events refused)'),
          el('dt', {}, 'applied'), el('dd', {}, String(c.kgrec_events_applied_total || 0)),
          el('dt', {}, 'events/s'), el('dd', { 'data-rate': 'events' }, rate(c.kgrec_events_applied_total || 0, pc.kgrec_events_applied_total))),
        st.last_events.length ? el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'user'), el('th', {}, 'action'), el('th', {}, 'item'), el('th', {}, 'time'))),
          el('tbody', {}, st.last_events.map((e) => el('tr', {}, el('td', {}, nodeLink(e.user, e.user_label)), el('td', {}, phrase(e.action)),
            el('td', {}, nodeLink(e.item, e.item_label)), el('td', { class: 'mono' }, e.time.replace('T', ' ').replace('Z', ''))))))
          : el('p', { class: 'hint' }, 'No events logged yet.')),
      el('section', { class: 'card', 'aria-labelledby': 'svc-llm' }, el('h3', { id: 'svc-llm' }, 'LLM ranker'),
        el('dl', { class: 'kv' },
          el('dt', {}, 'model'), el('dd', {}, st.llm.configured ? st.llm.model || 'configured' : 'not configured (graph order only)'),
          el('dt', {}, 'calls'), el('dd', {}, String(c.kgrec_llm_calls_total || 0)),
          el('dt', {}, 'cache hits'), el('dd', {}, String(c.kgrec_llm_cache_hits_total || 0)),
          el('dt', {}, 'fallbacks'), el('dd', {}, String(c.kgrec_llm_fallbacks_total || 0)),
          el('dt', {}, 'SPARQL limits'), el('dd', {}, st.sparql.timeout_ms + ' ms, ' + st.sparql.max_rows + ' rows'),
          el('dt', {}, 'SPARQL cut / timed out'), el('dd', {}, (c.kgrec_sparql_truncated_total || 0) + ' / ' + (c.kgrec_sparql_timeouts_total || 0))))),
    el('section', { 'aria-labelledby': 'svc-req' }, el('h3', { id: 'svc-req' }, 'Requests'),
      el('div', { class: 'scroll' }, el('table', { class: 'requests' },
        el('thead', {}, el('tr', {}, ['endpoint', 'total', 'per second', 'p50', 'p90', 'p99'].map((h) => el('th', { scope: 'col' }, h)))),
        el('tbody', {}, eps.map((ep) => {
          const h = cur.hist[ep] || [];
          const ph = prev && prev.s.hist[ep];
          const win = ph && h.length === ph.length && h[h.length - 1][1] > ph[ph.length - 1][1] ? h.map(([le, v], i) => [le, v - ph[i][1]]) : h;
          return el('tr', { 'data-endpoint': ep }, el('td', {}, ep), el('td', {}, String(cur.req[ep])),
            el('td', {}, rate(cur.req[ep], prev && prev.s.req[ep])),
            el('td', {}, fmtSecs(percentile(win, 0.5))), el('td', {}, fmtSecs(percentile(win, 0.9))), el('td', {}, fmtSecs(percentile(win, 0.99))));
        })))),
      el('p', { class: 'hint' }, 'Updated every 3 s at ' + st.now + '. Percentiles are bucket bounds of /metrics, over the last interval when there was traffic, else since start.')));
  }
  $('reload').addEventListener('click', async () => {
    const b = $('reload');
    b.disabled = true;
    say($('service-msg'), 'Reloading\u2026');
    try {
      const r = await getJSON('/admin/reload', { method: 'POST' });
      say($('service-msg'), 'Reloaded: snapshot ' + r.snapshot + ', ' + r.replayed_events + ' events replayed.');
      refreshService();
    } catch (e) { report($('service-msg'), e); }
    b.disabled = false;
  });

  start();
})();
