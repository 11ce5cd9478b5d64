//! `RemoteHandle` and `serve` against a real NATS on 127.0.0.1:4222 (skipped, saying so,
//! when there is none — unless `REFEREE_REQUIRE_NATS=1`). Each test cites the guarantee of
//! `docs/semantics.md`, "Remote tell and ask", that it pins down.

use std::time::Duration;

use referee_actor::{Actor, ActorHandle, Answer, Context, Handler, Message, ReplyTo, spawn};
use referee_remote::testing::{connect, unique_subject};
use referee_remote::{AskError, Handle, RemoteHandle, RemoteMessage, WireError, serve};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

/// The longest any awaited event may take before the test fails.
const TIMEOUT: Duration = Duration::from_secs(10);

/// A client of the test NATS, or the test returns (skipped, said on stderr).
macro_rules! client {
    ($test:expr) => {
        match connect($test).await {
            Ok(Some(client)) => client,
            Ok(None) => return,
            Err(err) => panic!("{err}"),
        }
    };
}

/// Keeps a sum, a journal of notes per sender, and asks it was told to leave unanswered.
#[derive(Default)]
struct Keeper {
    sum: u32,
    journal: Vec<(u32, u32)>,
    held: Vec<ReplyTo<u32>>,
    /// Told once per held ask: the test's gate "the actor has it".
    holding: Option<mpsc::UnboundedSender<()>>,
}
impl Actor for Keeper {}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Add(u32);
impl Message for Add {
    type Reply = u32;
}
impl RemoteMessage for Add {
    const NAME: &'static str = "test.add";
    const VERSION: u32 = 1;
}
impl Handler<Add> for Keeper {
    fn handle(&mut self, add: Add, _: &mut Context<Self>) -> u32 {
        self.sum += add.0;
        self.sum
    }
}

/// `Add` as a newer build would send it.
#[derive(Debug, Serialize, Deserialize)]
struct AddV2 {
    amount: u64,
}
impl Message for AddV2 {
    type Reply = u64;
}
impl RemoteMessage for AddV2 {
    const NAME: &'static str = "test.add";
    const VERSION: u32 = 2;
}

/// One protocol on one subject: notes (told) and reads (asked) keep their relative order.
#[derive(Debug, Serialize, Deserialize)]
enum Journal {
    Note { sender: u32, seq: u32 },
    Read { sender: u32 },
}
impl Message for Journal {
    type Reply = Vec<u32>;
}
impl RemoteMessage for Journal {
    const NAME: &'static str = "test.journal";
    const VERSION: u32 = 1;
}
impl Handler<Journal> for Keeper {
    fn handle(&mut self, entry: Journal, _: &mut Context<Self>) -> Vec<u32> {
        match entry {
            Journal::Note { sender, seq } => {
                self.journal.push((sender, seq));
                Vec::new()
            }
            Journal::Read { sender } => self
                .journal
                .iter()
                .filter(|(from, _)| *from == sender)
                .map(|(_, seq)| *seq)
                .collect(),
        }
    }
}

/// Asked, never answered (until the actor stops).
#[derive(Debug, Serialize, Deserialize)]
struct Hold;
impl Message for Hold {
    type Reply = u32;
}
impl RemoteMessage for Hold {
    const NAME: &'static str = "test.hold";
    const VERSION: u32 = 1;
}
impl Answer<Hold> for Keeper {
    fn answer(&mut self, _: Hold, reply: ReplyTo<u32>, _: &mut Context<Self>) {
        self.held.push(reply);
        if let Some(holding) = &self.holding {
            let _ = holding.send(());
        }
    }
}

fn keeper() -> (ActorHandle<Keeper>, mpsc::UnboundedReceiver<()>) {
    let (holding, held) = mpsc::unbounded_channel();
    let keeper = spawn(Keeper {
        holding: Some(holding),
        ..Keeper::default()
    });
    (keeper, held)
}

async fn within<F: Future>(what: &str, future: F) -> F::Output {
    tokio::time::timeout(TIMEOUT, future)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {TIMEOUT:?}"))
}

