//! The report: serde wire types ([`model`]), JSON / JSON Lines writers
//! ([`json`]), the human summary ([`summary`]) and the HTML page ([`html`]).

pub mod html;
pub mod json;
pub mod model;
pub mod summary;

pub use model::*;
