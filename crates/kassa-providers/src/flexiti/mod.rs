//! Flexiti POS API v2.5.1 (seeds/002).
//!
//! Being written: `client.rs` (requests, headers, auth, error mapping) and `wire.rs`
//! (bodies as the document spells them, conversions to kassa-core types).