/// Semantics R1: a remote ask gets the actor's reply; tells and asks from one client are
/// handled in the order sent.
#[tokio::test]
async fn ask_and_tell_round_trip() {
    let client = client!("ask_and_tell_round_trip");
    let subject = unique_subject("round_trip");
    let (keeper, _) = keeper();
    let _serving = serve(client.clone(), subject.as_str(), keeper.recipient::<Add>())
        .await
        .unwrap();
    let remote = RemoteHandle::<Add>::new(client, subject.as_str());
    remote.tell(Add(2)).await.unwrap();
    remote.tell(Add(3)).await.unwrap();
    assert_eq!(within("ask", remote.ask(Add(4))).await.unwrap(), 9);
    assert_eq!(
        keeper.ask(Add(0)).await.unwrap(),
        9,
        "the same actor, locally"
    );
}

/// Semantics R2: nobody serving the subject is `NotRunning` at once — NATS's "no
/// responders" — with the message handed back, not a timeout.
#[tokio::test]
async fn no_responders_is_not_running_at_once() {
    let client = client!("no_responders_is_not_running_at_once");
    let remote = RemoteHandle::<Add>::new(client, unique_subject("nobody"))
        .with_ask_timeout(Duration::from_secs(60));
    let answer = within("no responders", remote.ask(Add(7))).await;
    assert!(
        matches!(answer, Err(AskError::NotRunning(Add(7)))),
        "{answer:?}"
    );
}

/// Semantics R3: an actor that does not answer in time is `Timeout`, with the caller's
/// limit.
#[tokio::test]
async fn a_silent_actor_times_out() {
    let client = client!("a_silent_actor_times_out");
    let subject = unique_subject("silent");
    let (keeper, _) = keeper();
    let _serving = serve(client.clone(), subject.as_str(), keeper.recipient::<Hold>())
        .await
        .unwrap();
    let remote = RemoteHandle::<Hold>::new(client, subject.as_str());
    let limit = Duration::from_millis(200);
    let answer = within("timeout", remote.ask_with(Hold, limit)).await;
    assert!(
        matches!(answer, Err(AskError::Timeout(d)) if d == limit),
        "{answer:?}"
    );
}

/// Semantics R4: a serving task stopped while an ask is in flight answers it
/// `ServerStopped` at once; from then on the subject has no responders.
#[tokio::test]
async fn stopping_the_server_mid_request_says_so() {
    let client = client!("stopping_the_server_mid_request_says_so");
    let subject = unique_subject("stopped");
    let (keeper, mut held) = keeper();
    let serving = serve(client.clone(), subject.as_str(), keeper.recipient::<Hold>())
        .await
        .unwrap();
    let caller = client!("stopping_the_server_mid_request_says_so");
    let remote = RemoteHandle::<Hold>::new(caller, subject.as_str())
        .with_ask_timeout(Duration::from_secs(60));
    let asking = tokio::spawn({
        let remote = remote.clone();
        async move { remote.ask(Hold).await }
    });
    within("the actor holds the ask", held.recv()).await;
    within("stop", serving.stop()).await;
    let answer = within("the held ask", asking).await.unwrap();
    assert!(matches!(answer, Err(AskError::ServerStopped)), "{answer:?}");
    let after = within("after stop", remote.ask(Hold)).await;
    assert!(
        matches!(after, Err(AskError::NotRunning(Hold))),
        "{after:?}"
    );
}

/// Semantics R5: bad bytes, another version or another message type on a subject are
/// refused with a typed error, and the server goes on serving everyone else.
#[tokio::test]
async fn bad_bytes_and_other_versions_are_refused_and_serving_goes_on() {
    let client = client!("bad_bytes_and_other_versions_are_refused");
    let subject = unique_subject("refusals");
    let (keeper, _) = keeper();
    let _serving = serve(client.clone(), subject.as_str(), keeper.recipient::<Add>())
        .await
        .unwrap();

    let garbage = within(
        "garbage",
        client.request(subject.clone(), "\u{1}garbage".into()),
    )
    .await;
    let garbage: serde_json::Value = serde_json::from_slice(&garbage.unwrap().payload).unwrap();
    assert!(
        garbage["outcome"]["err"]["rejected"]["malformed"].is_string(),
        "{garbage}"
    );
    // Told garbage has nobody to answer to: it is dropped, and serving goes on.
    client.publish(subject.clone(), "{]".into()).await.unwrap();

    let newer = RemoteHandle::<AddV2>::new(client.clone(), subject.as_str());
    let answer = within("v2", newer.ask(AddV2 { amount: 1 })).await;
    assert!(
        matches!(
            answer,
            Err(AskError::Rejected(WireError::Version {
                got: 2,
                expected: 1,
                ..
            }))
        ),
        "{answer:?}"
    );
    let other_kind = RemoteHandle::<Hold>::new(client.clone(), subject.as_str());
    let answer = within("other kind", other_kind.ask(Hold)).await;
    assert!(
        matches!(answer, Err(AskError::Rejected(WireError::Kind { .. }))),
        "{answer:?}"
    );

    let remote = RemoteHandle::<Add>::new(client, subject.as_str());
    assert_eq!(
        within("still serving", remote.ask(Add(5))).await.unwrap(),
        5
    );
}

