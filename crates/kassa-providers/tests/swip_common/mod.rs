//! Helpers the SWiP (and Flexiti) tests share.

pub mod json;
