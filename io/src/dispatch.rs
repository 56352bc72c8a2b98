//! The process's reactor shared by the drivers of many ships: each operation submitted is tagged with
//! the ship (any key: the app uses its ECS entity) whose driver submitted it, and each completion is
//! handed back with that key.

use crate::{Completion, Op, Reactor, Token};
use hashbrown::HashMap;
use std::hash::Hash;

/// What names a ship to the dispatcher (the app's ECS entity; a number in tests).
pub trait ShipKey: Copy + Eq + Hash {}

impl<T: Copy + Eq + Hash> ShipKey for T {}

/// The reactor, and which ship each operation in flight belongs to.
pub struct Dispatcher<K> {
    /// In a mutex only to make the dispatcher `Sync` (an ECS resource); whoever uses it has it to itself.
    reactor: std::sync::Mutex<Reactor>,
    targets: HashMap<Token, K>,
    next: u64,
}

impl<K: ShipKey> Dispatcher<K> {
    /// Starts the reactor (io_uring, or epoll where io_uring is not allowed: the reason is printed).
    pub fn new() -> Result<Dispatcher<K>, String> {
        let reactor = Reactor::new().map_err(|e| format!("cannot start the I/O reactor: {e}"))?;
        if let Some(reason) = reactor.fallback_reason() {
            eprintln!("io: {reason}");
        }
        Ok(Dispatcher { reactor: std::sync::Mutex::new(reactor), targets: HashMap::new(), next: 1 })
    }

    fn reactor(&mut self) -> &mut Reactor {
        self.reactor.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Cancels an operation (its completion, `Cancelled` or `Failed`, comes back as usual).
    pub fn cancel(&mut self, token: Token) {
        let own = Token(self.next);
        self.next += 1;
        let _ = self.reactor().submit(own, Op::Cancel(token));
    }

    /// Submits an operation for `ship`'s driver.
    pub fn submit(&mut self, ship: K, op: Op) -> Result<Token, String> {
        let token = Token(self.next);
        self.next += 1;
        self.reactor().submit(token, op).map_err(|e| format!("conn: {e}"))?;
        self.targets.insert(token, ship);
        Ok(token)
    }

    /// The reactor's descriptor that polls readable when completions wait ([`Reactor::wake_fd`]).
    pub fn wake_fd(&self) -> std::os::fd::RawFd {
        self.reactor.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).wake_fd()
    }

    /// Sends what was submitted to the kernel now ([`Reactor::flush`]).
    pub fn flush(&mut self) {
        if let Err(e) = self.reactor().flush() {
            eprintln!("io: {e}");
        }
    }

    /// Waits at most `wait` and hands back each completion with the ship it is for.
    pub fn poll(&mut self, wait: std::time::Duration) -> Vec<(K, Completion)> {
        let mut done = Vec::new();
        if let Err(e) = self.reactor().poll(Some(wait), &mut done) {
            eprintln!("io: {e}");
            std::thread::sleep(wait);
        }
        done.into_iter().filter_map(|c| self.targets.remove(&c.token()).map(|ship| (ship, c))).collect()
    }
}