/// Semantics R6: once the served actor stops, the server unsubscribes and answers the ask
/// that found it gone `NotRunning`; every later ask gets NATS's "no responders".
#[tokio::test]
async fn a_stopped_actor_is_not_running_and_its_subject_goes_quiet() {
    let client = client!("a_stopped_actor_is_not_running");
    let subject = unique_subject("gone");
    let (keeper, _) = keeper();
    let serving = serve(client.clone(), subject.as_str(), keeper.recipient::<Add>())
        .await
        .unwrap();
    keeper.stop();
    within("the actor stops", keeper.wait_stopped()).await;
    // The asker on a connection of its own, as on another node.
    let caller = client!("a_stopped_actor_is_not_running");
    let remote = RemoteHandle::<Add>::new(caller, subject.as_str());
    let answer = within("first ask", remote.ask(Add(1))).await;
    assert!(
        matches!(answer, Err(AskError::NotRunning(Add(1)))),
        "{answer:?}"
    );
    let answer = within("second ask", remote.ask(Add(2))).await;
    assert!(
        matches!(answer, Err(AskError::NotRunning(Add(2)))),
        "{answer:?}"
    );
    assert!(!serving.is_serving());
}

/// Semantics R7: per connection, order holds. Each of 4 senders (a NATS connection each)
/// tells 300 numbered notes, one after another, while 4 other tasks ask the same subject
/// concurrently; each sender's last ask then sees exactly its notes, in order.
#[tokio::test]
async fn tells_keep_per_sender_order_among_concurrent_asks() {
    const SENDERS: u32 = 4;
    const NOTES: u32 = 300;
    let server_client = client!("tells_keep_per_sender_order");
    let subject = unique_subject("order");
    let (keeper, _) = keeper();
    let _serving = serve(
        server_client,
        subject.as_str(),
        keeper.recipient::<Journal>(),
    )
    .await
    .unwrap();

    let mut tasks = Vec::new();
    for sender in 0..SENDERS {
        let client = client!("tells_keep_per_sender_order");
        let remote = RemoteHandle::<Journal>::new(client, subject.as_str());
        tasks.push(tokio::spawn(async move {
            for seq in 0..NOTES {
                remote.tell(Journal::Note { sender, seq }).await.unwrap();
            }
            remote.ask(Journal::Read { sender }).await.unwrap()
        }));
    }
    let asker = client!("tells_keep_per_sender_order");
    let mut askers = Vec::new();
    for _ in 0..4 {
        let remote = RemoteHandle::<Journal>::new(asker.clone(), subject.as_str());
        askers.push(tokio::spawn(async move {
            for _ in 0..50 {
                remote.ask(Journal::Read { sender: 99 }).await.unwrap();
            }
        }));
    }
    let expected: Vec<u32> = (0..NOTES).collect();
    for task in tasks {
        assert_eq!(within("a sender", task).await.unwrap(), expected);
    }
    for asker in askers {
        within("an asker", asker).await.unwrap();
    }
}

/// Semantics R8: a `Handle::Local` is the actor's own mailbox: it needs no NATS at all.
#[tokio::test]
async fn a_local_handle_goes_straight_to_the_mailbox() {
    let (keeper, _) = keeper();
    let local: Handle<Add> = keeper.recipient::<Add>().into();
    assert!(local.is_local());
    local.tell(Add(1)).await.unwrap();
    assert_eq!(local.ask(Add(1)).await.unwrap(), 2);
    keeper.stop();
    keeper.wait_stopped().await;
    let answer = local.ask(Add(1)).await;
    assert!(
        matches!(answer, Err(AskError::NotRunning(Add(1)))),
        "{answer:?}"
    );
}

