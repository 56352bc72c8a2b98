//! Group commit: a thread that owns the event log and writes whatever events have queued up as one batch
//! (one write, one fsync), so that under load many events share one fsync while a lone event waits only
//! for its own.
//!
//! Limits: the queue holds at most [`CommitConfig::queue_events_max`] events (a full queue makes `submit`
//! wait: back-pressure on whoever computes events); a batch holds at most
//! [`CommitConfig::batch_events_max`]; [`CommitConfig::linger_us`] bounds how long the writer waits for
//! more events before writing a batch that is not full (0: never wait).

use crate::log::{EventLog, LogError};
use crate::record::Event;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Limits of group commit.
#[derive(Debug, Clone, Copy)]
pub struct CommitConfig {
    pub queue_events_max: usize,
    pub batch_events_max: usize,
    pub linger_us: u64,
}

impl Default for CommitConfig {
    fn default() -> CommitConfig {
        CommitConfig { queue_events_max: 4096, batch_events_max: 1024, linger_us: 0 }
    }
}

/// Progress shared between the writer thread and its users.
#[derive(Default)]
struct Progress {
    committed: AtomicU64,
    batches: AtomicU64,
    failure: Mutex<Option<String>>,
    changed: Condvar,
    lock: Mutex<()>,
}

/// The handle to a running group-commit writer.
pub struct Committer {
    queue: Option<SyncSender<Event>>,
    progress: Arc<Progress>,
    writer: Option<JoinHandle<EventLog>>,
}

impl Committer {
    /// Starts the writer thread, which owns `log` until [`Committer::finish`].
    pub fn spawn(log: EventLog, config: CommitConfig) -> Committer {
        let (queue, events) = mpsc::sync_channel(config.queue_events_max);
        let progress = Arc::new(Progress::default());
        progress.committed.store(log.last(), Ordering::SeqCst);
        let shared = Arc::clone(&progress);
        let writer = std::thread::Builder::new()
            .name("event-log".into())
            .spawn(move || write_batches(log, events, config, &shared))
            .expect("spawn the event-log writer");
        Committer { queue: Some(queue), progress, writer: Some(writer) }
    }

    /// Queues an event (waiting while the queue is full). Events must be numbered in order from the log's
    /// next number. Fails once the writer has failed.
    pub fn submit(&self, event: Event) -> Result<(), String> {
        if let Some(failure) = self.failure() {
            return Err(failure);
        }
        let queue = self.queue.as_ref().expect("queue open until finish");
        queue.send(event).map_err(|_| self.failure().unwrap_or_else(|| "event-log writer stopped".into()))
    }

    /// The number of the last event known to be durable.
    pub fn committed(&self) -> u64 {
        self.progress.committed.load(Ordering::SeqCst)
    }

    /// How many batches (fsyncs) the writer has made.
    pub fn batches(&self) -> u64 {
        self.progress.batches.load(Ordering::SeqCst)
    }

    /// Why the writer stopped, if it failed. After a failure nothing more is committed.
    pub fn failure(&self) -> Option<String> {
        self.progress.failure.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Waits until event `number` is durable, or the writer fails or stops (a writer that panicked never
    /// commits it: that is an error too, not a wait forever).
    pub fn wait_committed(&self, number: u64) -> Result<(), String> {
        let mut guard = self.progress.lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        loop {
            if self.committed() >= number {
                return Ok(());
            }
            if let Some(failure) = self.failure() {
                return Err(failure);
            }
            if self.writer.as_ref().is_none_or(|writer| writer.is_finished()) {
                return Err(format!(
                    "the event-log writer stopped (it panicked) with event {number} not committed"
                ));
            }
            guard = self
                .progress
                .changed
                .wait_timeout(guard, Duration::from_millis(50))
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
    }

    /// Writes everything queued, stops the writer and gives the log back.
    pub fn finish(mut self) -> Result<EventLog, String> {
        drop(self.queue.take());
        let log =
            self.writer.take().expect("writer running").join().map_err(|_| "event-log writer panicked")?;
        match self.failure() {
            Some(failure) => Err(failure),
            None => Ok(log),
        }
    }
}

fn write_batches(
    mut log: EventLog,
    events: Receiver<Event>,
    config: CommitConfig,
    progress: &Progress,
) -> EventLog {
    let mut batch: Vec<Event> = Vec::with_capacity(config.batch_events_max);
    while let Ok(first) = events.recv() {
        batch.push(first);
        let linger_until = Instant::now() + Duration::from_micros(config.linger_us);
        while batch.len() < config.batch_events_max {
            match events.try_recv() {
                Ok(event) => batch.push(event),
                Err(TryRecvError::Empty) if config.linger_us > 0 => {
                    let left = linger_until.saturating_duration_since(Instant::now());
                    match events.recv_timeout(left) {
                        Ok(event) => batch.push(event),
                        Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
                    }
                }
                Err(_) => break,
            }
        }
        let result: Result<u64, LogError> = log.append_events(&batch);
        batch.clear();
        let _guard = progress.lock.lock().expect("not poisoned");
        match result {
            Ok(last) => {
                progress.committed.store(last, Ordering::SeqCst);
                progress.batches.fetch_add(1, Ordering::SeqCst);
            }
            Err(e) => {
                *progress.failure.lock().expect("not poisoned") = Some(e.to_string());
                progress.changed.notify_all();
                return log;
            }
        }
        progress.changed.notify_all();
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_that_panicked_is_an_error_not_a_wait_forever() {
        let (queue, events) = mpsc::sync_channel::<Event>(4);
        let progress = Arc::new(Progress::default());
        let shared = Arc::clone(&progress);
        let writer = std::thread::spawn(move || -> EventLog {
            let _hold = (events, shared);
            panic!("a bug in the writer");
        });
        let committer = Committer { queue: Some(queue), progress, writer: Some(writer) };
        let error = committer.wait_committed(1).unwrap_err();
        assert!(error.contains("panicked"), "{error}");
        assert!(committer.submit(Event { number: 1, mug: 0, jam: vec![1] }).is_err());
        assert!(committer.finish().unwrap_err().contains("panicked"));
    }
}
