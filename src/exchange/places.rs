//! The city's rows: departments, compounds, buildings, sources, stations, pipes, valves, teams.

use rusqlite::params;

use super::fields::{Row, labels};
use super::import::Importer;
use super::kind::{Geom, Kind};
use super::records::Record;
use super::said::{Said, said, words};
use super::shape::{self, Shape};
use crate::domain::{ExtraRings, Flow, LonLat, NodeKind, Skill, TeamStatus, Tier, centroid};
use crate::store::codec::{encode_path, encode_rings};
use crate::words::{self, Lang};

type Written = Result<(), crate::store::StoreError>;

impl Importer<'_> {
    /// The record's geometry, converted and checked, as the kind needs it.
    fn geometry(&mut self, row: &mut Row<'_, '_>, want: Geom) -> Option<Shape> {
        let Some(shape) = &row.rec.shape else {
            row.fail(said!("has no geometry", "没有几何"));
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
            row.fail(said!("geometry is empty", "几何为空"));
            return None;
        }
        if self.options.gcj02 {
            shape::gcj02_to_wgs84(&mut shape);
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
            row.fail(said!(
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
                        message = said!("geometry (part {n}): {en}", "几何（第 {n} 部分）：{zh}");
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

    pub(super) fn department(&mut self, rec: &Record<'_>) -> Written {
        let Some((id, new)) = self.assign(rec) else {
            return Ok(());
        };
        let mut row = Row::new(rec, Kind::Departments);
        let name = row.required("name");
        if !self.accept(row.found) {
            return Ok(());
        }
        self.tx
            .prepare_cached(
                "INSERT INTO departments (id, name) VALUES (?1, ?2)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name",
            )?
            .execute(params![id, name])?;
        self.counted(new);
        Ok(())
    }

    pub(super) fn compound(&mut self, rec: &Record<'_>) -> Written {
        let Some((id, new)) = self.assign(rec) else {
            return Ok(());
        };
        let mut row = Row::new(rec, Kind::Compounds);
        let name = row.required("name");
        let address = row.text("address");
        let department = row.reference(
            "department_id",
            self.ids(Kind::Departments),
            words("department", "服务部"),
            true,
        );
        let households = row.count("households", None);
        let outline = self.rings(&mut row);
        if !self.accept(row.found) {
            return Ok(());
        }
        let (outline, extra) = outline.unwrap_or_default();
        self.tx
            .prepare_cached(
                "INSERT INTO compounds (id, name, address, department_id, households, outline, extra_rings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, address = excluded.address,
                     department_id = excluded.department_id, households = excluded.households,
                     outline = excluded.outline, extra_rings = excluded.extra_rings",
            )?
            .execute(params![
                id,
                name,
                address,
                department.flatten(),
                households,
                encode_path(&outline),
                encode_rings(&extra)
            ])?;
        self.counted(new);
        Ok(())
    }

    pub(super) fn building(&mut self, rec: &Record<'_>) -> Written {
        let Some((id, new)) = self.assign(rec) else {
            return Ok(());
        };
        let mut row = Row::new(rec, Kind::Buildings);
        let compound = row.reference(
            "compound_id",
            self.ids(Kind::Compounds),
            words("compound", "小区"),
            true,
        );
        let number = row.required("number");
        let units = row.count("units", Some(1));
        let floors = row.count("floors", Some(1));
        let households = row.count("households", None);
        let station = row.reference(
            "station_id",
            self.ids(Kind::Stations),
            words("station", "换热站"),
            true,
        );
        let footprint = self.rings(&mut row);
        if !self.accept(row.found) {
            return Ok(());
        }
        let (footprint, extra) = footprint.unwrap_or_default();
        let current = if new {
            None
        } else {
            self.tx
                .prepare_cached("SELECT entry_node_id FROM buildings WHERE id = ?1")?
                .query_row([id], |r| r.get(0))
                .ok()
        };
        let entry = self.own_node(
            rec.get(Kind::Buildings.field("entry_node_id")),
            current,
            NodeKind::BuildingEntry,
            centroid(&footprint),
        )?;
        self.tx
            .prepare_cached(
                "INSERT INTO buildings (id, compound_id, number, units, floors, households, station_id, entry_node_id, footprint, extra_rings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT (id) DO UPDATE SET compound_id = excluded.compound_id, number = excluded.number,
                     units = excluded.units, floors = excluded.floors, households = excluded.households,
                     station_id = excluded.station_id, entry_node_id = excluded.entry_node_id,
                     footprint = excluded.footprint, extra_rings = excluded.extra_rings",
            )?
            .execute(params![
                id,
                compound.flatten(),
                number,
                units,
                floors,
                households,
                station.flatten(),
                entry,
                encode_path(&footprint),
                encode_rings(&extra)
            ])?;
        self.counted(new);
        Ok(())
    }

    /// A heat source or a station: a named point with a node of its own.
    pub(super) fn plant(&mut self, rec: &Record<'_>) -> Written {
        let kind = self.options.kind;
        let Some((id, new)) = self.assign(rec) else {
            return Ok(());
        };
        let mut row = Row::new(rec, kind);
        let name = row.required("name");
        let (department, capacity) = if kind == Kind::Stations {
            let d = row.reference(
                "department_id",
                self.ids(Kind::Departments),
                words("department", "服务部"),
                true,
            );
            (d.flatten(), None)
        } else {
            (None, row.number("capacity_mw", Some(0.0)))
        };
        let position = self.point(&mut row);
        if !self.accept(row.found) {
            return Ok(());
        }
        let position = position.expect("checked");
        let current = if new {
            None
        } else {
            self.tx
                .prepare_cached(&format!(
                    "SELECT node_id FROM {} WHERE id = ?1",
                    kind.table()
                ))?
                .query_row([id], |r| r.get(0))
                .ok()
        };
        let node_kind = if kind == Kind::Stations {
            NodeKind::Station
        } else {
            NodeKind::Source
        };
        let node = self.own_node(rec.get(kind.field("node_id")), current, node_kind, position)?;
        if kind == Kind::Stations {
            self.tx
                .prepare_cached(
                    "INSERT INTO stations (id, name, department_id, node_id, lon, lat) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, department_id = excluded.department_id,
                         node_id = excluded.node_id, lon = excluded.lon, lat = excluded.lat",
                )?
                .execute(params![id, name, department, node, position[0], position[1]])?;
        } else {
            self.tx
                .prepare_cached(
                    "INSERT INTO heat_sources (id, name, node_id, capacity_mw, lon, lat) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name, node_id = excluded.node_id,
                         capacity_mw = excluded.capacity_mw, lon = excluded.lon, lat = excluded.lat",
                )?
                .execute(params![id, name, node, capacity, position[0], position[1]])?;
        }
        self.counted(new);
        Ok(())
    }

    pub(super) fn pipe(&mut self, rec: &Record<'_>) -> Written {
        let Some((id, new)) = self.assign(rec) else {
            return Ok(());
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
                said!(
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
        if !self.accept(row.found) {
            return Ok(());
        }
        let path = path.expect("checked");
        let supply = flow == Some(Flow::Supply);
        let a = self.pipe_end(from, path[0], supply)?;
        let b = self.pipe_end(to, *path.last().expect("two points"), supply)?;
        if a == b {
            let mut row = Row::new(rec, Kind::Pipes);
            let snap = self.options.snap_m;
            row.fail(said!(
                "both ends join node {a}: the pipe is shorter than the snap tolerance ({snap} m)",
                "两端都吸附到节点 {a}：管段短于吸附容差（{snap} 米）"
            ));
            self.accept(row.found);
            return Ok(());
        }
        if from.is_empty() {
            self.snapped.push(id);
        }
        self.tx
            .prepare_cached(
                "INSERT INTO pipe_segments (id, from_node, to_node, tier, flow, dn, laid_year, path)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT (id) DO UPDATE SET from_node = excluded.from_node, to_node = excluded.to_node,
                     tier = excluded.tier, flow = excluded.flow, dn = excluded.dn,
                     laid_year = excluded.laid_year, path = excluded.path",
            )?
            .execute(params![id, a, b, tier.map(|t| t.code()), flow.map(|f| f.code()), dn, laid, encode_path(&path)])?;
        self.counted(new);
        Ok(())
    }

    pub(super) fn valve(&mut self, rec: &Record<'_>) -> Written {
        let Some((id, new)) = self.assign(rec) else {
            return Ok(());
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
            self.accept(row.found);
            return Ok(());
        }
        let position = position.expect("checked");
        let segment = match segment.flatten() {
            Some(s) => Some(s),
            None => {
                let tolerance = self.options.snap_m.max(5.0);
                let found = self.snapper()?.nearest_supply(position, tolerance);
                if found.is_none() {
                    row.fail(said!(
                        "no supply pipe within {tolerance} m of the valve (or give segment_id)",
                        "阀门 {tolerance} 米内没有供水管（或填写管段编号）"
                    ));
                }
                found
            }
        };
        if !self.accept(row.found) {
            return Ok(());
        }
        self.tx
            .prepare_cached(
                "INSERT INTO valves (id, segment_id, lon, lat, operable) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (id) DO UPDATE SET segment_id = excluded.segment_id, lon = excluded.lon,
                     lat = excluded.lat, operable = excluded.operable",
            )?
            .execute(params![id, segment, position[0], position[1], operable])?;
        self.counted(new);
        Ok(())
    }

    pub(super) fn team(&mut self, rec: &Record<'_>) -> Written {
        let Some((id, new)) = self.assign(rec) else {
            return Ok(());
        };
        let mut row = Row::new(rec, Kind::Teams);
        let name = row.required("name");
        let department = row.reference(
            "department_id",
            self.ids(Kind::Departments),
            words("department", "服务部"),
            true,
        );
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
                    said!("unknown skill \"{s}\"", "无法识别的技能“{s}”"),
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
        if !self.accept(row.found) {
            return Ok(());
        }
        let home = home.expect("checked");
        let members = serde_json::to_string(&members).expect("strings serialise");
        let skills: Vec<&str> = skills.iter().map(|k| k.code()).collect();
        // a team's current position stays where the console last saw it
        self.tx
            .prepare_cached(
                "INSERT INTO teams (id, name, department_id, members, skills, home_lon, home_lat, lon, lat, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?6, ?7, ?8)
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, department_id = excluded.department_id,
                     members = excluded.members, skills = excluded.skills, home_lon = excluded.home_lon,
                     home_lat = excluded.home_lat, status = excluded.status",
            )?
            .execute(params![id, name, department.flatten(), members, skills.join(","), home[0], home[1], status.map(|s| s.code())])?;
        self.counted(new);
        Ok(())
    }
}

/// "张三、李四, 王五" → the names.
pub(super) fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', '，', '、', ';', '；', '/'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A geometry problem, said as one.
fn geometry(e: &Said) -> Said {
    let (en, zh) = (&e.en, &e.zh);
    said!("geometry: {en}", "几何：{zh}")
}
