//! Map colours and widths in one place, so the legend and the layers agree.

use egui::Color32;

use crate::domain::{Flow, TeamStatus, Tier};

pub const SELECTED: Color32 = Color32::from_rgb(0x00, 0x9d, 0xff);
pub const COMPOUND_EDGE: Color32 = Color32::from_rgb(0x6b, 0x7b, 0x8c);
pub const BUILDING_EDGE: Color32 = Color32::from_rgb(0x4a, 0x55, 0x60);
pub const LABEL: Color32 = Color32::from_rgb(0x20, 0x28, 0x30);
pub const LABEL_HALO: Color32 = Color32::from_rgba_premultiplied(0xf4, 0xf6, 0xf8, 0xc8);
pub const TEAM_LABEL: Color32 = Color32::from_rgb(0x0b, 0x3d, 0x91);
/// A team whose phone has not said where it is for ten minutes.
pub const STALE_TEAM: Color32 = Color32::from_rgb(0x9e, 0x9e, 0x9e);
pub const STALE_TEAM_LABEL: Color32 = Color32::from_rgb(0x61, 0x61, 0x61);
pub const STATION: Color32 = Color32::from_rgb(0x7b, 0x3f, 0xa0);
pub const SOURCE: Color32 = Color32::from_rgb(0xa0, 0x1c, 0x1c);
pub const VALVE: Color32 = Color32::from_rgb(0x2e, 0x7d, 0x32);
pub const VALVE_BROKEN: Color32 = Color32::from_rgb(0x55, 0x55, 0x55);
pub const OVERDUE: Color32 = Color32::from_rgb(0xd0, 0x10, 0x10);
pub const TRACE: Color32 = Color32::from_rgb(0x00, 0xb8, 0xd9);
/// A suspected network fault.
pub const ALERT: Color32 = Color32::from_rgb(0xe6, 0x51, 0x00);
/// A leaders' visit route.
pub const ROUTE: Color32 = Color32::from_rgb(0x6a, 0x1b, 0x9a);
pub const BACKGROUND: Color32 = Color32::from_rgb(0xee, 0xec, 0xe6);

/// Five classes from good (green) to bad (red), as in the legend.
pub const CLASS_COLOURS: [Color32; 5] = [
    Color32::from_rgb(0x1a, 0x98, 0x50),
    Color32::from_rgb(0x91, 0xcf, 0x60),
    Color32::from_rgb(0xfe, 0xe0, 0x8b),
    Color32::from_rgb(0xfc, 0x8d, 0x59),
    Color32::from_rgb(0xd7, 0x30, 0x27),
];
pub const NO_DATA: Color32 = Color32::from_rgb(0xbd, 0xbd, 0xbd);

pub fn class_colour(class: usize) -> Color32 {
    CLASS_COLOURS[class.min(4)]
}

pub fn severity_colour(worst: u8) -> Color32 {
    match worst {
        3 => Color32::from_rgb(0xc6, 0x28, 0x28),
        2 => Color32::from_rgb(0xef, 0x6c, 0x00),
        _ => Color32::from_rgb(0x15, 0x65, 0xc0),
    }
}

pub fn team_colour(status: TeamStatus) -> Color32 {
    match status {
        TeamStatus::Free => Color32::from_rgb(0x2e, 0x9d, 0x44),
        TeamStatus::OnRoute => Color32::from_rgb(0x1e, 0x88, 0xe5),
        TeamStatus::OnSite => Color32::from_rgb(0xef, 0x6c, 0x00),
        TeamStatus::OffShift => Color32::from_rgb(0x90, 0x90, 0x90),
    }
}

pub fn pipe_colour(tier: Tier, flow: Flow) -> Color32 {
    match (tier, flow) {
        (Tier::Primary, Flow::Supply) => Color32::from_rgb(0xb7, 0x1c, 0x1c),
        (Tier::Primary, Flow::Return) => Color32::from_rgb(0x15, 0x65, 0xc0),
        (Tier::Secondary, Flow::Supply) => Color32::from_rgb(0xe6, 0x51, 0x00),
        (Tier::Secondary, Flow::Return) => Color32::from_rgb(0x4f, 0x9c, 0xd9),
    }
}

/// Wider for bigger pipes, and a little wider as one zooms in.
pub fn pipe_width(dn: u32, zoom: f64) -> f32 {
    let base = (dn as f32 / 160.0).clamp(0.8, 5.0);
    base * (1.0 + ((zoom as f32 - 14.0).max(0.0) * 0.25))
}

/// The colour a leader reads a figure by.
pub fn rag_colour(rag: crate::domain::kpi::Rag) -> Color32 {
    use crate::domain::kpi::Rag;
    match rag {
        Rag::Green => Color32::from_rgb(0x2e, 0x7d, 0x32),
        Rag::Amber => Color32::from_rgb(0xe0, 0x8a, 0x00),
        Rag::Red => Color32::from_rgb(0xc6, 0x28, 0x28),
        Rag::NoData => Color32::GRAY,
    }
}

/// A round marker with an outline, drawn as filled discs (the outline a larger disc behind):
/// egui draws small filled discs from pre-rasterized images, two triangles each, where a
/// stroked circle is tessellated into a path of a hundred vertices — a city's pins are
/// thousands a frame.
pub fn marker(
    painter: &egui::Painter,
    at: egui::Pos2,
    r: f32,
    fill: Color32,
    outline: (f32, Color32),
) {
    painter.circle_filled(at, r + outline.0, outline.1);
    painter.circle_filled(at, r, fill);
}
