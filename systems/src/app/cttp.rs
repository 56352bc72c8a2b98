//! cttp in the app: a ship's [`Cttp`] driver takes Iris's `%request` and `%cancel-request` from
//! `route_effects`; [`cttp_serve`] starts each fetch on a thread of its own (at most
//! [`engine_io::cttp::IN_FLIGHT_MAX`] at once per ship, the rest waiting in turn, up to
//! [`engine_io::cttp::WAITING_MAX`]) and turns each finished one into `%receive` (504 on any failure).
//! Requests are entries of the driver, each with its cancel flag; a cancelled one's answer is dropped.

use bevy_ecs::prelude::*;
use components::Heap;
use components::app::Inbox;
use engine_io::cttp::{self, CttpEffect, IN_FLIGHT_MAX, Request, Response, WAITING_MAX};
use hashbrown::HashMap;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

/// A ship's cttp driver.
#[derive(Component)]
pub struct Cttp {
    sev_knot: String,
    /// Iris's effects, routed here and carried out by [`cttp_serve`].
    pub effects: VecDeque<CttpEffect>,
    /// Requests waiting for a turn.
    waiting: VecDeque<Request>,
    /// Requests being fetched, by id: each one's cancel flag (lookups only).
    in_flight: HashMap<u64, Arc<AtomicBool>, ahash::RandomState>,
    sender: Sender<(u64, Response)>,
    /// In a mutex only to make the component `Sync`.
    answers: Mutex<Receiver<(u64, Response)>>,
    pub fetched: u64,
    pub failed: u64,
}

impl Cttp {
    pub fn new(sev_knot: String) -> Cttp {
        let (sender, answers) = channel();
        Cttp {
            sev_knot,
            effects: VecDeque::new(),
            waiting: VecDeque::new(),
            in_flight: HashMap::default(),
            sender,
            answers: Mutex::new(answers),
            fetched: 0,
            failed: 0,
        }
    }

    /// `[/i/http-client/<sev> [%born ~]]`.
    pub fn born(&self, heap: &mut Heap) -> components::Noun {
        cttp::born(heap, &self.sev_knot)
    }

    /// Whether requests are asked for or being fetched.
    pub fn busy(&self) -> bool {
        !self.in_flight.is_empty() || !self.waiting.is_empty() || !self.effects.is_empty()
    }

    fn start(&mut self, request: Request) {
        let cancelled = Arc::new(AtomicBool::new(false));
        self.in_flight.insert(request.id, Arc::clone(&cancelled));
        let sender = self.sender.clone();
        let spawned = std::thread::Builder::new().name("cttp".into()).spawn(move || {
            let response = match cttp::fetch(&request, &cancelled) {
                Ok(response) => response,
                Err(why) => {
                    if !cancelled.load(Ordering::Relaxed) {
                        eprintln!("cttp: request {}: {why}", cttp::id_text(request.id));
                    }
                    Response::failed()
                }
            };
            let _ = sender.send((request.id, response));
        });
        if let Err(e) = spawned {
            eprintln!("cttp: cannot start a fetch: {e}");
            let _ = self.sender.send((u64::MAX, Response::failed()));
        }
    }

    /// Cancels every request (at exit, or when Iris is born again).
    pub fn cancel_all(&mut self) {
        self.waiting.clear();
        for (_, cancelled) in self.in_flight.drain() {
            cancelled.store(true, Ordering::Relaxed);
        }
    }
}

/// Starts Iris's requests (in turn), cancels what it cancels, and injects `%receive` for each answer.
pub fn cttp_serve(mut ships: Query<(&mut Cttp, &mut Inbox)>) {
    for (mut driver, mut inbox) in &mut ships {
        let driver = &mut *driver;
        let mut heap = Heap::new();
        while let Some(effect) = driver.effects.pop_front() {
            match effect {
                CttpEffect::Request(request) => {
                    if driver.waiting.len() >= WAITING_MAX {
                        driver.failed += 1;
                        eprintln!(
                            "cttp: more than {WAITING_MAX} requests waiting: {} answered 504",
                            request.url
                        );
                        let ovum =
                            cttp::receive_ovum(&mut heap, &driver.sev_knot, request.id, &Response::failed());
                        inbox.push(&heap, ovum);
                    } else {
                        driver.waiting.push_back(request);
                    }
                }
                CttpEffect::Cancel(id) => {
                    driver.waiting.retain(|r| r.id != id);
                    if let Some(cancelled) = driver.in_flight.remove(&id) {
                        cancelled.store(true, Ordering::Relaxed);
                    }
                }
            }
        }
        while driver.in_flight.len() < IN_FLIGHT_MAX
            && let Some(request) = driver.waiting.pop_front()
        {
            driver.start(request);
        }
        let answers: Vec<(u64, Response)> = {
            let receiver = driver.answers.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            receiver.try_iter().collect()
        };
        for (id, response) in answers {
            // An answer for a request cancelled (or made before Iris was born again) is dropped.
            if driver.in_flight.remove(&id).is_none() {
                continue;
            }
            driver.fetched += 1;
            if response.status == 504 && response.headers.is_empty() {
                driver.failed += 1;
            }
            let ovum = cttp::receive_ovum(&mut heap, &driver.sev_knot, id, &response);
            inbox.push(&heap, ovum);
        }
    }
}
