//! The parking actor driven through its handle: tokens, resumes, parks, expiry, caps.

use std::future::{Future, poll_fn};
use std::net::IpAddr;
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use referee_actor::{AskError, Timeout};
use referee_rules::{GuessNumber, PlayerId};

use super::messages::CountParked;
use super::{
    Forget, Park, ParkLimits, Parked, Parking, ParkingHandle, Register, Resume, Resumed, Token,
};
use crate::kick::{Kick, Reason};
use crate::metrics::GuardCounters;

const WINDOW: Duration = Duration::from_secs(30);

fn parked(player: u64) -> Parked<GuessNumber> {
    Parked {
        player: PlayerId(player),
        name: format!("P{player}"),
        named: false,
        seat: None,
        epoch: 4,
        connection: 1,
    }
}

const ROOMY: ParkLimits = ParkLimits {
    total: 1_000,
    per_ip: 1_000,
};

fn parking() -> ParkingHandle<GuessNumber> {
    limited(ROOMY)
}

fn limited(limits: ParkLimits) -> ParkingHandle<GuessNumber> {
    Parking::spawn(WINDOW, limits, GuardCounters::default()).unwrap_or_else(|err| panic!("{err}"))
}

async fn register(parking: &ParkingHandle<GuessNumber>, conn: u64, kick: &Kick) -> Token {
    let register = Register {
        conn,
        kick: kick.clone(),
        token: None,
    };
    parking
        .ask(register)
        .await
        .unwrap_or_else(|err| panic!("{err}"))
}

type Answered = Result<Resumed<GuessNumber>, AskError<Resume<GuessNumber>>>;

/// The rest of an ask for a resume.
type Asked = Pin<Box<dyn Future<Output = Answered> + Send>>;

/// Asks for a resume and returns the rest of the ask, once its message is in the parking
/// actor's mailbox (so in order with what the test sends next).
async fn resume(parking: &ParkingHandle<GuessNumber>, token: &Token, conn: u64) -> Asked {
    let parking = parking.clone();
    let resume = Resume::new(token.clone(), conn, Kick::default());
    let mut ask: Asked = Box::pin(async move { parking.ask_with(resume, Timeout::Never).await });
    // The first poll sends the message.
    match poll_fn(|cx| Poll::Ready(ask.as_mut().poll(cx))).await {
        Poll::Ready(answered) => Box::pin(std::future::ready(answered)),
        Poll::Pending => ask,
    }
}

async fn park(parking: &ParkingHandle<GuessNumber>, token: &Token, conn: u64, player: u64) {
    park_from(parking, token, conn, player, None).await;
}

async fn park_from(
    parking: &ParkingHandle<GuessNumber>,
    token: &Token,
    conn: u64,
    player: u64,
    peer: Option<IpAddr>,
) {
    let park = Park {
        token: token.clone(),
        conn,
        parked: parked(player),
        peer,
    };
    assert!(parking.tell(park).await.is_ok());
}

/// Registers and parks players `players` (one connection each) from `peer`.
async fn park_many(
    parking: &ParkingHandle<GuessNumber>,
    players: std::ops::Range<u64>,
    peer: Option<IpAddr>,
) -> Vec<Token> {
    let mut tokens = Vec::new();
    for player in players {
        let token = register(parking, player, &Kick::default()).await;
        park_from(parking, &token, player, player, peer).await;
        tokens.push(token);
    }
    tokens
}

#[tokio::test]
async fn past_the_cap_the_oldest_held_seat_is_given_up() {
    let parking = limited(ParkLimits {
        total: 3,
        per_ip: 100,
    });
    let tokens = park_many(&parking, 1..6, None).await;
    assert_eq!(parking.ask(CountParked).await.ok(), Some(3));
    // Players 1 and 2 were pushed out; 3, 4 and 5 are still held.
    assert_eq!(
        player_of(resume(&parking, &tokens[0], 10).await.await),
        None
    );
    assert_eq!(
        player_of(resume(&parking, &tokens[1], 11).await.await),
        None
    );
    assert_eq!(
        player_of(resume(&parking, &tokens[2], 12).await.await),
        Some(3)
    );
    assert_eq!(
        player_of(resume(&parking, &tokens[4], 13).await.await),
        Some(5)
    );
}

#[tokio::test]
async fn one_address_only_ever_pushes_out_its_own_held_seats() {
    let parking = limited(ParkLimits {
        total: 100,
        per_ip: 2,
    });
    let honest = Some(IpAddr::from([127, 0, 0, 2]));
    let flood = Some(IpAddr::from([127, 0, 0, 3]));
    let kept = park_many(&parking, 1..2, honest).await;
    let flooded = park_many(&parking, 2..12, flood).await;
    assert_eq!(parking.ask(CountParked).await.ok(), Some(3));
    assert_eq!(
        player_of(resume(&parking, &kept[0], 20).await.await),
        Some(1)
    );
    assert_eq!(
        player_of(resume(&parking, &flooded[0], 21).await.await),
        None
    );
    assert_eq!(
        player_of(resume(&parking, &flooded[9], 22).await.await),
        Some(11)
    );
}

