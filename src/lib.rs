//! HeatDesk: a desktop dispatch console for district-heating customer service.

pub mod bench;
pub mod console;
pub mod demo;
pub mod domain;
pub mod exchange;
pub mod export;
pub mod logging;
pub mod map;
pub mod serve;
pub mod soak;
pub mod store;
pub mod ui;
pub mod words;
