//! The city's rows: departments, compounds, buildings, sources, stations, pipes, valves, teams.

use super::bilingual::{Bilingual, bilingual, words};
use super::columns::{Row, labels};
use super::import::Importer;
use super::kind::{Geom, Kind};
use super::records::Record;
use super::shape::{self, Shape};
use crate::domain::*;
use crate::words::{self, Lang};

impl Importer {
    /// The record's geometry, converted and checked, as the kind needs it.
    fn geometry(&mut self, row: &mut Row<'_, '_>, want: Geom) -> Option<Shape> {
        let Some(shape) = &row.rec.shape else {
            row.fail(bilingual!("has no geometry", "没有几何"));
            return None;
        };
        let mut shape = match shape {
            Ok(s) => s.clone(),
            Err(e) => {
                row.fail(geometry(e));
                return None;
            }
        };
        let empty = match &shape {
            Shape::Point(_) => false,
            Shape::Lines(lines) => lines.is_empty(),
            Shape::Polygons(polygons) => polygons.is_empty(),
        };
        if empty {
            row.fail(bilingual!("geometry is empty", "几何为空"));
            return None;
        }
        if let Some(converter) = &self.converter {
            for (i, p) in shape.points_mut().enumerate() {
                match converter.point(*p) {
                    Ok(q) => *p = q,
                    Err(e) => {
                        let n = i + 1;
                        let (en, zh) = (e.en, e.zh);
                        row.fail(bilingual!(
                            "geometry: coordinate {n} {en}",
                            "几何：第 {n} 个坐标{zh}"
                        ));
                        return None;
                    }
                }
            }
        }
        if let Err(e) = shape::check_coordinates(&shape) {
            row.fail(geometry(&e));
            return None;
        }
        let fits = matches!(
            (&shape, want),
            (Shape::Point(_), Geom::Point)
                | (Shape::Lines(_), Geom::Line)
                | (Shape::Polygons(_), Geom::Polygon)
        );
        if !fits {
            let needed = |lang: Lang| match want {
                Geom::Point => lang.pick("点", "a point"),
                Geom::Line => lang.pick("线", "a line"),
                Geom::Polygon => lang.pick("面", "a polygon"),
            };
            let (is_en, is_zh) = (shape.name(Lang::En), shape.name(Lang::Zh));
            let (need_en, need_zh) = (needed(Lang::En), needed(Lang::Zh));
            let kind = self.options.kind;
            let (kind_en, kind_zh) = (kind.code(), kind.name(Lang::Zh));
            row.fail(bilingual!(
                "geometry is {is_en} where {kind_en} need {need_en}",
                "几何是{is_zh}，而{kind_zh}需要{need_zh}"
            ));
            return None;
        }
        if let Shape::Polygons(polygons) = &shape {
            for (i, rings) in polygons.iter().enumerate() {
                if let Err(e) = shape::check_polygon(rings) {
                    let mut message = geometry(&e);
                    if polygons.len() > 1 {
                        let (n, en, zh) = (i + 1, &e.en, &e.zh);
                        message =
                            bilingual!("geometry (part {n}): {en}", "几何（第 {n} 部分）：{zh}");
                    }
                    row.fail(message);
                    return None;
                }
            }
        }
        Some(shape)
    }

    /// The outline (the largest part's outer ring) and its holes and other parts.
    fn rings(&mut self, row: &mut Row<'_, '_>) -> Option<(Vec<LonLat>, ExtraRings)> {
        let Shape::Polygons(polygons) = self.geometry(row, Geom::Polygon)? else {
            unreachable!("checked: a polygon")
        };
        Some(shape::outline(&polygons))
    }

    fn point(&mut self, row: &mut Row<'_, '_>) -> Option<LonLat> {
        match self.geometry(row, Geom::Point)? {
            Shape::Point(p) => Some(p),
            _ => unreachable!("checked: a point"),
        }
    }

    pub(super) fn department(&mut self, rec: &Record<'_>) {
        let Some((id, new)) = self.assign(rec) else {
            return;
        };
        let mut row = Row::new(rec, Kind::Departments);
        let name = row.required("name");
        if !self.accept_row(row) {
            return;
        }
        self.out.departments.push(Department {
            id,
            name: name.unwrap_or_default().to_string(),
        });
        self.kept(rec, new);
    }

    pub(super) fn compound(&mut self, rec: &Record<'_>) {
        // without an id column: found again by its name, else a new compound
        let assigned = if rec.has(0) {
            self.assign(rec)
        } else {
            self.assign_compound(rec)
        };
        let mut row = Row::new(rec, Kind::Compounds);
        let name = row.required("name");
        let Some((id, new)) = assigned else {
            self.accept_row(row);
            return;
        };
        let address = row.text("address");
        let households = row.count("households", None);
        let outline = self.rings(&mut row);
        let centre = outline.as_ref().map(|(o, _)| centroid(o));
        let department = self.department_ref(&mut row, Kind::Compounds, centre);
        if !self.accept_row(row) {
            return;
        }
        let (outline, extra) = outline.unwrap_or_default();
        self.out.compounds.push(Compound {
            id,
            name: name.unwrap_or_default().to_string(),
            address: address.to_string(),
            department_id: department.unwrap_or_default(),
            households: households.unwrap_or_default(),
            outline,
            extra,
        });
        self.kept(rec, new);
    }

