/* Referee: the browser client for "guess the secret number" and Liar's Dice.
 *
 * Plain script, no build step, no dependencies. It speaks the JSON WebSocket protocol of
 * docs/protocol.md ("WebSocket protocol (JSON)") on /ws of the host that served the page;
 * in a cluster, when that node stops answering, on another node's (learned from
 * /api/cluster), presenting its token and its room to get the same seat back.
 *
 * Layout of this file, top to bottom:
 *   1. state       the one object `S` holding what the page knows
 *   2. connection  connect, reconnect with backoff (resume token in sessionStorage),
 *                  send with request ids, keepalive ping
 *   3. handlers    one function per server message `type` (HANDLERS), game events (GAME)
 *   4. rendering   views, rooms, leaderboard, scoreboard, answers, feed, banner, toasts
 *   5. wiring      forms, buttons, timers, start
 *
 * The dice table lives in dice.js (loaded first); this file routes a dice room's `state`,
 * `event` and `rejected` messages to it.
 *
 * Server text only ever reaches the page through textContent: nothing is parsed as HTML.
 *
 * DOM hooks (browser tests rely on them; keep them stable):
 *   body[data-view = lobby | room | watching], body[data-player = my player id],
 *   body[data-game = guess | dice] (the room's game; dice hooks are listed in dice.js)
 *   #connection   "connected" when open, "reconnecting…" while retrying
 *   body[data-node = the page URL of the node the page talks to now, once it moved],
 *   body[data-nodes = how many nodes the page knows] (cluster only)
 *   lobby  #lobby #name-input #name-button #quick-play #play-dice (shown when the server
 *          hosts dice) #create-room #code-input #join-code
 *          #rooms (li[data-room=id][data-game] holding button.join and button.watch)
 *          #leaderboard[data-game] and its switch #board-guess #board-dice (several games)
 *   room   #room #room-title #room-code #round (digits only) #guess-form #guess-input
 *          #guess-button #answers (newest first) #feed (newest last) #banner
 *          #scoreboard (li[data-player=id] with .points) #chat-form #chat-input #leave
 *   fair   a win's answer and feed line get span.proof[data-proof = verified | mismatch |
 *          unseen | unchecked] once the page has checked the revealed secret and salt
 *          against the commitment it saw at the round's start ("✓ verified")
 *   window.__refereeErrors: uncaught errors of this page, kept for tests and for debugging
 */
window.__refereeErrors = [];
window.addEventListener('error', (e) => window.__refereeErrors.push(String(e.message)));
window.addEventListener('unhandledrejection', (e) => window.__refereeErrors.push(String(e.reason)));

