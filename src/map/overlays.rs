//! What the console lays over the city: suspected network faults and a leaders' visit route.

use egui::{Align2, Color32, FontId, Response, Shape, Stroke, Ui, vec2};
use walkers::{MapMemory, Plugin, Projector};

use super::layers::{LabelPlacer, Screen};
use super::style;
use crate::domain::LonLat;

/// A point on the map that asks for attention, with the line that explains it.
#[derive(Debug, Clone, PartialEq)]
pub struct MapAlert {
    pub position: LonLat,
    pub text: String,
}

/// A warning sign at every suspected network fault; its label goes before all others, and
/// where it found no room (alerts crowd at district zoom) the sign says it on hover.
pub struct AlertLayer<'a> {
    pub gcj02: bool,
    pub labels: &'a std::cell::RefCell<LabelPlacer>,
    pub alerts: &'a [MapAlert],
}

impl Plugin for AlertLayer<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut Ui,
        response: &Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let screen = Screen {
            projector,
            gcj02: self.gcj02,
        };
        let painter = ui.painter();
        let clip = projector.clip_rect().expand(20.0);
        let pointer = response.hover_pos();
        let mut hovered: Option<&str> = None;
        // a slow pulse, so the eye finds it on a busy map
        let t = ui.input(|i| i.time);
        let pulse = (t * 2.0).sin().abs() as f32;
        let mut placer = self.labels.borrow_mut();
        for a in self.alerts {
            let at = screen.project(a.position);
            if !clip.contains(at) {
                continue;
            }
            if pointer.is_some_and(|p| p.distance(at) <= SIGN_RADIUS) {
                hovered = Some(&a.text);
            }
            painter.circle_stroke(
                at,
                14.0 + 6.0 * pulse,
                Stroke::new(2.0, style::ALERT.gamma_multiply(1.0 - 0.6 * pulse)),
            );
            let triangle = vec![
                at + vec2(0.0, -11.0),
                at + vec2(10.0, 7.0),
                at + vec2(-10.0, 7.0),
            ];
            painter.add(Shape::convex_polygon(
                triangle,
                style::ALERT,
                Stroke::new(1.5, Color32::WHITE),
            ));
            painter.text(
                at + vec2(0.0, 1.0),
                Align2::CENTER_CENTER,
                "!",
                FontId::proportional(12.0),
                Color32::WHITE,
            );
            placer.push(
                0,
                at + vec2(14.0, -10.0),
                Align2::LEFT_CENTER,
                a.text.clone(),
                12.0,
                style::ALERT,
            );
        }
        if let Some(text) = hovered {
            response.clone().on_hover_text_at_pointer(text);
        }
        if !self.alerts.is_empty() {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(50));
        }
    }
}

/// How far from an alert's sign the pointer still points at it (px): the sign and its pulse.
const SIGN_RADIUS: f32 = 16.0;

/// A leaders' visit day: where the car starts, and each stop with its name and the minutes
/// of driving that lead to it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RouteOverlay {
    pub start: LonLat,
    pub stops: Vec<(LonLat, String, f64)>,
}

/// The route as a line from the start through numbered stops, minutes on each leg.
pub struct RouteLayer<'a> {
    pub gcj02: bool,
    pub labels: &'a std::cell::RefCell<LabelPlacer>,
    pub route: &'a RouteOverlay,
}

impl Plugin for RouteLayer<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let screen = Screen {
            projector,
            gcj02: self.gcj02,
        };
        let painter = ui.painter();
        let start = screen.project(self.route.start);
        let mut points = vec![start];
        points.extend(self.route.stops.iter().map(|s| screen.project(s.0)));
        painter.add(Shape::dashed_line(
            &points,
            Stroke::new(3.0, style::ROUTE),
            10.0,
            5.0,
        ));
        painter.rect_filled(
            egui::Rect::from_center_size(start, vec2(12.0, 12.0)),
            2.0,
            style::ROUTE,
        );
        let mut placer = self.labels.borrow_mut();
        for (k, (stop, (_, name, minutes))) in points[1..].iter().zip(&self.route.stops).enumerate()
        {
            let prev = points[k];
            let mid = prev + (*stop - prev) * 0.5;
            placer.push(
                1,
                mid,
                Align2::CENTER_CENTER,
                format!("{minutes:.0} min"),
                10.0,
                style::ROUTE,
            );
            painter.circle(*stop, 11.0, style::ROUTE, Stroke::new(2.0, Color32::WHITE));
            painter.text(
                *stop,
                Align2::CENTER_CENTER,
                (k + 1).to_string(),
                FontId::proportional(12.0),
                Color32::WHITE,
            );
            placer.push(
                0,
                *stop + vec2(14.0, 0.0),
                Align2::LEFT_CENTER,
                name.clone(),
                12.0,
                style::ROUTE,
            );
        }
    }
}

/// The distance tool: the points clicked, joined, with the distance so far at each.
pub struct MeasureLayer<'a> {
    pub gcj02: bool,
    pub points: &'a [LonLat],
}

/// Metres between two points (haversine on a sphere of the earth's mean radius).
pub fn metres(a: LonLat, b: LonLat) -> f64 {
    crate::domain::suggest::distance_km(a, b) * 1000.0
}

/// "850 m" / "1.25 km".
pub fn distance_text(m: f64) -> String {
    if m < 1000.0 {
        format!("{m:.0} m")
    } else {
        format!("{:.2} km", m / 1000.0)
    }
}

impl Plugin for MeasureLayer<'_> {
    fn run(self: Box<Self>, ui: &mut Ui, _: &Response, projector: &Projector, _: &MapMemory) {
        let screen = Screen {
            projector,
            gcj02: self.gcj02,
        };
        let painter = ui.painter();
        let ink = Color32::from_rgb(0x6a, 0x1b, 0x9a);
        let at: Vec<egui::Pos2> = self.points.iter().map(|p| screen.project(*p)).collect();
        painter.add(Shape::line(at.clone(), Stroke::new(2.5, ink)));
        let mut total = 0.0;
        for (i, p) in at.iter().enumerate() {
            if i > 0 {
                total += metres(self.points[i - 1], self.points[i]);
            }
            painter.circle_filled(*p, 4.5, Color32::WHITE);
            painter.circle_stroke(*p, 4.5, Stroke::new(2.0, ink));
            if i > 0 {
                let text = distance_text(total);
                let galley = painter.layout_no_wrap(text, FontId::proportional(12.0), ink);
                let r = Align2::LEFT_BOTTOM.anchor_size(*p + vec2(8.0, -6.0), galley.size());
                painter.rect_filled(r.expand(2.0), 3.0, Color32::from_white_alpha(230));
                painter.galley(r.min, galley, ink);
            }
        }
    }
}
