//! unix in the app: a ship's [`Unix`] driver takes clay's effects (`%hill`, `%ergo`, `%ogre`, `%dirk`)
//! from `route_effects` and [`unix_sync`] carries them out on the pier's directories, injecting the
//! `%into` a commit (`|commit`) asks for.

use bevy_ecs::prelude::*;
use components::Heap;
use components::app::Inbox;
use engine_io::unix::{self, Mounts, UnixEffect};
use std::collections::VecDeque;
use std::path::PathBuf;

/// A ship's unix driver: its mount points and what it last wrote or read of each file.
#[derive(Component)]
pub struct Unix {
    sev_knot: String,
    root: PathBuf,
    mounts: Mounts,
    /// Clay's effects, routed here and carried out by [`unix_sync`].
    pub effects: VecDeque<UnixEffect>,
}

impl Unix {
    pub fn new(sev_knot: String, root: PathBuf) -> Unix {
        Unix { sev_knot, root, mounts: Mounts::default(), effects: VecDeque::new() }
    }
}

/// Carries out clay's effects on the pier's directories; a `%dirk` becomes the `%into` of what changed.
pub fn unix_sync(mut ships: Query<(&mut Unix, &mut Inbox)>) {
    for (mut unix, mut inbox) in &mut ships {
        let unix = &mut *unix;
        while let Some(effect) = unix.effects.pop_front() {
            match effect {
                UnixEffect::Hill(names) => unix.mounts.hill(&unix.root, &names),
                UnixEffect::Ergo(mount, changes) => unix.mounts.ergo(&unix.root, &mount, &changes),
                UnixEffect::Ogre(mount) => unix.mounts.ogre(&unix.root, &mount),
                UnixEffect::Dirk(mount) => match unix.mounts.dirk(&unix.root, &mount) {
                    Some(changes) => {
                        let mut heap = Heap::new();
                        let ovum = unix::into(&mut heap, &unix.sev_knot, &mount, &changes);
                        inbox.push(&heap, ovum);
                    }
                    None => eprintln!("unix: %{mount} is not mounted"),
                },
            }
        }
    }
}