(() => {
  'use strict';

  // ---- 1. state ---------------------------------------------------------------------

  const TOKEN_KEY = 'referee.token';
  // The name this page chose: told again to a server that does not know the player (their
  // node died while they were in the lobby: no seat vouches for them on another node).
  const NAME_KEY = 'referee.name';
  const BACKOFF_MS = [500, 1000, 2000, 4000, 5000];
  const PING_MS = 25000;
  const ROOMS_MS = 3000;
  const LEADERBOARD_MS = 30000;
  const NODES_MS = 10000;
  const FEED_MAX = 100;
  const ANSWERS_MAX = 50;

  const S = {
    ws: null,
    nextId: 1,
    pending: new Map(), // request id -> where to show its errors ('quiet': nowhere)
    me: null,
    myName: '',
    view: 'lobby', // lobby | room | watching
    room: null, // {id, code} of the room on screen
    capacity: 0,
    seated: new Set(), // player ids seated in that room
    away: new Set(), // of those, the ones whose connection dropped
    names: new Map(), // player id -> display name
    round: null,
    max: null,
    commitments: new Map(), // round -> commitment (hex) seen at its start, recent rounds only
    retries: 0,
    retryTimer: null,
    byeReason: null, // set by `bye`: no automatic reconnection after it
    roomsKey: '',
    scoresTimer: null,
    game: 'guess', // the game of the room on screen
    games: [], // the games this server hosts (from `games`), default first
    board: null, // the leaderboard's game (null: the board of all games)
    nodes: [location.origin], // the cluster's pages (this one first), from /api/cluster
    node: 0, // which of them the page talks to now
    opened: false, // whether the current connection attempt opened
  };

  const $ = (id) => document.getElementById(id);

  const store = {
    get(key) { try { return sessionStorage.getItem(key); } catch (_) { return null; } },
    set(key, value) { try { sessionStorage.setItem(key, value); } catch (_) { /* private mode */ } },
  };

  // ---- 2. connection ----------------------------------------------------------------

  /** The WebSocket URL of the node the page talks to now: with the token, and the room
   *  (another node gives the seat back only to a token whose player sits in that room). */
  function socketUrl() {
    const page = new URL(S.nodes[S.node] || location.origin);
    const scheme = page.protocol === 'https:' ? 'wss:' : 'ws:';
    const token = store.get(TOKEN_KEY);
    let query = token ? `?token=${encodeURIComponent(token)}` : '';
    if (token && S.view === 'room' && S.room && S.room.id != null) query += `&room=${S.room.id}`;
    return `${scheme}//${page.host}/ws${query}`;
  }

  /** The cluster's other nodes, as this page's own node knows them (404: not a cluster). */
  async function loadNodes() {
    try {
      const res = await fetch('/api/cluster', { cache: 'no-store' });
      if (!res.ok) return;
      const cluster = await res.json();
      const others = (cluster.peers || []).map((peer) => peer.http).filter((http) => typeof http === 'string');
      const current = S.nodes[S.node];
      S.nodes = [location.origin, ...others.filter((http) => http !== location.origin)];
      S.node = Math.max(0, S.nodes.indexOf(current));
      document.body.dataset.nodes = String(S.nodes.length);
    } catch (_) { /* this node is gone: keep the list it gave */ }
  }

  /** The node did not answer: the next attempt goes to the next node of the cluster. */
  function nextNode() {
    if (S.nodes.length < 2) return;
    S.node = (S.node + 1) % S.nodes.length;
    document.body.dataset.node = S.nodes[S.node];
  }

  function connect() {
    clearTimeout(S.retryTimer);
    S.retryTimer = null;
    S.byeReason = null;
    setConnection(S.retries > 0 ? 'reconnecting…' : 'connecting…', 'pending');
    let ws;
    try {
      ws = new WebSocket(socketUrl());
    } catch (_) {
      scheduleReconnect();
      return;
    }
    S.ws = ws;
    S.opened = false;
    ws.onopen = () => { if (S.ws === ws) { S.opened = true; setConnection('connected', 'ok'); } };
    ws.onmessage = (msg) => { if (S.ws === ws) receive(msg.data); };
    ws.onclose = () => { if (S.ws === ws) closed(); };
  }

  function closed() {
    if (!S.opened) nextNode();
    S.ws = null;
    S.pending.clear();
    document.body.classList.add('offline');
    if (!S.byeReason) scheduleReconnect();
  }

  function scheduleReconnect() {
    const delay = BACKOFF_MS[Math.min(S.retries, BACKOFF_MS.length - 1)];
    S.retries += 1;
    setConnection('reconnecting…', 'pending');
    clearTimeout(S.retryTimer);
    S.retryTimer = setTimeout(connect, delay);
  }

  /** Retry at once (tab visible again, network back) if a retry is waiting. */
  function hurryReconnect() {
    if (S.retryTimer && !S.byeReason) connect();
  }

  function isOpen() {
    return S.ws !== null && S.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a request; `where` says where its errors go. Returns the id, or null if offline. */
  function send(op, fields, where) {
    if (!isOpen()) {
      if (where !== 'quiet') showError(where, 'Not connected right now; trying again…');
      return null;
    }
    const id = S.nextId++;
    S.pending.set(id, where || op);
    if (S.pending.size > 200) S.pending.delete(S.pending.keys().next().value);
    S.ws.send(JSON.stringify(Object.assign({ v: 1, id, op }, fields)));
    return id;
  }

  function receive(data) {
    let msg;
    try { msg = JSON.parse(data); } catch (_) { return; }
    if (!msg || typeof msg !== 'object') return;
    const handler = HANDLERS[msg.type];
    if (handler) handler(msg);
    else if (msg.text) addFeed(plain(msg.text), 'info');
  }

  // ---- 3. handlers ------------------------------------------------------------------

  const HANDLERS = {
    welcome(m) {
      S.retries = 0;
      S.me = m.player;
      S.myName = m.name || `Player ${m.player}`;
      S.names.set(m.player, S.myName);
      document.body.dataset.player = String(m.player);
      document.body.classList.remove('offline');
      if (m.token) store.set(TOKEN_KEY, m.token);
      hideNotice();
      setConnection('connected', 'ok');
      showMe();
      loadNodes();
      send('games', {}, 'quiet');
      if (m.resumed) {
        // The server follows with `joined` + `state` if we still have a seat. A spectator
        // has no seat to keep, so ask to watch again (errors ignored).
        if (S.view === 'watching' && S.room) send('watch', { room: roomRef(S.room) }, 'quiet');
        return;
      }
      const kept = store.get(NAME_KEY);
      if (kept && kept !== m.name) send('name', { name: kept }, 'quiet');
      const lostSeat = S.view !== 'lobby';
      enterLobby();
      if (lostSeat) toast('You were away too long and lost your place: back in the lobby.');
      joinFromLink();
    },
    joined(m) { enterRoom(m, 'room'); requestScores(); },
    watching(m) { enterRoom(m, 'watching'); }, // the server follows with `scores`
    state(m) {
      const view = m.view || {};
      if (Array.isArray(view.seats)) { // a dice table's view
        setGame('dice');
        DICE.state(view, m.now);
        if (m.text) addFeed(plain(m.text), 'round');
        return;
      }
      if (view.round != null) setRound(view.round, view.max);
      if (view.round != null && view.commitment) seeCommitment(view.round, view.commitment);
      if (typeof view.points === 'number') setPoints(view.points);
      if (m.text) addFeed(plain(m.text), 'round');
    },
    event(m) {
      const e = m.event || {};
      if (S.game === 'dice' && DICE.event(e, m)) return;
      const handle = GAME[e.type];
      if (handle) handle(e, m);
      else if (m.text) addFeed(plain(m.text), 'info');
    },
    rejected(m) {
      if (S.game === 'dice') DICE.rejected(m.text);
      else addRejection(m.rejection || {}, m.text);
    },
    member_joined(m) { memberIn(m); addFeed(plain(m.text) || `${m.name} joined the room.`, 'member'); },
    member_back(m) { memberIn(m); addFeed(plain(m.text) || `${m.name} is back.`, 'member'); },
    member_left(m) { memberOut(m); addFeed(plain(m.text) || `${m.name} left the room.`, 'member'); },
    member_dropped(m) {
      memberOut(m);
      addFeed(plain(m.text) || `${m.name} was disconnected (${m.reason}).`, 'member');
    },
    member_away(m) {
      S.names.set(m.player, m.name);
      S.away.add(m.player);
      markAway();
      addFeed(plain(m.text) || `${m.name} lost their connection.`, 'member');
    },
    spectator_joined(m) { addFeed(plain(m.text) || `${m.name} is watching.`, 'member'); },
    spectator_left(m) { addFeed(plain(m.text) || `${m.name} stopped watching.`, 'member'); },
    spectators_allowed(m) {
      addFeed(plain(m.text) || (m.allowed ? 'This room may be watched.' : 'This room may not be watched.'), 'member');
    },
    renamed(m) {
      S.names.set(m.player, m.new);
      addFeed(plain(m.text) || `${m.old} is now known as ${m.new}.`, 'member');
      requestScores();
    },
    name_set(m) {
      S.myName = m.name;
      store.set(NAME_KEY, m.name);
      S.names.set(S.me, m.name);
      showMe();
      setText('name-status', plain(m.text) || `You are now known as ${m.name}.`);
      if (S.view !== 'lobby') requestScores();
    },
    record(m) {
      const line = plain(m.text) || `${m.name}: ${m.wins} rounds won on record.`;
      setText('name-status', `${$('name-status').textContent} ${line}`.trim());
    },
    chat(m) { S.names.set(m.player, m.from); addChat(m); },
    scores(m) {
      if (S.view === 'lobby') return;
      if (m.room && S.room && m.room.id !== S.room.id) return;
      renderScores(m.scores || []);
    },
    rooms(m) { renderRooms(m.rooms || [], m.total || 0); },
    games(m) { hostGames((m.games || []).map((g) => g.name)); },
    left() { enterLobby(); },
    leaderboard(m) { renderLeaderboard(m); },
    referee_restarted(m) {
      addFeed(plain(m.text) || 'The referee restarted; seats and scores are kept.', 'warn');
    },
    round_voided(m) {
      const said = `Round ${m.round} was voided: the game moved to another server after a failure.`;
      addFeed(plain(m.text) || said, 'warn');
    },
    failed_over(m) {
      const said = 'The game moved to another server after a failure; nothing was in play.';
      addFeed(plain(m.text) || said, 'warn');
    },
    pong() {},
    error(m) { onError(m); },
    bye(m) { onBye(m.reason); },
  };

  /** The game's events: guess-the-number's hint, won and round_started. */
  const GAME = {
    hint(e) {
      if (e.player === S.me) addHintAnswer(e);
      else addFeed(`${nameOf(e.player)} guessed ${e.value}: ${e.hint}.`, `hint ${e.hint}`);
    },
    won(e) {
      const mine = e.player === S.me;
      const verdict = checkWin(e);
      if (mine) {
        setPoints(e.points);
        const sentence = `You won round ${e.round}! Now ${plural(e.points, 'point')}.`;
        const answer = addAnswer('won', 'won', e.secret, sentence, e.round);
        showProof(answer.querySelector('.what'), verdict);
        showBanner(`You won round ${e.round}! The number was ${e.secret}.`, true);
      } else {
        showBanner(`${nameOf(e.player)} won round ${e.round} — the number was ${e.secret}`, false);
      }
      const who = mine ? 'You' : nameOf(e.player);
      const line = addFeed(`${who} won round ${e.round}: the number was ${e.secret} (${plural(e.guesses, 'guess')}).`, 'won');
      showProof(line, verdict);
      requestScores();
    },
    round_started(e) {
      setRound(e.round, e.max);
      if (e.commitment) seeCommitment(e.round, e.commitment);
      addFeed(`Round ${e.round} started: ${rangeText(e.max)}.`, 'round');
    },
  };

  function onError(m) {
    const where = m.re != null ? S.pending.get(m.re) : undefined;
    const message = m.message || plain(m.text) || m.code || 'Something went wrong.';
    if (where === 'quiet' || m.code === 'bad_token') return; // bad_token: `welcome` said it all
    if (m.code === 'no_leaderboard') { renderNoLeaderboard(); return; }
    if (m.code === 'room_closed' && S.view !== 'lobby' && where === undefined) {
      enterLobby();
      toast(message);
      return;
    }
    showError(where, message);
  }

  const BYE = {
    shutdown: 'The server is shutting down.',
    idle: 'Disconnected after a long time without activity.',
    lobby: 'Disconnected after a while without joining a game.',
    quit: 'You left the server.',
  };

  function onBye(reason) {
    S.byeReason = reason || 'closed';
    clearTimeout(S.retryTimer);
    S.retryTimer = null;
    if (reason === 'replaced') {
      setConnection('opened in another tab', 'off');
      showNotice('This game was opened in another tab.', 'Play here instead');
      return;
    }
    setConnection('closed', 'off');
    showNotice(BYE[reason] || 'The server closed the connection.', 'Reconnect');
  }

  function memberIn(m) {
    S.names.set(m.player, m.name);
    S.seated.add(m.player);
    S.away.delete(m.player);
    if (S.game === 'dice') DICE.member(m.player, true);
    renderRoomMeta();
    requestScores();
  }

  function memberOut(m) {
    S.seated.delete(m.player);
    S.away.delete(m.player);
    if (S.game === 'dice') DICE.member(m.player, false);
    renderRoomMeta();
    requestScores();
  }

  /** Asks for the scoreboard, once for a burst of reasons. */
  function requestScores() {
    clearTimeout(S.scoresTimer);
    S.scoresTimer = setTimeout(() => {
      if (S.view !== 'lobby') send('scores', {}, 'quiet');
    }, 50);
  }

  function refreshLobby() {
    if (S.view === 'lobby') send('rooms', {}, 'quiet');
  }

  /** `/#join=CODE` links (from "Copy link") seat a fresh player in that room. */
  function joinFromLink() {
    const found = /^#join=([A-Za-z0-9]{1,20})$/.exec(location.hash);
    if (!found) return;
    history.replaceState(null, '', location.pathname);
    send('join', { room: found[1] }, 'join');
  }

  // ---- 4. rendering -----------------------------------------------------------------

  /** Makes an element with a class and text (always textContent). */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = String(text);
    return node;
  }

  function setText(id, text) { $(id).textContent = text; }

  /** Server text without the line protocol's "* " and "error: " prefixes. */
  function plain(text) {
    return typeof text === 'string' ? text.replace(/^(\* |error: )/, '') : '';
  }

  function plural(n, word) {
    const s = word.endsWith('s') ? 'es' : 's';
    return `${n} ${n === 1 ? word : word + s}`;
  }

  function nameOf(player) { return S.names.get(player) || `Player ${player}`; }

  function roomRef(room) { return room.code || room.id; }

  function roomLabel(room) { return room.code ? `private room ${room.code}` : `room ${room.id}`; }

  function rangeText(max) { return `guess a number from 0 to ${max - 1}`; }

  function setConnection(text, state) {
    const node = $('connection');
    node.textContent = text;
    node.dataset.state = state;
  }

  function showMe() { setText('me', S.myName); }

  function setView(view) {
    S.view = view;
    document.body.dataset.view = view;
    const watching = view === 'watching';
    $('lobby').hidden = view !== 'lobby';
    $('room').hidden = view === 'lobby';
    for (const id of ['play-card', 'guess-form', 'chat-form', 'chat-error', 'points-stat']) {
      $(id).hidden = watching;
    }
    setText('leave', watching ? 'Stop watching' : 'Leave');
  }

  function enterLobby() {
    S.room = null;
    S.round = null;
    S.roomsKey = '';
    setView('lobby');
    document.title = 'Referee';
    refreshLobby();
    loadLeaderboard();
  }

  /** `joined` or `watching`: shows the room; keeps its history if it is the same room. */
  function enterRoom(m, view) {
    const room = m.room || { id: null, code: null };
    const same = S.room && S.room.id === room.id && S.view === view;
    S.room = room;
    S.capacity = m.capacity || 0;
    S.seated = new Set();
    for (const member of m.members || []) {
      S.names.set(member.player, member.name);
      S.seated.add(member.player);
    }
    if (!same) resetRoom();
    if (!same || m.game) setGame(m.game || 'guess'); // a dice table's `state` follows
    setView(view);
    renderRoomHead();
    const label = roomLabel(room);
    addFeed(view === 'watching' ? `You are watching ${label}.` : `You joined ${label}.`, 'info');
    if (view === 'room' && S.game === 'guess' && !matchMedia('(pointer: coarse)').matches) $('guess-input').focus();
  }

  function resetRoom() {
    for (const id of ['answers', 'feed', 'scoreboard', 'banner']) $(id).replaceChildren();
    S.away.clear();
    S.round = null;
    setText('round', '–');
    setText('range', '–');
    setPoints(0);
    DICE.reset();
  }

  /** The room's game: which table the page shows. */
  function setGame(game) {
    S.game = game === 'dice' ? 'dice' : 'guess';
    document.body.dataset.game = S.game;
    setText('scores-title', S.game === 'dice' ? 'Matches won here' : 'Scores');
    if (S.room) document.title = `${S.room.code || 'Room ' + S.room.id} · ${S.game === 'dice' ? "Liar's Dice" : 'guess'} · Referee`;
  }

  /** The hosted games (answer to `games`): the lobby's buttons and the leaderboard switch. */
  function hostGames(games) {
    S.games = games;
    const several = games.length > 1;
    $('play-dice').hidden = !games.includes('dice');
    $('dice-pitch').hidden = !games.includes('dice');
    $('guess-pitch').hidden = !games.includes('guess');
    $('quick-play').hidden = !games.includes('guess');
    $('board-switch').hidden = !several;
    if (several && !games.includes(S.board)) S.board = games[0];
    if (!several) S.board = null;
    loadLeaderboard();
  }

  function renderRoomHead() {
    const { id, code } = S.room;
    const label = roomLabel(S.room);
    const title = $('room-title');
    title.replaceChildren(
      el('span', 'kicker', S.view === 'watching' ? 'Watching ' : 'Playing in '),
      el('span', 'label', label),
    );
    document.title = `${code ? code : 'Room ' + id} · Referee`;
    setText('room-code', code || '');
    $('share').hidden = !code;
    renderRoomMeta();
  }

  function renderRoomMeta() {
    if (!S.room) return;
    const away = S.away.size ? ` · ${S.away.size} reconnecting` : '';
    setText('room-meta', `${S.seated.size}/${S.capacity} players${away}`);
  }

  function setRound(round, max) {
    S.round = round;
    if (max != null) S.max = max;
    setText('round', String(round));
    if (S.max != null) {
      setText('range', `0–${S.max - 1}`);
      const input = $('guess-input');
      input.max = String(S.max - 1);
      input.placeholder = `0 to ${S.max - 1}`;
    }
  }

  function setPoints(points) { setText('my-points', String(points)); }

  // Rooms and leaderboard (lobby)

  function renderRooms(rooms, total) {
    const key = JSON.stringify([rooms, total]);
    if (key === S.roomsKey) return; // unchanged: keep the buttons under the finger
    S.roomsKey = key;
    const list = $('rooms');
    list.replaceChildren();
    if (rooms.length === 0) list.append(el('li', 'empty', 'No public room is open. Quick play starts one.'));
    for (const room of rooms) list.append(roomItem(room));
    const more = total - rooms.length;
    setText('rooms-more', more > 0 ? `…and ${more} more` : '');
  }

  function roomItem(room) {
    const li = el('li', 'room-item');
    li.dataset.room = String(room.id);
    const full = room.players >= room.capacity;
    const info = el('span', 'room-info');
    info.append(el('strong', null, `Room ${room.id}`));
    if (room.game) {
      li.dataset.game = room.game;
      info.append(el('span', `game-tag ${room.game}`, room.game === 'dice' ? "Liar's Dice" : 'Guess'));
    }
    info.append(seats(room.players, room.capacity));
    if (full) info.append(el('span', 'full', 'full'));
    const join = button('Join', full ? 'join' : 'join primary', () => send('join', { room: room.id }, 'join'));
    const watch = button('Watch', 'watch', () => send('watch', { room: room.id }, 'watch'));
    li.append(info, join, watch);
    return li;
  }

  function seats(players, capacity) {
    const node = el('span', 'seats');
    node.setAttribute('aria-label', `${players} of ${capacity} players`);
    for (let i = 0; i < capacity; i++) node.append(el('i', i < players ? 'taken' : null));
    node.append(el('span', 'muted small', ` ${players}/${capacity}`));
    return node;
  }

  function button(text, className, onClick) {
    const node = el('button', className, text);
    node.type = 'button';
    node.addEventListener('click', onClick);
    return node;
  }

  async function loadLeaderboard() {
    let res;
    try {
      const game = S.board ? `&game=${encodeURIComponent(S.board)}` : '';
      res = await fetch(`/api/leaderboard?limit=10${game}`, { cache: 'no-store' });
    } catch (_) {
      send('top', S.board ? { game: S.board } : {}, 'quiet'); // no HTTP answer: ask over the socket
      return;
    }
    const body = await res.json().catch(() => ({}));
    if (res.ok) renderLeaderboard(body);
    else if (res.status === 404) renderNoLeaderboard();
    else renderLeaderboardNote(`The leaderboard is unavailable right now${body.error ? `: ${body.error}` : '.'}`);
  }

  function renderLeaderboard(board) {
    if ((board.game || null) !== S.board) return; // an answer for the other switch position
    $('leaderboard').dataset.game = board.game || '';
    for (const game of ['guess', 'dice']) {
      $(`board-${game}`).setAttribute('aria-pressed', String(S.board === game));
    }
    const allTime = board.all_time || [];
    const recent = board.recent || [];
    if (allTime.length === 0 && recent.length === 0) {
      renderLeaderboardNote(board.game === 'dice'
        ? 'No matches won yet. Choose a name and win a match of Liar\'s Dice to get on the board.'
        : 'No wins yet. Choose a name and win a round to get on the board.');
      return;
    }
    $('leaderboard').replaceChildren(leaderColumn('All time', allTime), leaderColumn('This week', recent));
  }

  function leaderColumn(title, lines) {
    const column = el('div', 'leader-col');
    const list = el('ol', 'leaders');
    for (const line of lines) {
      const li = el('li', line.name === S.myName ? 'me' : null);
      li.append(el('span', 'name', line.name), el('span', 'wins', line.wins));
      list.append(li);
    }
    if (lines.length === 0) list.append(el('li', 'empty', 'No wins yet.'));
    column.append(el('h3', null, title), list);
    return column;
  }

  function renderNoLeaderboard() {
    renderLeaderboardNote('No leaderboard: this server keeps no records.');
  }

  function renderLeaderboardNote(text) {
    $('leaderboard').replaceChildren(el('p', 'muted', text));
  }

  // Room: scoreboard, answers, feed, banner

  function renderScores(scores) {
    const list = $('scoreboard');
    list.replaceChildren();
    scores.forEach((score) => {
      S.names.set(score.player, score.name);
      const li = el('li', 'score');
      li.dataset.player = String(score.player);
      if (score.player === S.me) li.classList.add('me');
      if (S.away.has(score.player)) li.classList.add('away');
      const name = el('span', 'name', score.name);
      if (score.player === S.me) name.append(el('span', 'you', ' (you)'));
      li.append(name, el('span', 'points', score.points));
      list.append(li);
    });
    if (scores.length === 0) list.append(el('li', 'empty', 'Nobody is seated.'));
  }

  function markAway() {
    for (const li of $('scoreboard').children) {
      li.classList.toggle('away', S.away.has(Number(li.dataset.player)));
    }
    renderRoomMeta();
  }

  /** One line in "your answers": a tag word, the number, and a sentence. */
  function addAnswer(kind, tag, value, sentence, round) {
    const li = el('li', `answer ${kind}`);
    li.append(el('span', 'tag', tag));
    if (value != null) li.append(el('span', 'value', value));
    li.append(el('span', 'what', sentence));
    if (round != null) li.append(el('span', 'rd', `round ${round}`));
    const list = $('answers');
    list.prepend(li);
    while (list.children.length > ANSWERS_MAX) list.lastElementChild.remove();
    return li;
  }

  function addHintAnswer(e) {
    const higher = e.hint === 'higher';
    const sentence = `The number is ${higher ? 'more' : 'less'} than ${e.value}.`;
    addAnswer(e.hint, higher ? '↑ higher' : '↓ lower', e.value, sentence, e.round);
  }

  function addRejection(r, text) {
    if (r.type === 'already_won') {
      const who = r.winner != null ? `${nameOf(r.winner)} won round ${r.round}.` : `Round ${r.round} is over.`;
      const sentence = plain(text) || `Sorry, another player won in the meantime! (${who})`;
      addAnswer('meantime', 'too late', null, sentence, r.round);
      return;
    }
    const sentence = plain(text) || `That guess was refused (${r.type}).`;
    addAnswer('refused', 'refused', null, sentence, null);
  }

  function addFeed(text, kind) {
    if (!text) return null;
    const item = el('li', `item ${kind}`, text);
    appendFeed(item);
    return item;
  }

  function addChat(m) {
    const text = typeof m.message === 'string' ? m.message : '';
    const item = el('li', m.player === S.me ? 'item chat mine' : 'item chat');
    item.append(el('b', 'who', m.from), el('span', 'said', text));
    appendFeed(item);
  }

  function appendFeed(item) {
    const list = $('feed');
    const atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
    list.append(item);
    while (list.children.length > FEED_MAX) list.firstElementChild.remove();
    if (atEnd) list.scrollTop = list.scrollHeight;
  }

  // Provably fair rounds (docs/protocol.md): each round starts with a commitment,
  // sha256("referee/guess/v1\0" ‖ round u64 BE ‖ secret u32 BE ‖ salt), and the win reveals
  // secret and salt. The page checks them against the commitment it saw, not the server's word.

  const PROOF_TEXT = {
    verified: '✓ verified',
    mismatch: '⚠ does not match the commitment published when the round started!',
    unseen: '(not checked: this page did not see the round start)',
    unchecked: '(not checked: this browser hashes only on https or localhost)',
  };

  function seeCommitment(round, commitment) {
    S.commitments.set(round, commitment);
    for (const old of S.commitments.keys()) if (old < round - 4) S.commitments.delete(old);
  }

  /** Resolves to a PROOF_TEXT key for the win `e`. */
  async function checkWin(e) {
    const seen = S.commitments.get(e.round);
    if (!seen) return 'unseen';
    if (!(window.crypto && crypto.subtle)) return 'unchecked';
    if (!/^[0-9a-f]{32}$/.test(e.salt || '') || !Number.isInteger(e.secret)) return 'mismatch';
    try {
      return (await guessCommitment(e.round, e.secret, e.salt)) === seen ? 'verified' : 'mismatch';
    } catch (_) {
      return 'unchecked';
    }
  }

  async function guessCommitment(round, secret, salt) {
    const domain = new TextEncoder().encode('referee/guess/v1\0');
    const bytes = new Uint8Array(domain.length + 8 + 4 + 16);
    const view = new DataView(bytes.buffer);
    bytes.set(domain);
    view.setBigUint64(domain.length, BigInt(round));
    view.setUint32(domain.length + 8, secret);
    bytes.set(salt.match(/../g).map((pair) => parseInt(pair, 16)), domain.length + 12);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** Appends to `node` a badge that shows the verdict once `verdict` resolves. */
  function showProof(node, verdict) {
    if (!node) return;
    const badge = el('span', 'proof', '…');
    node.append(' ', badge);
    verdict.then((key) => {
      badge.dataset.proof = key;
      badge.textContent = PROOF_TEXT[key];
    });
  }

  function showBanner(text, mine) {
    const banner = $('banner');
    banner.textContent = text;
    banner.classList.toggle('mine', mine);
    banner.classList.remove('flash');
    void banner.offsetWidth; // restart the animation
    banner.classList.add('flash');
  }

  // Errors, toasts, notices

  /** Where the errors of each kind of request are shown. */
  const ERROR_SLOTS = {
    guess: 'guess-error', chat: 'chat-error', name: 'name-status',
    join: 'lobby-error', play: 'lobby-error', create: 'lobby-error', watch: 'lobby-error',
    dice: 'dice-error',
  };

  function showError(where, message) {
    const slot = $(ERROR_SLOTS[where] || '');
    if (!slot || slot.closest('[hidden]')) { toast(message, 'error'); return; }
    slot.textContent = message;
    slot.classList.add('error');
    clearTimeout(slot.clearTimer);
    slot.clearTimer = setTimeout(() => {
      if (slot.textContent === message) slot.textContent = '';
      if (slot.id === 'name-status') slot.classList.remove('error');
    }, 6000);
  }

  function toast(text, kind) {
    const node = el('div', `toast ${kind || ''}`, text);
    $('toasts').append(node);
    setTimeout(() => node.remove(), 4500);
  }

  function showNotice(text, action) {
    setText('notice-text', text);
    setText('reconnect', action);
    $('notice').hidden = false;
  }

  function hideNotice() { $('notice').hidden = true; }

  async function copy(text, what) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (_) {
      const area = el('textarea', 'sr-only', text);
      document.body.append(area);
      area.select();
      const done = document.execCommand('copy');
      area.remove();
      if (!done) { toast(`Copy this: ${text}`); return; }
    }
    toast(`${what} copied.`);
  }

  // ---- 5. wiring --------------------------------------------------------------------

  function onSubmit(id, action) {
    $(id).addEventListener('submit', (event) => { event.preventDefault(); action(); });
  }

  function onClick(id, action) { $(id).addEventListener('click', action); }

  function sendGuess() {
    const input = $('guess-input');
    const raw = input.value.trim();
    input.value = '';
    input.focus();
    if (raw === '') return;
    send('guess', { value: /^\d{1,9}$/.test(raw) ? Number(raw) : raw }, 'guess');
    setText('guess-error', '');
  }

  function sendChat() {
    const input = $('chat-input');
    const text = input.value.trim();
    if (text === '') return;
    if (send('chat', { text }, 'chat') != null) input.value = '';
  }

  function sendName() {
    const name = $('name-input').value.trim();
    if (name === '') { showError('name', 'Type a name first.'); return; }
    $('name-status').classList.remove('error');
    send('name', { name }, 'name');
  }

  function joinByCode() {
    const room = $('code-input').value.trim();
    if (room === '') { showError('join', 'Type a room code or number first.'); return; }
    if (send('join', { room }, 'join') != null) $('code-input').value = '';
  }

  function roomLink() { return `${location.origin}/#join=${S.room.code}`; }

  function wire() {
    onSubmit('guess-form', sendGuess);
    onSubmit('chat-form', sendChat);
    onSubmit('name-form', sendName);
    onSubmit('code-form', joinByCode);
    onClick('quick-play', () => send('play', S.games.length > 1 ? { game: 'guess' } : {}, 'play'));
    onClick('play-dice', () => send('play', { game: 'dice' }, 'play'));
    onClick('board-guess', () => { S.board = 'guess'; loadLeaderboard(); });
    onClick('board-dice', () => { S.board = 'dice'; loadLeaderboard(); });
    onClick('create-room', () => send('create', {}, 'create'));
    onClick('leave', () => send('leave', {}, 'leave'));
    onClick('copy-code', () => S.room && copy(S.room.code, 'Code'));
    onClick('copy-link', () => S.room && copy(roomLink(), 'Link'));
    onClick('reconnect', () => { S.retries = 0; hideNotice(); connect(); });
    document.addEventListener('visibilitychange', () => { if (!document.hidden) hurryReconnect(); });
    window.addEventListener('online', hurryReconnect);
    setInterval(() => { if (isOpen()) send('ping', {}, 'quiet'); }, PING_MS);
    setInterval(() => { if (!document.hidden) loadNodes(); }, NODES_MS);
    setInterval(() => { if (isOpen() && !document.hidden) refreshLobby(); }, ROOMS_MS);
    setInterval(() => { if (S.view === 'lobby' && !document.hidden) loadLeaderboard(); }, LEADERBOARD_MS);
  }

  const DICE = window.RefereeDice({
    $, el, send, nameOf, plain,
    me: () => S.me,
    watching: () => S.view === 'watching',
    feed: addFeed,
    banner: showBanner,
    scores: requestScores,
    proof: showProof,
  });

  wire();
  setView('lobby');
  loadLeaderboard();
  connect();
})();
