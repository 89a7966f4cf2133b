//! The pure domain core: no I/O, no async, no clock of its own. Everything
//! here is a function of its arguments, which is what makes it testable
//! exhaustively.

pub mod calendar;
pub mod classify;
pub mod customer;
pub mod escalation;
pub mod rating;
pub mod record;
pub mod signature;
pub mod sla;
pub mod summary;
pub mod text;
pub mod ticket;
