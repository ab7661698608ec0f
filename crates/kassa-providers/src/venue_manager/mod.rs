//! Venue Manager shop API, Core (seeds/001).
//!
//! Being written: `client.rs` (requests, headers, auth, error mapping) and `wire.rs`
//! (bodies as the document spells them, conversions to kassa-core types).