/// Semantics R9: pushes to a member's subject arrive in order; an unreadable one is an
/// `Err` and the next reads fine.
#[tokio::test]
async fn pushes_reach_a_member_in_order() {
    let client = client!("pushes_reach_a_member_in_order");
    let subject = unique_subject("member");
    let mut pushes = referee_remote::subscribe::<Add>(&client, subject.as_str())
        .await
        .unwrap();
    referee_remote::push(&client, &subject, &Add(1))
        .await
        .unwrap();
    client
        .publish(subject.clone(), "nonsense".into())
        .await
        .unwrap();
    referee_remote::push(&client, &subject, &Add(2))
        .await
        .unwrap();
    assert_eq!(within("1", pushes.next()).await.unwrap().unwrap(), Add(1));
    let bad = within("bad", pushes.next()).await.unwrap();
    assert!(matches!(bad, Err(WireError::Malformed(_))), "{bad:?}");
    assert_eq!(within("2", pushes.next()).await.unwrap().unwrap(), Add(2));
}

/// A message whose `Serialize` fails.
#[derive(Debug, Serialize, Deserialize)]
struct Unencodable(std::collections::HashMap<(u8, u8), u8>);
impl Message for Unencodable {
    type Reply = ();
}
impl RemoteMessage for Unencodable {
    const NAME: &'static str = "test.unencodable";
    const VERSION: u32 = 1;
}

/// A message that cannot be encoded is a typed error with the message handed back (nothing
/// sent), never a panic.
#[tokio::test]
async fn an_unencodable_message_comes_back_unsent() {
    let client = client!("an_unencodable_message_comes_back_unsent");
    let subject = unique_subject("unsendable");
    let remote = RemoteHandle::<Unencodable>::new(client, subject.as_str());
    let bad = || Unencodable([((1, 2), 3)].into());
    let told = remote.tell(bad()).await;
    assert!(matches!(
        told,
        Err(referee_remote::TellError::Encode(Unencodable(_), _))
    ));
    let asked = within("encode", remote.ask(bad())).await;
    assert!(
        matches!(asked, Err(AskError::Encode(Unencodable(_), _))),
        "{asked:?}"
    );
}

/// On a thread of its own; its first `Step` blocks until the test opens the gate.
struct Gated {
    entered: mpsc::UnboundedSender<()>,
    gate: std::sync::mpsc::Receiver<()>,
}
impl Actor for Gated {}

#[derive(Debug, Serialize, Deserialize)]
struct Step(u32);
impl Message for Step {
    type Reply = u32;
}
impl RemoteMessage for Step {
    const NAME: &'static str = "test.step";
    const VERSION: u32 = 1;
}
impl Handler<Step> for Gated {
    fn handle(&mut self, step: Step, _: &mut Context<Self>) -> u32 {
        if step.0 == 0 {
            let _ = self.entered.send(());
            let _ = self.gate.recv();
        }
        step.0
    }
}

/// Semantics R4/R6: asks the subscription still held when serving stopped were never
/// delivered, and are answered "not running" (the wire's `not_running`), not left to time
/// out. The actor is blocked and its one-slot mailbox full, so the serving task is stuck
/// on a tell and the ask waits unread behind it.
#[tokio::test]
async fn asks_never_delivered_when_serving_stops_are_answered_not_running() {
    let client = client!("asks_never_delivered_when_serving_stops");
    let subject = unique_subject("undelivered");
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let (open, gate) = std::sync::mpsc::channel();
    let gated = referee_actor::ActorBuilder::new()
        .mailbox_capacity(1)
        .spawn_thread(Gated {
            entered: entered_tx,
            gate,
        })
        .unwrap();
    let serving = serve(client.clone(), subject.as_str(), gated.recipient::<Step>())
        .await
        .unwrap();
    let remote = RemoteHandle::<Step>::new(client.clone(), subject.as_str());
    remote.tell(Step(0)).await.unwrap();
    within("the actor blocks", entered.recv()).await;
    for n in 1..=8 {
        remote.tell(Step(n)).await.unwrap();
    }
    // The ask by hand on the serving connection, then a marker to the test on it: NATS
    // delivers one connection's messages to one connection in order, so once the marker is
    // here the ask is in the serving task's subscription, unread.
    let inbox = client.new_inbox();
    let mut replies = client.subscribe(inbox.clone()).await.unwrap();
    let marker = unique_subject("marker");
    let mut markers = client.subscribe(marker.clone()).await.unwrap();
    let ask = r#"{"v":1,"kind":"test.step","ver":1,"body":9}"#;
    client
        .publish_with_reply(subject.clone(), inbox, ask.into())
        .await
        .unwrap();
    client.publish(marker, "here".into()).await.unwrap();
    within("the marker", futures_util::StreamExt::next(&mut markers)).await;

    within("stop", serving.stop()).await;
    let reply = within(
        "the unread ask's answer",
        futures_util::StreamExt::next(&mut replies),
    )
    .await
    .unwrap();
    let reply: serde_json::Value = serde_json::from_slice(&reply.payload).unwrap();
    assert_eq!(reply["outcome"]["err"], "not_running", "{reply}");
    open.send(()).unwrap();
}

