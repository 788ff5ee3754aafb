//! CPU time to build one frame of the map over the city-scale data set (`--scale city`) at
//! three zooms, against a naive baseline that draws every shape every frame, in the same run.
//!
//! A "frame" is the whole egui pass with the map in it plus tessellation into meshes: what
//! the CPU does before the GPU draws. Run: `cargo bench --bench map_frame`.
//!
//! `teams_moving_*`: every team (about 200) with a phone reporting where it is, each marker
//! moved before every frame (some positions stale, each labelled with its age from zoom 14).

use criterion::{Criterion, criterion_group, criterion_main};
use egui::{Pos2, Shape, Stroke};
use heatdesk::console::views::board::Board;
use heatdesk::console::views::colours::{AnswerSums, Colours};
use heatdesk::console::views::counts::MapCounts;
use heatdesk::demo::{self, DemoParams, Scale};
use heatdesk::domain::{LonLat, Snapshot};
use heatdesk::map::layers::Screen;
use heatdesk::map::{Basemap, LayerToggles, MapSettings, MapView, Shading};
use walkers::{MapMemory, Plugin, Projector, lon_lat};

fn raw_input() -> egui::RawInput {
    egui::RawInput {
        screen_rect: Some(egui::Rect::from_min_size(
            Pos2::ZERO,
            egui::vec2(1000.0, 700.0),
        )),
        ..Default::default()
    }
}

/// Run one full frame and tessellate it; returns the number of primitives (to keep it alive).
fn frame(ctx: &egui::Context, mut draw: impl FnMut(&mut egui::Ui)) -> usize {
    let output = ctx.run_ui(raw_input(), |ui| {
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| draw(ui));
    });
    ctx.tessellate(output.shapes, output.pixels_per_point).len()
}

/// The baseline: every compound, building and pipe projected and drawn, every frame.
struct DrawEverything<'a> {
    snap: &'a Snapshot,
}

impl Plugin for DrawEverything<'_> {
    fn run(
        self: Box<Self>,
        ui: &mut egui::Ui,
        _: &egui::Response,
        projector: &Projector,
        _: &MapMemory,
    ) {
        let screen = Screen {
            projector,
            gcj02: false,
        };
        let painter = ui.painter();
        let poly = |ring: &[LonLat]| {
            ring.iter()
                .map(|&p| screen.project(p))
                .collect::<Vec<Pos2>>()
        };
        for c in &self.snap.compounds {
            painter.add(Shape::convex_polygon(
                poly(&c.outline),
                egui::Color32::LIGHT_GREEN,
                Stroke::new(1.0, egui::Color32::GRAY),
            ));
        }
        for b in &self.snap.buildings {
            painter.add(Shape::convex_polygon(
                poly(&b.footprint),
                egui::Color32::LIGHT_GRAY,
                Stroke::new(0.8, egui::Color32::DARK_GRAY),
            ));
        }
        for p in &self.snap.segments {
            painter.add(Shape::line(
                poly(&p.path),
                Stroke::new(1.5, egui::Color32::RED),
            ));
        }
    }
}

fn bench(c: &mut Criterion) {
    let now = demo::noon(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).expect("valid date"));
    let city = demo::generate(&DemoParams::new(Scale::City, now));
    let snap = city.snapshot;
    let centre = {
        let c = &snap.compounds[snap.compounds.len() / 2];
        c.outline[0]
    };
    let settings = MapSettings {
        basemap: Basemap::None,
        ..MapSettings::default()
    };
    let ctx = egui::Context::default();
    heatdesk::ui::install_fonts(&ctx);
    let mut view = MapView::new(15.0);
    // what the console's views keep for the map: counts and colours
    let facts = heatdesk::domain::kpi::KpiFacts::of(&snap);
    let board = Board::derive(&snap, facts.settled());
    let counts = MapCounts::count(&snap, &board.open, now);
    let colours = Colours::of(
        &snap,
        settings.metric,
        &counts,
        &AnswerSums::count(&snap, &facts),
    );
    let shading = Shading {
        counts: &counts,
        colours: &colours,
    };
    // build the index and warm the font atlas once, as the console does at start
    view.fly_to(centre, 15.0);
    // the console's map, all layers on, nothing selected
    let focus = heatdesk::map::Focus {
        now,
        ..Default::default()
    };
    let draw = |view: &mut MapView, ui: &mut egui::Ui| {
        view.show(
            ui,
            &snap,
            shading,
            LayerToggles::default(),
            &settings,
            focus,
            centre,
        );
    };
    frame(&ctx, |ui| {
        draw(&mut view, ui);
    });

    let mut group = c.benchmark_group("map_frame_city");
    group.sample_size(20);
    // from the whole city to a building: ticket bubbles below zoom 15.5, pins from there
    for zoom in [11.0, 12.5, 14.0, 15.0, 16.0, 17.5] {
        view.fly_to(centre, zoom);
        group.bench_function(format!("heatdesk_zoom_{zoom}"), |b| {
            b.iter(|| {
                frame(&ctx, |ui| {
                    draw(&mut view, ui);
                })
            })
        });
        let mut memory = MapMemory::default();
        memory.center_at(lon_lat(centre[0], centre[1]));
        let _ = memory.set_zoom(zoom);
        group.bench_function(format!("naive_zoom_{zoom}"), |b| {
            b.iter(|| {
                frame(&ctx, |ui| {
                    let map = walkers::Map::new(None, &mut memory, lon_lat(centre[0], centre[1]))
                        .with_plugin(DrawEverything { snap: &snap });
                    ui.add(map);
                })
            })
        });
    }
    // the teams' phones: every team round the centre, its position reported some minutes ago
    let mut moving = snap.clone();
    let teams = moving.teams.len();
    for (i, t) in moving.teams.iter_mut().enumerate() {
        let angle = i as f64 / teams as f64 * std::f64::consts::TAU;
        t.position = [
            centre[0] + 0.02 * angle.cos(),
            centre[1] + 0.015 * angle.sin(),
        ];
    }
    moving.positions = moving
        .teams
        .iter()
        .enumerate()
        .map(|(i, t)| heatdesk::domain::crew::TeamPosition {
            team_id: t.id,
            position: t.position,
            accuracy_m: 12.0,
            at: now - chrono::Duration::minutes((i % 15) as i64),
            by: format!("phone{i:03}"),
        })
        .collect();
    for zoom in [12.5, 14.0] {
        view.fly_to(centre, zoom);
        let mut step = 0u64;
        group.bench_function(format!("teams_moving_{}_zoom_{zoom}", teams), |b| {
            b.iter(|| {
                // every marker moves a few metres, as the phones report
                step += 1;
                let d = if step.is_multiple_of(2) {
                    0.00005
                } else {
                    -0.00005
                };
                for (t, p) in moving.teams.iter_mut().zip(moving.positions.iter_mut()) {
                    t.position[0] += d;
                    p.position = t.position;
                }
                frame(&ctx, |ui| {
                    view.show(
                        ui,
                        &moving,
                        shading,
                        LayerToggles::default(),
                        &settings,
                        focus,
                        centre,
                    );
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
