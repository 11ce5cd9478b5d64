/* Referee: the Liar's Dice table of the web page.
 *
 * Loaded before app.js, which calls `window.RefereeDice(api)` once and routes every dice
 * `state` and `event` here (docs/protocol.md, "Playing: Liar's Dice"). It draws only what
 * the server sent: the server never sends another player's dice before a call reveals them,
 * so the page has nothing to hide. Time left comes from the messages' `now` (the room's
 * clock): a deadline minus `now` is the time left when the message left the server.
 *
 * DOM hooks (browser tests rely on them; keep them stable):
 *   #dice-table[data-match, data-hand, data-phase = waiting | countdown | bidding | over,
 *               data-turn = player id | "", data-moves = bids and calls seen]
 *   #dice-status   the match's state in words (countdown, whose turn, "you are out — watching",
 *                  "… wins match N!")
 *   #dice-clock    seconds left (turn or match countdown)
 *   #dice-result[data-match, data-winner]  the last match's winner ("Ann wins match 1!"),
 *                  kept while the next match plays (a full table starts it at once)
 *   #my-dice       your dice: span.die[data-face] (pips; the face also as text for readers)
 *   #cups          li[data-player] per player in the match: .cup-count, class out / turn / me
 *   #bids          the hand's bid ladder, li[data-player] "Ann: 3 × five", newest last
 *   #bid-quantity #bid-less #bid-more #bid-faces (button[data-face]) #bid-button #liar-button
 *   #reveal[data-hand]  the last call: li[data-player] with its .die[data-face] and a
 *                  span.proof[data-proof = verified | mismatch | unseen | unchecked]
 */
