//! The conn driver's ECS glue: the reactor as a resource, a ship's control socket as a component.

use bevy_ecs::prelude::*;
use engine_io::Dispatcher;
use engine_io::conn::ConnServer;

/// The process's reactor, and which ship's socket each operation in flight belongs to.
#[derive(Resource)]
pub struct Io(pub Dispatcher<Entity>);

/// One ship's control socket.
#[derive(Component)]
pub struct Conn(pub ConnServer);

impl std::ops::Deref for Conn {
    type Target = ConnServer;
    fn deref(&self) -> &ConnServer {
        &self.0
    }
}

impl std::ops::DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut ConnServer {
        &mut self.0
    }
}
