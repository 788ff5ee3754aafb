//! The integration tests, one binary: behaviour through the public API, the command line and
//! the UI (egui_kittest). One binary links the console once (each linked copy is ~350 MB
//! with debug info), so a cold `cargo test` builds faster and fits a small disk.

mod common;

mod audit_chain;
mod backup;
mod company_files;
mod console;
mod crews_console;
mod demo_city;
mod dispatch;
mod export;
mod faults;
mod field;
mod glyphs;
mod hostile;
mod import;
mod import_fuzz;
mod kpi;
mod layers;
mod leaders;
mod lifecycle;
mod locks;
mod map;
mod mbtiles;
mod model;
mod nothing_lost;
mod phone_page;
mod picture;
mod planner;
mod problems;
mod room;
mod room_server;
mod serve;
mod store;
mod trace;
