//! Tracing spans around every handled message.
//!
//! Alone in its test binary on purpose: tracing's enabled-state is global to the process
//! (callsite interest, the max level), and tests on other threads hitting the same callsite
//! with no subscriber could race with this test's scoped one.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{Echo, Probe, Record, within};
use referee_actor::ActorBuilder;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record as SpanRecord};
use tracing::{Event, Metadata, Subscriber};

/// Records the fields of every `handle` span opened, and how often one was entered.
#[derive(Clone, Default)]
struct SpanRecorder {
    opened: Arc<Mutex<Vec<(String, String)>>>,
    entered: Arc<AtomicUsize>,
}

#[derive(Default)]
struct Fields {
    actor: String,
    message: String,
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "actor" => self.actor = format!("{value:?}"),
            "message" => self.message = format!("{value:?}"),
            _ => {}
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.record_debug(field, &format_args!("{value}"));
    }
}

impl Subscriber for SpanRecorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, span: &Attributes<'_>) -> Id {
        if span.metadata().name() == "handle" {
            let mut fields = Fields::default();
            span.record(&mut fields);
            let mut opened = self.opened.lock().unwrap_or_else(|p| p.into_inner());
            opened.push((fields.actor, fields.message));
        }
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &SpanRecord<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, _: &Event<'_>) {}

    fn enter(&self, _: &Id) {
        self.entered.fetch_add(1, Ordering::Relaxed);
    }

    fn exit(&self, _: &Id) {}
}

#[test]
fn every_message_is_handled_in_a_span_naming_the_actor_and_the_message_type() {
    let recorder = SpanRecorder::default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|err| panic!("{err}"));
    // A scoped subscriber on this thread: the actor runs on this thread's runtime.
    tracing::subscriber::with_default(recorder.clone(), || {
        runtime.block_on(async {
            let handle = ActorBuilder::new().name("scorer").spawn(Probe::default());
            handle.tell(Record(7)).await.ok();
            assert_eq!(within(handle.ask(Echo(3))).await.ok(), Some(3));
        });
    });
    let opened = recorder.opened.lock().unwrap_or_else(|p| p.into_inner());
    assert_eq!(
        *opened,
        vec![
            ("scorer".to_owned(), "Record".to_owned()),
            ("scorer".to_owned(), "Echo".to_owned()),
        ]
    );
    assert!(
        recorder.entered.load(Ordering::Relaxed) >= 2,
        "spans entered"
    );
}
