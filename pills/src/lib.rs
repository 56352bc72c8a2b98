//! Pill formats (ivory, brass, solid) and the boot sequences built from them. Pill files are data kept
//! outside the repository: the user gives their path.
//!
//! Not built yet: it follows the Nock VM.
