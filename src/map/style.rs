//! Map colours and widths in one place, so the legend and the layers agree.

use egui::Color32;

use crate::domain::{Flow, TeamStatus, Tier};

pub const SELECTED: Color32 = Color32::from_rgb(0x00, 0x9d, 0xff);
pub const COMPOUND_EDGE: Color32 = Color32::from_rgb(0x6b, 0x7b, 0x8c);
pub const BUILDING_EDGE: Color32 = Color32::from_rgb(0x4a, 0x55, 0x60);
pub const LABEL: Color32 = Color32::from_rgb(0x20, 0x28, 0x30);
pub const LABEL_HALO: Color32 = Color32::from_rgba_premultiplied(0xf4, 0xf6, 0xf8, 0xc8);
pub const TEAM_LABEL: Color32 = Color32::from_rgb(0x0b, 0x3d, 0x91);
pub const STATION: Color32 = Color32::from_rgb(0x7b, 0x3f, 0xa0);
pub const SOURCE: Color32 = Color32::from_rgb(0xa0, 0x1c, 0x1c);
pub const VALVE: Color32 = Color32::from_rgb(0x2e, 0x7d, 0x32);
pub const VALVE_BROKEN: Color32 = Color32::from_rgb(0x55, 0x55, 0x55);
pub const OVERDUE: Color32 = Color32::from_rgb(0xd0, 0x10, 0x10);
pub const BACKGROUND: Color32 = Color32::from_rgb(0xee, 0xec, 0xe6);

/// Green (quiet) → amber → red (many open faults); `x` is 0 for none, 1 and more for many.
pub fn fault_ramp(x: f32) -> Color32 {
    let x = x.clamp(0.0, 1.0);
    let (a, b, t) = if x < 0.5 {
        ((0x8c, 0xc0, 0x84), (0xf2, 0xc1, 0x4e), x * 2.0)
    } else {
        ((0xf2, 0xc1, 0x4e), (0xd6, 0x3c, 0x2f), (x - 0.5) * 2.0)
    };
    let lerp = |p: u8, q: u8| (p as f32 + (q as f32 - p as f32) * t).round() as u8;
    Color32::from_rgb(lerp(a.0, b.0), lerp(a.1, b.1), lerp(a.2, b.2))
}

pub fn building_fill(open: u32) -> Color32 {
    match open {
        0 => Color32::from_rgb(0xb8, 0xc4, 0xd0),
        1 => Color32::from_rgb(0xf2, 0xc1, 0x4e),
        2 => Color32::from_rgb(0xee, 0x8a, 0x3c),
        _ => Color32::from_rgb(0xd6, 0x3c, 0x2f),
    }
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