fn player_of(answer: Answered) -> Option<u64> {
    match answer {
        Ok(Resumed::Back(parked)) => Some(parked.player.0),
        _ => None,
    }
}

fn replaced(answer: Answered) -> bool {
    matches!(answer, Ok(Resumed::Replaced))
}

#[tokio::test]
async fn a_burst_of_resumes_seats_the_newest_and_tells_the_others_they_were_replaced() {
    let parking = parking();
    let holder = Kick::default();
    let token = register(&parking, 1, &holder).await;
    let mut answers = Vec::new();
    for conn in 2..=6 {
        answers.push(resume(&parking, &token, conn).await);
    }
    assert_eq!(holder.for_reader().await, Reason::Replaced);
    park(&parking, &token, 1, 9).await; // the holder lets go
    let newest = match answers.pop() {
        // Bounded: a seat handed to nobody would leave this answer waiting for ever.
        Some(answer) => tokio::time::timeout(WINDOW, answer)
            .await
            .ok()
            .and_then(player_of),
        None => None,
    };
    assert_eq!(newest, Some(9), "the newest connection gets the seat");
    for answer in answers {
        assert!(replaced(answer.await), "an overtaken newcomer is told why");
    }
    assert_eq!(parking.ask(CountParked).await.ok(), Some(0));
}

#[tokio::test]
async fn tokens_are_long_random_and_distinct() {
    let parking = parking();
    let kick = Kick::default();
    let a = register(&parking, 1, &kick).await;
    let b = register(&parking, 2, &kick).await;
    assert_eq!(a.len(), 32);
    assert!(a.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(a, b);
}

#[tokio::test]
async fn a_parked_seat_goes_to_the_first_who_presents_the_token_and_only_to_them() {
    let parking = parking();
    let token = register(&parking, 1, &Kick::default()).await;
    park(&parking, &token, 1, 7).await;
    assert_eq!(player_of(resume(&parking, &token, 2).await.await), Some(7));
    // The token is live again, held by connection 2: a third connection replaces it and
    // waits; connection 2 never parks (it quits), so there is nothing to hand over.
    let third = resume(&parking, &token, 3).await;
    let forget = Forget { token, conn: 2 };
    assert!(parking.tell(forget).await.is_ok());
    assert_eq!(player_of(third.await), None);
}

#[tokio::test]
async fn a_live_token_presented_again_kicks_the_holder_and_waits_for_its_seat() {
    let parking = parking();
    let holder = Kick::default();
    let token = register(&parking, 1, &holder).await;
    let newcomer = resume(&parking, &token, 2).await;
    assert_eq!(holder.for_reader().await, Reason::Replaced);
    park(&parking, &token, 1, 9).await;
    assert_eq!(player_of(newcomer.await), Some(9));
}

#[tokio::test]
async fn a_park_from_a_connection_that_no_longer_holds_the_token_is_not_kept() {
    let parking = parking();
    let token = register(&parking, 1, &Kick::default()).await;
    park(&parking, &token, 1, 5).await;
    assert_eq!(player_of(resume(&parking, &token, 2).await.await), Some(5));
    park(&parking, &token, 1, 5).await; // stale: connection 1 is long gone
    let count = parking.ask(CountParked).await.ok();
    assert_eq!(count, Some(0));
}

#[tokio::test(start_paused = true)]
async fn after_the_window_the_token_is_void() {
    let parking = parking();
    let token = register(&parking, 1, &Kick::default()).await;
    park(&parking, &token, 1, 5).await;
    assert_eq!(parking.ask(CountParked).await.ok(), Some(1));
    tokio::time::sleep(WINDOW + Duration::from_secs(1)).await;
    assert_eq!(parking.ask(CountParked).await.ok(), Some(0));
    assert_eq!(player_of(resume(&parking, &token, 2).await.await), None);
}

#[tokio::test(start_paused = true)]
async fn a_seat_taken_back_and_parked_again_gets_a_full_new_window() {
    let parking = parking();
    let token = register(&parking, 1, &Kick::default()).await;
    park(&parking, &token, 1, 5).await;
    tokio::time::sleep(WINDOW / 2).await;
    assert_eq!(player_of(resume(&parking, &token, 2).await.await), Some(5));
    park(&parking, &token, 2, 5).await;
    // The first parking's timer fires now; it must not end the second parking.
    tokio::time::sleep(WINDOW / 2 + Duration::from_secs(1)).await;
    assert_eq!(parking.ask(CountParked).await.ok(), Some(1));
    assert_eq!(player_of(resume(&parking, &token, 3).await.await), Some(5));
}