    pub(super) fn building(&mut self, rec: &Record<'_>) {
        let mut row = Row::new(rec, Kind::Buildings);
        let compound = self.compound_ref(&mut row, Kind::Buildings);
        // without an id column: found again by its compound and number, else a new building
        let assigned = if rec.has(0) {
            self.assign(rec)
        } else {
            match compound.given() {
                Some(c) => self.assign_building(rec, c),
                None => None,
            }
        };
        let Some((id, new)) = assigned else {
            self.accept_row(row);
            return;
        };
        let number = row.required("number");
        let units = row.count("units", Some(1));
        let floors = row.count("floors", Some(1));
        let households = row.count("households", None);
        let footprint = self.rings(&mut row);
        let centre = footprint.as_ref().map(|(f, _)| centroid(f));
        let station = self.station_ref(&mut row, centre);
        if !self.accept_row(row) {
            return;
        }
        let (footprint, extra) = footprint.unwrap_or_default();
        let current = if new {
            None
        } else {
            self.places().building(id).map(|b| b.entry_node)
        };
        let entry = self.own_node(
            rec.get(Kind::Buildings.field("entry_node_id")),
            current,
            NodeKind::BuildingEntry,
            centroid(&footprint),
        );
        let building = Building {
            id,
            compound_id: compound.given().unwrap_or_default(),
            number: number.unwrap_or_default().to_string(),
            units: units.unwrap_or(1),
            floors: floors.unwrap_or(1),
            households: households.unwrap_or_default(),
            station_id: station.unwrap_or_default(),
            entry_node: entry,
            footprint,
            extra,
        };
        self.places().put_building(building.clone());
        self.out.buildings.push(building);
        self.kept(rec, new);
    }

    /// A heat source or a station: a named point with a node of its own.
    pub(super) fn plant(&mut self, rec: &Record<'_>) {
        let kind = self.options.kind;
        let Some((id, new)) = self.assign(rec) else {
            return;
        };
        let mut row = Row::new(rec, kind);
        let name = row.required("name");
        let position = self.point(&mut row);
        let (department, capacity) = if kind == Kind::Stations {
            let d = self.department_ref(&mut row, Kind::Stations, position);
            (d, None)
        } else {
            (None, row.number("capacity_mw", Some(0.0)))
        };
        if !self.accept_row(row) {
            return;
        }
        let position = position.expect("checked");
        let current = if new {
            None
        } else if kind == Kind::Stations {
            let snap = &self.places().snap;
            snap.stations.iter().find(|s| s.id == id).map(|s| s.node)
        } else {
            let snap = &self.places().snap;
            snap.sources.iter().find(|s| s.id == id).map(|s| s.node)
        };
        let node_kind = if kind == Kind::Stations {
            NodeKind::Station
        } else {
            NodeKind::Source
        };
        let node = self.own_node(rec.get(kind.field("node_id")), current, node_kind, position);
        let name = name.unwrap_or_default().to_string();
        if kind == Kind::Stations {
            let station = Station {
                id,
                name,
                department_id: department.unwrap_or_default(),
                node,
                position,
            };
            self.places().put_station(station.clone());
            self.out.stations.push(station);
        } else {
            let source = HeatSource {
                id,
                name,
                node,
                capacity_mw: capacity.unwrap_or_default(),
                position,
            };
            self.places().put_source(source.clone());
            self.out.sources.push(source);
        }
        self.kept(rec, new);
    }

