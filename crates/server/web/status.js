/* Referee: the host's status page. Polls GET /api/status every second and shows it; on a
 * cluster node, fetches the "Nodes" card (SVG charts drawn by the server) from
 * GET /status/nodes every 5 seconds.
 *
 * Every field may be missing: absent numbers show as "–". Rates ("per second") come from
 * the difference between two polls. Values go in with textContent only.
 */
(() => {
  'use strict';

  const POLL_MS = 1000;
  const NODES_POLL_MS = 5000;
  const ACTOR_KINDS = ['room', 'lobby', 'recorder', 'parking'];
  const $ = (id) => document.getElementById(id);
  let previous = null; // {at, status} of the last poll, for rates

  function isNum(v) { return typeof v === 'number' && Number.isFinite(v); }

  function count(v) { return isNum(v) ? Math.round(v).toLocaleString('en') : '–'; }

  function duration(secs) {
    if (!isNum(secs)) return '–';
    const d = Math.floor(secs / 86400);
    const h = Math.floor((secs % 86400) / 3600);
    const m = Math.floor((secs % 3600) / 60);
    const s = Math.floor(secs % 60);
    if (d) return `${d} d ${h} h`;
    if (h) return `${h} h ${m} min`;
    if (m) return `${m} min ${s} s`;
    return `${s} s`;
  }

  function micros(us) {
    if (!isNum(us)) return '–';
    if (us < 1000) return `${Math.round(us)} µs`;
    if (us < 1e6) return `${(us / 1000).toFixed(us < 1e4 ? 2 : 1)} ms`;
    return `${(us / 1e6).toFixed(2)} s`;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function stat(label, value, title) {
    const box = el('div', 'stat');
    if (title) box.title = title;
    box.append(el('span', 'label', label), el('span', 'value', value));
    return box;
  }

  function rate(now, before, seconds) {
    if (!isNum(now) || !isNum(before) || seconds <= 0) return '–';
    return (Math.max(0, now - before) / seconds).toFixed(1);
  }

  function renderSummary(st, seconds) {
    const conns = st.connections || {};
    const total = Object.values(conns).filter(isNum).reduce((a, b) => a + b, 0);
    const wonBefore = previous && previous.status.rounds_won;
    $('summary').replaceChildren(
      stat('Uptime', duration(st.uptime_secs)),
      stat('Workers', count(st.workers), 'runtime threads'),
      stat('Connections', count(total), 'all transports'),
      ...Object.keys(conns).map((kind) => stat(`${kind} connections`, count(conns[kind]))),
      stat('Rooms', count(st.rooms)),
      stat('Players', count(st.players)),
      stat('Spectators', count(st.spectators)),
      stat('Away', count(st.away), 'players reconnecting'),
      stat('Rounds won', count(st.rounds_won)),
      stat('Wins / s', rate(st.rounds_won, wonBefore, seconds)),
    );
  }

  function renderActors(st, seconds) {
    const actors = st.actors || {};
    const kinds = ACTOR_KINDS.concat(Object.keys(actors).filter((k) => !ACTOR_KINDS.includes(k)));
    const before = (previous && previous.status.actors) || {};
    $('actors').replaceChildren(...kinds.map((kind) => {
      const a = actors[kind] || {};
      const row = el('tr');
      row.append(
        el('th', null, kind),
        el('td', null, count(a.handled)),
        el('td', null, rate(a.handled, (before[kind] || {}).handled, seconds)),
        el('td', null, count(a.mailbox)),
        el('td', a.restarts > 0 ? 'warn' : null, count(a.restarts)),
      );
      row.firstChild.scope = 'row';
      return row;
    }));
  }

  /* Rooms and seated players of each hosted game (the lobby's count). */
  function renderGames(st) {
    const games = Array.isArray(st.games) ? st.games : [];
    $('games').replaceChildren(...games.map((line) => {
      const row = el('tr');
      row.append(
        el('th', null, line && line.game != null ? line.game : '–'),
        el('td', null, count(line && line.rooms)),
        el('td', null, count(line && line.players)),
      );
      row.firstChild.scope = 'row';
      return row;
    }));
  }

  function renderLatency(st) {
    const lat = st.ask_latency || {};
    $('latency').replaceChildren(
      stat('Asks', count(lat.count)),
      stat('p50', micros(lat.p50_us)),
      stat('p99', micros(lat.p99_us)),
      stat('max', micros(lat.max_us)),
    );
  }

  function setLive(text, state) {
    const node = $('live');
    node.textContent = text;
    node.dataset.state = state;
  }

  function render(st) {
    const at = performance.now();
    const seconds = previous ? (at - previous.at) / 1000 : 0;
    renderSummary(st, seconds);
    renderGames(st);
    renderActors(st, seconds);
    renderLatency(st);
    previous = { at, status: st };
    $('updated').textContent = `Last update ${new Date().toLocaleTimeString()}.`;
  }

  async function poll() {
    try {
      const res = await fetch('/api/status', { cache: 'no-store' });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const st = await res.json();
      render(st && typeof st === 'object' ? st : {});
      setLive('live', 'ok');
    } catch (err) {
      setLive(`unreachable (${err.message || err})`, 'off');
    } finally {
      setTimeout(poll, POLL_MS);
    }
  }

  /* The nodes' charts: markup of our own server (values escaped there), parsed inertly. */
  async function pollNodes() {
    const card = $('nodes');
    if (!card) return; // not a cluster node: the page has no card
    try {
      const res = await fetch('/status/nodes', { cache: 'no-store' });
      if (res.ok) {
        const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
        card.replaceChildren(...doc.body.childNodes);
      }
    } catch (err) {
      // Kept as it was; the summary's badge says the server is unreachable.
    } finally {
      setTimeout(pollNodes, NODES_POLL_MS);
    }
  }

  poll();
  setTimeout(pollNodes, NODES_POLL_MS);
})();
