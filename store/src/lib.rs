//! The pier on disk: the event log (append-only, checksummed, group-committed), snapshots of the old-space
//! heap, replay and crash recovery.
//!
//! Not built yet: it follows the Nock VM.
