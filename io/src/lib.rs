//! The io_uring reactor and the I/O drivers: behn (timers), ames (UDP), http (Eyre's server), cttp (Iris's
//! client), term (Dill), unix (Clay sync) and conn (the control socket).
//!
//! Not built yet: it follows the event log and the tick loop.
