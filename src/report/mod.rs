//! The report: serde wire types ([`model`]), JSON / JSON Lines writers
//! ([`json`]) and the human summary ([`summary`]).

pub mod json;
pub mod model;
pub mod summary;

pub use model::*;