/// A room's calls in miniature: steps wait for mailbox room, chat lines do not.
#[derive(Debug, Serialize, Deserialize)]
enum Call {
    Step(u32),
    Chat(u32),
}
impl Message for Call {
    type Reply = u32;
}
impl RemoteMessage for Call {
    const NAME: &'static str = "test.call";
    const VERSION: u32 = 1;
    fn droppable(&self) -> bool {
        matches!(self, Call::Chat(_))
    }
}

/// On a thread of its own; `Step(0)` blocks until the test opens the gate; says what it
/// handled.
struct Chatty {
    entered: mpsc::UnboundedSender<()>,
    gate: std::sync::mpsc::Receiver<()>,
    handled: mpsc::UnboundedSender<String>,
}
impl Actor for Chatty {}
impl Handler<Call> for Chatty {
    fn handle(&mut self, call: Call, _: &mut Context<Self>) -> u32 {
        let (what, n) = match call {
            Call::Step(0) => {
                let _ = self.entered.send(());
                let _ = self.gate.recv();
                return 0;
            }
            Call::Step(n) => ("step", n),
            Call::Chat(n) => ("chat", n),
        };
        let _ = self.handled.send(format!("{what} {n}"));
        n
    }
}

/// Semantics R11: a droppable message never waits for room in a full mailbox — asked, it
/// is answered `Full` at once; told, it is dropped — so the messages behind it on the
/// subject are not held back.
#[tokio::test]
async fn a_droppable_message_is_refused_by_a_full_mailbox_and_holds_nothing_back() {
    let client = client!("a_droppable_message_is_refused_by_a_full_mailbox");
    let subject = unique_subject("droppable");
    let (entered_tx, mut entered) = mpsc::unbounded_channel();
    let (handled_tx, mut handled) = mpsc::unbounded_channel();
    let (open, gate) = std::sync::mpsc::channel();
    let chatty = referee_actor::ActorBuilder::new()
        .mailbox_capacity(1)
        .spawn_thread(Chatty {
            entered: entered_tx,
            gate,
            handled: handled_tx,
        })
        .unwrap();
    let _serving = serve(client.clone(), subject.as_str(), chatty.recipient::<Call>())
        .await
        .unwrap();
    let remote = RemoteHandle::<Call>::new(client.clone(), subject.as_str());
    remote.tell(Call::Step(0)).await.unwrap();
    within("the actor blocks", entered.recv()).await;
    // The one slot taken (R7: before the chat, sent after it on this connection).
    remote.tell(Call::Step(1)).await.unwrap();

    let asked = within(
        "the chat's answer",
        remote.ask_with(Call::Chat(2), Duration::from_secs(3)),
    )
    .await;
    assert!(
        matches!(asked, Err(AskError::Full(Call::Chat(2)))),
        "{asked:?}"
    );
    // Told, dropped: the serving task reads on (the next chat's answer comes, after it).
    remote.tell(Call::Chat(3)).await.unwrap();
    let asked = within(
        "the next chat's answer",
        remote.ask_with(Call::Chat(5), Duration::from_secs(3)),
    )
    .await;
    assert!(
        matches!(asked, Err(AskError::Full(Call::Chat(5)))),
        "{asked:?}"
    );
    // A step behind the chat lines is delivered once the actor goes on: nothing held it.
    let step = tokio::spawn({
        let remote = remote.clone();
        async move { remote.ask_with(Call::Step(4), TIMEOUT).await }
    });
    open.send(()).unwrap();
    assert_eq!(within("the step", step).await.unwrap().ok(), Some(4));
    let mut seen = Vec::new();
    while seen.last().map(String::as_str) != Some("step 4") {
        seen.push(within("handled", handled.recv()).await.unwrap());
    }
    assert_eq!(seen, ["step 1", "step 4"], "the chat lines were dropped");
}