    pub(super) fn pipe(&mut self, rec: &Record<'_>) {
        let Some((id, new)) = self.assign(rec) else {
            return;
        };
        let mut row = Row::new(rec, Kind::Pipes);
        let tier = row.code(
            "tier",
            None,
            Tier::from_code,
            &[
                ("一次网", Tier::Primary),
                ("二次网", Tier::Secondary),
                ("一次", Tier::Primary),
                ("二次", Tier::Secondary),
            ],
        );
        let flow = row.code(
            "flow",
            Some(Flow::Supply),
            Flow::from_code,
            &[
                ("供水", Flow::Supply),
                ("回水", Flow::Return),
                ("供", Flow::Supply),
                ("回", Flow::Return),
            ],
        );
        let dn = row.count("dn", Some(0));
        let laid = row.value(
            "laid_year",
            Some(0u16),
            |v| {
                v.parse::<u16>()
                    .ok()
                    .filter(|y| *y == 0 || (1900..=2100).contains(y))
            },
            words("a year", "年份"),
        );
        let (from, to) = (row.text("from_node"), row.text("to_node"));
        if from.is_empty() != to.is_empty() {
            row.fail_field(
                if from.is_empty() {
                    "from_node"
                } else {
                    "to_node"
                },
                bilingual!(
                    "give both ends' nodes, or neither (the ends are then snapped)",
                    "两端节点要么都填，要么都不填（不填则自动吸附）"
                ),
            );
        }
        let path = match self.geometry(&mut row, Geom::Line) {
            Some(Shape::Lines(lines)) => match shape::polyline(&lines) {
                Ok(p) => Some(p),
                Err(e) => {
                    row.fail(geometry(&e));
                    None
                }
            },
            _ => None,
        };
        if !self.accept_row(row) {
            return;
        }
        let path = path.expect("checked");
        let supply = flow == Some(Flow::Supply);
        let a = self.pipe_end(from, path[0], supply);
        let b = self.pipe_end(to, *path.last().expect("two points"), supply);
        if a == b {
            let mut row = Row::new(rec, Kind::Pipes);
            let snap = self.options.snap_m;
            let node = shown_node(a);
            let (en, zh) = (&node.en, &node.zh);
            row.fail(bilingual!(
                "both ends join {en}: the pipe is shorter than the snap tolerance ({snap} m)",
                "两端都吸附到{zh}：管段短于吸附容差（{snap} 米）"
            ));
            self.accept_row(row);
            return;
        }
        if from.is_empty() {
            self.snapped.push(id);
        }
        let pipe = PipeSegment {
            id,
            from: a,
            to: b,
            tier: tier.unwrap_or(Tier::Secondary),
            flow: flow.unwrap_or(Flow::Supply),
            dn: dn.unwrap_or_default(),
            laid_year: laid.unwrap_or_default(),
            path,
        };
        self.places().put_segment(pipe.clone());
        self.out.pipes.push(pipe);
        self.kept(rec, new);
    }

    pub(super) fn valve(&mut self, rec: &Record<'_>) {
        let Some((id, new)) = self.assign(rec) else {
            return;
        };
        let mut row = Row::new(rec, Kind::Valves);
        let segment = row.reference(
            "segment_id",
            self.ids(Kind::Pipes),
            words("pipe segment", "管段"),
            false,
        );
        let operable = row.flag("operable", true);
        let position = self.point(&mut row);
        if !row.ok() {
            self.accept_row(row);
            return;
        }
        let position = position.expect("checked");
        let segment = match segment.given() {
            Some(s) => Some(s),
            None => {
                let tolerance = self.options.snap_m.max(5.0);
                let found = self.snapper().nearest_supply(position, tolerance);
                if found.is_none() {
                    row.fail(bilingual!(
                        "no supply pipe within {tolerance} m of the valve (or give segment_id)",
                        "阀门 {tolerance} 米内没有供水管（或填写管段编号）"
                    ));
                }
                found
            }
        };
        if !self.accept_row(row) {
            return;
        }
        self.out.valves.push(Valve {
            id,
            segment: segment.unwrap_or_default(),
            position,
            operable: operable.unwrap_or(true),
        });
        self.kept(rec, new);
    }

    pub(super) fn team(&mut self, rec: &Record<'_>) {
        let Some((id, new)) = self.assign(rec) else {
            return;
        };
        let mut row = Row::new(rec, Kind::Teams);
        let name = row.required("name");
        let department = self.department_ref(&mut row, Kind::Teams, None).map(Some);
        let members: Vec<String> = split_list(row.text("members")).map(String::from).collect();
        let skill_labels = labels(Skill::ALL, words::skill);
        let mut skills = Vec::new();
        for s in split_list(row.text("skills")) {
            match Skill::from_code(&s.to_lowercase()).or_else(|| {
                skill_labels
                    .iter()
                    .find(|(l, _)| l.eq_ignore_ascii_case(s))
                    .map(|&(_, k)| k)
            }) {
                Some(k) if !skills.contains(&k) => skills.push(k),
                Some(_) => {}
                None => row.fail_field(
                    "skills",
                    bilingual!("unknown skill \"{s}\"", "无法识别的技能“{s}”"),
                ),
            }
        }
        let status = row.code(
            "status",
            Some(TeamStatus::Free),
            TeamStatus::from_code,
            &labels(TeamStatus::ALL, words::team_status),
        );
        let home = self.point(&mut row);
        if !self.accept_row(row) {
            return;
        }
        let home = home.expect("checked");
        // a new team starts at its base; an updated one stays where the console last saw it
        self.out.teams.push(Team {
            id,
            name: name.unwrap_or_default().to_string(),
            department_id: department.flatten().unwrap_or_default(),
            members,
            skills,
            home_base: home,
            position: home,
            status: status.unwrap_or(TeamStatus::Free),
        });
        self.kept(rec, new);
    }
}

/// "张三、李四, 王五" → the names.
pub(super) fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', '，', '、', ';', '；', '/'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A node as the report names it (a new one has no number yet).
pub(super) fn shown_node(id: NodeId) -> Bilingual {
    if crate::domain::batch::is_provisional(id) {
        bilingual!("a new node", "新节点")
    } else {
        bilingual!("node {id}", "节点 {id}")
    }
}

/// A geometry problem, said as one.
fn geometry(e: &Bilingual) -> Bilingual {
    let (en, zh) = (&e.en, &e.zh);
    bilingual!("geometry: {en}", "几何：{zh}")
}
