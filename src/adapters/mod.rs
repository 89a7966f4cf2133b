//! The edges of the application: each adapter translates between the outside
//! world and the layers inside, and holds no rules of its own.

pub mod cli;
pub mod console;
pub mod discord;
pub mod http;