window.RefereeDice = (api) => {
  'use strict';

  const { $, el, send, nameOf, me } = api;
  const FACES = ['', 'one', 'two', 'three', 'four', 'five', 'six'];
  const PIPS = [[], [4], [0, 8], [0, 4, 8], [0, 2, 6, 8], [0, 2, 4, 6, 8], [0, 2, 3, 5, 6, 8]];

  /** What the page knows of the table; reset when another room is shown. */
  let T = fresh();

  function fresh() {
    return {
      match: 0, hand: 0, playing: false,
      seats: [], // [{player, count, commitment}] in turn order
      dice: null, // my faces this hand
      bid: null, bidder: null, turn: null,
      deadlineAt: null, countdownAt: null, // local clock (performance.now) of each deadline
      ladder: [], // [{player, bid, timedOut}] this hand
      waiting: [],
      winner: null, // the last match's winner, until the next one starts
      result: null, // {match, winner} of the last match won here, kept across matches
      moves: 0,
      choice: null, // {quantity, face} chosen in the controls
    };
  }

  // ---- reading the server -------------------------------------------------------------

  /** Local time of a game-clock deadline, given the message's `now`. */
  function localTime(deadline, now) {
    if (deadline == null) return null;
    const left = typeof now === 'number' ? Math.max(0, deadline - now) : 0;
    return performance.now() + left;
  }

  /** The `state` of a dice room (`view`: DiceView), e.g. on joining or reconnecting. */
  function state(view, now) {
    const keep = T.match === view.match_no ? T.winner : null;
    const result = T.result;
    T = Object.assign(fresh(), {
      match: view.match_no, hand: view.hand, playing: view.playing,
      seats: (view.seats || []).map((s) => ({ player: s.player, count: s.dice_count, commitment: s.commitment })),
      dice: view.dice || null,
      bid: view.bid || null, bidder: view.bidder ?? null, turn: view.turn ?? null,
      deadlineAt: localTime(view.deadline, now),
      countdownAt: localTime(view.countdown, now),
      waiting: view.waiting || [],
      winner: keep,
      result,
    });
    if (T.bid) T.ladder.push({ player: T.bidder, bid: T.bid, timedOut: false });
    render();
  }

  const EVENTS = {
    countdown_started(e, now) {
      T.match = e.match_no;
      T.countdownAt = localTime(e.starts_at, now);
    },
    countdown_cancelled() { T.countdownAt = null; },
    match_started(e) {
      Object.assign(T, { match: e.match_no, playing: true, countdownAt: null, winner: null, hand: 0 });
      T.seats = e.players.map((player) => ({ player, count: 5, commitment: null }));
      T.waiting = T.waiting.filter((p) => !e.players.includes(p));
      api.feed(`Match ${e.match_no} begins: ${e.players.map(nameOf).join(', ')}.`, 'round');
    },
    hand_started(e, now) {
      Object.assign(T, { match: e.match_no, hand: e.hand, playing: true, bid: null, bidder: null });
      T.turn = e.starter;
      T.deadlineAt = localTime(e.deadline, now);
      T.ladder = [];
      const commitments = new Map((e.commitments || []).map((c) => [c.player, c.commitment]));
      const counts = new Map((e.counts || []).map((c) => [c.player, c.count]));
      // `counts` names the players with dice; the ones out stay in their place, marked out.
      const order = T.seats.map((s) => s.player);
      for (const player of counts.keys()) if (!order.includes(player)) order.push(player);
      T.seats = order.map((player) => ({ player, count: counts.get(player) || 0, commitment: commitments.get(player) || null }));
      T.dice = null; // `rolled` follows for a player with dice
      T.choice = null;
      const who = e.starter === me() ? 'you start' : `${nameOf(e.starter)} starts`;
      api.feed(`Hand ${e.hand}: ${who}.`, 'round');
    },
    rolled(e) {
      if (e.player === me() && e.hand === T.hand) T.dice = e.dice.slice();
    },
    bid(e, now) {
      T.bid = e.bid;
      T.bidder = e.player;
      T.turn = e.next;
      T.deadlineAt = localTime(e.deadline, now);
      T.ladder.push({ player: e.player, bid: e.bid, timedOut: e.timed_out });
      T.moves += 1;
      T.choice = null;
    },
    called(e) {
      T.moves += 1;
      T.turn = null;
      T.deadlineAt = null;
      showCall(e);
    },
    out(e) {
      const seat = T.seats.find((s) => s.player === e.player);
      if (seat) seat.count = 0;
    },
    forfeited(e) {
      const seat = T.seats.find((s) => s.player === e.player);
      if (seat) seat.count = 0;
      if (e.next != null) T.turn = e.next;
    },
    match_won(e) {
      Object.assign(T, { playing: false, winner: e.winner, turn: null, deadlineAt: null, dice: null });
      T.result = { match: e.match_no, winner: e.winner };
      const mine = e.winner === me();
      api.banner(mine ? `You win match ${e.match_no}!` : `${nameOf(e.winner)} wins match ${e.match_no}!`, mine);
      api.scores();
    },
  };

  /** A dice `event`; `now` is the message's game clock. Returns whether it was one. */
  function event(e, m) {
    const handle = EVENTS[e.type];
    if (!handle) return false;
    handle(e, m.now);
    if (m.text && !['match_started', 'hand_started', 'rolled'].includes(e.type)) {
      api.feed(api.plain(m.text), `dice ${e.type}`);
    }
    render();
    return true;
  }

  function rejected(text) {
    const slot = $('dice-error');
    slot.textContent = api.plain(text) || 'That move was refused.';
    clearTimeout(slot.clearTimer);
    slot.clearTimer = setTimeout(() => { slot.textContent = ''; }, 6000);
  }

  // ---- the rules' arithmetic, for the controls ------------------------------------------

  function isIn(player) { return T.seats.some((s) => s.player === player && s.count > 0); }

  function diceOnTable() { return T.seats.reduce((sum, s) => sum + s.count, 0); }

  function beats(a, b) { return !b || a.quantity > b.quantity || (a.quantity === b.quantity && a.face > b.face); }

  /** The lowest legal raise, or null when none is left (then only "liar"). */
  function lowestRaise() {
    const last = T.bid;
    const next = !last ? { quantity: 1, face: 1 }
      : last.face < 6 ? { quantity: last.quantity, face: last.face + 1 }
        : { quantity: last.quantity + 1, face: 1 };
    return next.quantity <= diceOnTable() ? next : null;
  }

  function legal(bid) { return bid.quantity >= 1 && bid.quantity <= diceOnTable() && beats(bid, T.bid); }

  function myTurn() { return T.playing && T.turn === me() && isIn(me()); }

  // ---- drawing ------------------------------------------------------------------------

  /** A die with pips; the face is also its text for screen readers and copy. */
  function die(face) {
    const node = el('span', 'die');
    node.dataset.face = String(face);
    node.setAttribute('role', 'img');
    node.setAttribute('aria-label', String(face));
    for (let i = 0; i < 9; i++) node.append(el('i', PIPS[face] && PIPS[face].includes(i) ? 'pip' : null));
    node.append(el('span', 'sr-only', String(face)));
    return node;
  }

  function bidText(bid) {
    const plural = bid.quantity === 1 ? FACES[bid.face] : (bid.face === 6 ? 'sixes' : `${FACES[bid.face]}s`);
    return `${bid.quantity} ${plural}`;
  }

  function phase() {
    if (T.playing) return 'bidding';
    if (T.winner != null) return 'over';
    return T.countdownAt != null ? 'countdown' : 'waiting';
  }

  function render() {
    const table = $('dice-table');
    Object.assign(table.dataset, {
      match: String(T.match), hand: String(T.hand), phase: phase(),
      turn: T.turn == null ? '' : String(T.turn), moves: String(T.moves),
    });
    renderStatus();
    renderResult();
    renderMine();
    renderCups();
    renderLadder();
    renderControls();
    tick();
  }

  function renderStatus() {
    const mine = me();
    let text;
    if (T.playing && T.seats.some((s) => s.player === mine) && !isIn(mine)) {
      text = 'You are out — watching until the match ends.';
    } else if (T.playing && !T.seats.some((s) => s.player === mine)) {
      text = api.watching() ? `Watching match ${T.match}.` : `Match ${T.match} is under way — you watch until the next one.`;
    } else if (T.playing) {
      text = T.turn === mine ? `Hand ${T.hand} · your turn` : `Hand ${T.hand} · ${nameOf(T.turn)}'s turn`;
    } else if (T.winner != null) {
      text = T.winner === mine ? `You win match ${T.match}!` : `${nameOf(T.winner)} wins match ${T.match}!`;
      if (T.countdownAt != null) text += ` Next match soon.`;
    } else if (T.countdownAt != null) {
      text = `Match ${T.match} starts soon (or as soon as the table is full).`;
    } else {
      text = 'Waiting for players: a match starts once two sit (after a short countdown) or the table is full.';
    }
    $('dice-status').textContent = text;
  }

  function renderResult() {
    const node = $('dice-result');
    node.hidden = !T.result;
    if (!T.result) return;
    const { match, winner } = T.result;
    node.dataset.match = String(match);
    node.dataset.winner = String(winner);
    node.textContent = winner === me() ? `Last match: you win match ${match}!` : `Last match: ${nameOf(winner)} wins match ${match}!`;
  }

  function renderMine() {
    const box = $('my-dice');
    box.replaceChildren();
    if (T.dice && T.dice.length) for (const face of T.dice) box.append(die(face));
    else box.append(el('span', 'muted small', T.playing && isIn(me()) ? 'Rolling…' : 'No dice this hand.'));
  }

  function renderCups() {
    const list = $('cups');
    list.replaceChildren();
    for (const seat of T.seats) {
      const li = el('li', 'cup-seat');
      li.dataset.player = String(seat.player);
      li.classList.toggle('me', seat.player === me());
      li.classList.toggle('out', seat.count === 0);
      li.classList.toggle('turn', T.playing && seat.player === T.turn);
      const hidden = el('span', 'hidden-dice');
      hidden.setAttribute('aria-hidden', 'true');
      for (let i = 0; i < seat.count; i++) hidden.append(el('i', 'hidden-die', '?'));
      const name = el('span', 'name', seat.player === me() ? `${nameOf(seat.player)} (you)` : nameOf(seat.player));
      const count = el('span', 'cup-count', seat.count === 0 ? 'out' : `${seat.count} ${seat.count === 1 ? 'die' : 'dice'}`);
      li.append(el('span', 'cup', ''), name, count, hidden);
      list.append(li);
    }
    for (const player of T.waiting) {
      const li = el('li', 'cup-seat waiting');
      li.dataset.player = String(player);
      li.append(el('span', 'name', nameOf(player)), el('span', 'cup-count', 'next match'));
      list.append(li);
    }
    if (!list.children.length) list.append(el('li', 'empty', 'Nobody at the table yet.'));
  }

  function renderLadder() {
    const list = $('bids');
    list.replaceChildren();
    for (const step of T.ladder) {
      const li = el('li', step.player === me() ? 'bid-step me' : 'bid-step');
      li.dataset.player = String(step.player);
      li.append(el('span', 'who', step.player === me() ? 'You' : nameOf(step.player)));
      li.append(el('span', 'what', `${step.bid.quantity} ×`), die(step.bid.face));
      if (step.timedOut) li.append(el('span', 'muted small', ' (time ran out)'));
      list.append(li);
    }
    if (!T.ladder.length) list.append(el('li', 'empty', T.playing ? 'No bid yet this hand.' : '—'));
  }

  function renderControls() {
    const turn = myTurn();
    $('dice-controls').hidden = api.watching() || !(T.playing && isIn(me()));
    const lowest = turn ? lowestRaise() : null;
    if (!T.choice || !legal(T.choice)) T.choice = lowest ? Object.assign({}, lowest) : null;
    const choice = T.choice;
    const quantity = $('bid-quantity');
    quantity.value = choice ? String(choice.quantity) : '';
    quantity.max = String(Math.max(1, diceOnTable()));
    $('bid-less').disabled = !choice || !firstFace(choice.quantity - 1);
    $('bid-more').disabled = !choice || choice.quantity >= diceOnTable();
    quantity.disabled = !choice;
    for (const button of $('bid-faces').children) {
      const face = Number(button.dataset.face);
      button.disabled = !choice || !legal({ quantity: choice.quantity, face });
      button.setAttribute('aria-pressed', String(!!choice && choice.face === face));
    }
    const bidButton = $('bid-button');
    bidButton.disabled = !choice;
    bidButton.textContent = choice ? `Bid ${bidText(choice)}` : 'Bid';
    $('liar-button').disabled = !(turn && T.bid);
    const hint = !T.playing ? '' : turn ? (T.bid ? `Raise ${bidText(T.bid)}, or call liar.` : 'You open the bidding.') : '';
    $('dice-hint').textContent = hint;
  }

  /** The lowest legal face at `quantity`, or null. */
  function firstFace(quantity) {
    for (let face = 1; face <= 6; face++) if (legal({ quantity, face })) return face;
    return null;
  }

  function setQuantity(quantity) {
    if (!T.choice) return;
    const face = legal({ quantity, face: T.choice.face }) ? T.choice.face : firstFace(quantity);
    if (face == null) return;
    T.choice = { quantity, face };
    renderControls();
  }

  function setFace(face) {
    if (!T.choice || !legal({ quantity: T.choice.quantity, face })) return;
    T.choice.face = face;
    renderControls();
  }

  /** Seconds left on the turn clock or the match countdown, every quarter second. */
  function tick() {
    const clock = $('dice-clock');
    const at = T.playing ? T.deadlineAt : T.countdownAt;
    if (at == null || (T.playing && T.turn == null)) {
      clock.textContent = '';
      clock.hidden = true;
      return;
    }
    const left = Math.max(0, Math.ceil((at - performance.now()) / 1000));
    clock.hidden = false;
    clock.textContent = `${left} s`;
    clock.classList.toggle('urgent', T.playing && left <= 5);
    clock.title = T.playing ? 'time left for this turn' : 'until the match starts';
  }

  // ---- the call: every hand revealed, and checked against its commitment ----------------

  function showCall(e) {
    const box = $('reveal');
    box.dataset.hand = String(T.hand);
    box.hidden = false;
    const holds = e.loser === e.caller;
    const loser = e.loser === me() ? 'You lose' : `${nameOf(e.loser)} loses`;
    $('reveal-title').textContent = `Hand ${T.hand}: ${nameOf(e.caller)} called liar on ${bidText(e.bid)} by ${nameOf(e.bidder)}` +
      ` — there ${e.count === 1 ? 'is' : 'are'} ${e.count}. The bid ${holds ? 'holds' : 'fails'}: ${loser} a die.`;
    const list = $('reveal-hands');
    list.replaceChildren();
    const commitments = new Map(T.seats.map((s) => [s.player, s.commitment]));
    for (const hand of e.hands || []) {
      const li = el('li', hand.player === e.loser ? 'revealed loser' : 'revealed');
      li.dataset.player = String(hand.player);
      li.append(el('span', 'name', hand.player === me() ? 'You' : nameOf(hand.player)));
      const faces = el('span', 'faces');
      for (const face of hand.dice) {
        const d = die(face);
        if (face === e.bid.face) d.classList.add('counted');
        faces.append(d);
      }
      li.append(faces);
      api.proof(li, verify(commitments.get(hand.player), T.match, T.hand, hand));
      list.append(li);
    }
    const mine = e.loser === me();
    api.banner(`${loser} a die — the bid ${holds ? 'held' : 'was a lie'}.`, !mine);
  }

  /** Resolves to a proof key: does `hand` open the commitment seen when the hand started? */
  async function verify(seen, match, handNo, hand) {
    if (!seen) return 'unseen';
    if (!(window.crypto && crypto.subtle)) return 'unchecked';
    if (!/^[0-9a-f]{32}$/.test(hand.salt || '') || !Array.isArray(hand.dice)) return 'mismatch';
    try {
      return (await diceCommitment(match, handNo, hand)) === seen ? 'verified' : 'mismatch';
    } catch (_) {
      return 'unchecked';
    }
  }

  /** sha256("referee/dice/v1\0" ‖ match u64 ‖ hand u64 ‖ player u64 ‖ count u8 ‖ faces ‖ salt). */
  async function diceCommitment(match, handNo, hand) {
    const domain = new TextEncoder().encode('referee/dice/v1\0');
    const bytes = new Uint8Array(domain.length + 24 + 1 + hand.dice.length + 16);
    const view = new DataView(bytes.buffer);
    bytes.set(domain);
    let at = domain.length;
    for (const n of [match, handNo, hand.player]) { view.setBigUint64(at, BigInt(n)); at += 8; }
    bytes[at++] = hand.dice.length;
    for (const face of hand.dice) bytes[at++] = face;
    bytes.set(hand.salt.match(/../g).map((pair) => parseInt(pair, 16)), at);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  // ---- wiring ------------------------------------------------------------------------

  function wire() {
    const faces = $('bid-faces');
    for (let face = 1; face <= 6; face++) {
      const button = el('button', 'face');
      button.type = 'button';
      button.dataset.face = String(face);
      button.setAttribute('aria-label', FACES[face]);
      button.append(die(face));
      button.addEventListener('click', () => setFace(face));
      faces.append(button);
    }
    $('bid-less').addEventListener('click', () => T.choice && setQuantity(T.choice.quantity - 1));
    $('bid-more').addEventListener('click', () => T.choice && setQuantity(T.choice.quantity + 1));
    $('bid-quantity').addEventListener('change', (event) => {
      const quantity = Number(event.target.value);
      if (Number.isInteger(quantity)) setQuantity(quantity);
      renderControls();
    });
    $('bid-form').addEventListener('submit', (event) => {
      event.preventDefault();
      if (!myTurn() || !T.choice) return;
      send('guess', { value: `bid ${T.choice.quantity} ${T.choice.face}` }, 'dice');
      $('dice-error').textContent = '';
    });
    $('liar-button').addEventListener('click', () => {
      if (myTurn() && T.bid) send('guess', { value: 'liar' }, 'dice');
    });
    setInterval(tick, 250);
  }

  /** Someone sat down (`here`) or left: between matches, or mid-match for a late arrival,
   *  they wait for the next match. */
  function member(player, here) {
    T.waiting = T.waiting.filter((p) => p !== player);
    if (here && !T.seats.some((s) => s.player === player && T.playing)) T.waiting.push(player);
    render();
  }

  /** A new room on screen: forget the last one's table. */
  function reset() {
    T = fresh();
    $('reveal').hidden = true;
    $('reveal-hands').replaceChildren();
    render();
  }

  wire();
  reset();
  return { state, event, rejected, reset, member };
};
