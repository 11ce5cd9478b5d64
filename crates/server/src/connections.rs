//! Every open connection's switch, so that shutdown can reach them all.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use slab::Slab;

use crate::kick::{Kick, Reason};

/// The switches of the open connections.
#[derive(Debug, Default)]
pub(crate) struct Connections(Arc<Mutex<Registry>>);

#[derive(Debug, Default)]
struct Registry {
    open: Slab<Kick>,
    /// Set by the first `kick_all`: a connection registering afterwards (accepted just
    /// before the listener closed) is thrown at once.
    thrown: Option<Reason>,
}

/// A connection's place in [`Connections`], given up when dropped.
pub(crate) struct Registration {
    all: Arc<Mutex<Registry>>,
    key: usize,
}

impl Connections {
    fn lock(all: &Mutex<Registry>) -> MutexGuard<'_, Registry> {
        all.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a connection's switch; it is removed when the registration is dropped.
    pub(crate) fn register(&self, kick: Kick) -> Registration {
        let mut registry = Self::lock(&self.0);
        if let Some(reason) = registry.thrown {
            kick.kick(reason);
        }
        let key = registry.open.insert(kick);
        Registration {
            all: Arc::clone(&self.0),
            key,
        }
    }

    /// Throws every switch, and those of connections registering from now on.
    pub(crate) fn kick_all(&self, reason: Reason) {
        let all: Vec<Kick> = {
            let mut registry = Self::lock(&self.0);
            registry.thrown.get_or_insert(reason);
            registry.open.iter().map(|(_, kick)| kick.clone()).collect()
        };
        for kick in all {
            kick.kick(reason);
        }
    }

    /// How many connections are open.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        Self::lock(&self.0).open.len()
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        Connections::lock(&self.all).open.try_remove(self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_reaches_every_registered_connection_and_only_those() {
        let connections = Connections::default();
        let (a, b, gone) = (Kick::default(), Kick::default(), Kick::default());
        let _a = connections.register(a.clone());
        let _b = connections.register(b.clone());
        drop(connections.register(gone.clone()));
        assert_eq!(connections.len(), 2);
        connections.kick_all(Reason::Shutdown);
        assert_eq!(a.reason(), Some(Reason::Shutdown));
        assert_eq!(b.reason(), Some(Reason::Shutdown));
        assert_eq!(gone.reason(), None);
        let late = Kick::default();
        let _late = connections.register(late.clone());
        assert_eq!(
            late.reason(),
            Some(Reason::Shutdown),
            "registered after the shutdown"
        );
    }
}
