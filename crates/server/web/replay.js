// The replay page: fetches one recorded match (GET /api/matches/{id}) and steps through it.
//
// The server replays the match's log through the game's rules and sends, for each step,
// what a spectator was shown (events with their text lines) and the spectator's view after
// it; this page only displays them, so it knows no game's rules. Everything shown is set
// as text (never as HTML).
"use strict";

(function () {
  const id = decodeURIComponent(location.pathname.replace(/^\/replay\//, ""));
  const $ = (name) => document.getElementById(name);
  let match = null;
  let at = 0; // steps shown: 0 = before the first
  let timer = null;

  function text(element, value) {
    element.textContent = value;
  }

  function name(player) {
    const found = match.players.find((p) => p.id === player);
    return found ? found.name : "player " + player;
  }

  function seats(view) {
    const body = $("seats");
    body.replaceChildren();
    const rows = view && Array.isArray(view.seats) ? view.seats : [];
    for (const seat of rows) {
      const row = document.createElement("tr");
      const cells = [
        name(seat.player),
        seat.dice_count !== undefined ? seat.dice_count + " dice" : "",
      ];
      for (const cell of cells) {
        const td = document.createElement("td");
        text(td, cell);
        row.append(td);
      }
      body.append(row);
    }
  }

  function show() {
    const steps = match.steps;
    const feed = $("feed");
    feed.replaceChildren();
    let status = "";
    let view = null;
    for (let i = 0; i < at; i++) {
      const step = steps[i];
      for (const shown of step.events) {
        for (const line of shown.text.split("\n")) {
          const li = document.createElement("li");
          text(li, line);
          feed.append(li);
        }
      }
      if (step.status) status = step.status;
      if (step.view) view = step.view;
    }
    text($("status"), status || "Before the first step.");
    seats(view);
    text($("counter"), "step " + at + " of " + steps.length);
    $("prev").disabled = at === 0;
    $("first").disabled = at === 0;
    $("next").disabled = at === steps.length;
    $("last").disabled = at === steps.length;
  }

  function go(to) {
    at = Math.max(0, Math.min(match.steps.length, to));
    show();
  }

  function play() {
    if (timer) {
      clearInterval(timer);
      timer = null;
      text($("play"), "▶ Play");
      return;
    }
    if (at === match.steps.length) go(0);
    text($("play"), "⏸ Pause");
    timer = setInterval(() => {
      if (at >= match.steps.length) return play();
      go(at + 1);
    }, 700);
  }

  async function load() {
    $("raw").href = "/api/matches/" + id;
    const response = await fetch("/api/matches/" + id);
    const body = await response.json().catch(() => ({ error: "unreadable answer" }));
    if (!response.ok) {
      text($("where"), "not found");
      text($("summary"), body.error || "this match cannot be shown");
      return;
    }
    match = body;
    $("where").dataset.state = "open";
    text($("where"), match.game + " · room " + match.room);
    text($("title"), (match.game === "dice" ? "Match " : "Round ") + match.round + " · won by " + match.winner);
    text($("summary"), "Players: " + match.players.map((p) => p.name).join(", ") +
      " · seed " + match.seed + " · final state hash " + (match.state_hash || "?"));
    $("first").onclick = () => go(0);
    $("prev").onclick = () => go(at - 1);
    $("next").onclick = () => go(at + 1);
    $("last").onclick = () => go(match.steps.length);
    $("play").onclick = play;
    show();
  }

  load().catch((err) => {
    text($("where"), "error");
    text($("summary"), String(err));
  });
})();
