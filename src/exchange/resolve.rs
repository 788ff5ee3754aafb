//! Rows that name places instead of giving their ids: a building by its compound's name and
//! its number, a compound, department or station by its name — and places without ids of
//! their own, given one (or found again by their name).

use super::address::{Addresses, building_key, compound_key};
use super::bilingual::{Bilingual, bilingual, words};
use super::columns::{Optional, Row};
use super::import::Importer;
use super::kind::Kind;
use super::records::Record;
use crate::domain::*;

/// A name as matched (spaces, case and the usual suffixes aside).
fn name_key(s: &str) -> String {
    compound_key(s)
}

impl Importer {
    /// The city's places, as they stand (loaded once).
    fn city(&self) -> &Snapshot {
        match &self.places {
            Some(p) => &p.snap,
            None => self
                .city
                .as_ref()
                .expect("loaded when the file names places"),
        }
    }

    fn addresses(&mut self) -> &Addresses {
        if self.addresses.is_none() {
            let a = Addresses::new(self.city());
            self.addresses = Some(a);
        }
        self.addresses.as_ref().expect("just made")
    }

    /// A building: the id a column gives, or the one its compound's name and number mean.
    pub(super) fn building_ref(
        &mut self,
        row: &mut Row<'_, '_>,
        kind: Kind,
        required: bool,
    ) -> Optional<BuildingId> {
        let rec = row.rec;
        // picked by hand in the preview
        if let Some(&(_, id)) = self.options.buildings.iter().find(|(l, _)| *l == rec.loc) {
            return Optional::Given(id);
        }
        match rec.address() {
            Some((compound, number)) if !rec.has(kind.field("building_id")) => {
                let locality = rec.locality();
                match self.addresses().building(compound, number, locality) {
                    Ok(id) => Optional::Given(id),
                    Err(e) => {
                        row.unmatched("building_id", e);
                        Optional::Refused
                    }
                }
            }
            _ => row.reference(
                "building_id",
                self.ids(Kind::Buildings),
                words("building", "楼栋"),
                required,
            ),
        }
    }

    /// A compound: the id a column gives, or the one its name means.
    pub(super) fn compound_ref(
        &mut self,
        row: &mut Row<'_, '_>,
        kind: Kind,
    ) -> Optional<CompoundId> {
        let rec = row.rec;
        match rec.compound_name() {
            Some(name) if !rec.has(kind.field("compound_id")) => {
                let locality = rec.locality();
                match self.addresses().compound(name, locality) {
                    Ok(id) => Optional::Given(id),
                    Err(e) => {
                        row.unmatched("compound_id", e);
                        Optional::Refused
                    }
                }
            }
            _ => row.reference(
                "compound_id",
                self.ids(Kind::Compounds),
                words("compound", "小区"),
                true,
            ),
        }
    }

    /// A department: its id, its name in a column, `--department`, or — for a compound or a
    /// station with a place — the department of the compounds around it.
    pub(super) fn department_ref(
        &mut self,
        row: &mut Row<'_, '_>,
        kind: Kind,
        near: Option<LonLat>,
    ) -> Option<DepartmentId> {
        let rec = row.rec;
        let field = kind.field("department_id");
        if rec.has(field) && !rec.get(field).is_empty() {
            return row
                .reference(
                    "department_id",
                    self.ids(Kind::Departments),
                    words("department", "服务部"),
                    true,
                )
                .given();
        }
        if let Some(text) = rec.department().filter(|t| !t.is_empty()) {
            if let Some(id) = self.ids(Kind::Departments).find(text) {
                return Some(id);
            }
            let key = name_key(text);
            let found: Vec<DepartmentId> = self
                .city()
                .departments
                .iter()
                .filter(|d| name_key(&d.name) == key)
                .map(|d| d.id)
                .collect();
            return match found.as_slice() {
                [one] => Some(*one),
                _ => {
                    let names: Vec<String> = self
                        .city()
                        .departments
                        .iter()
                        .map(|d| d.name.clone())
                        .collect();
                    let (en, zh) = (names.join(", "), names.join("、"));
                    row.unmatched(
                        "department_id",
                        bilingual!(
                            "no department named \"{text}\" (there are: {en})",
                            "没有名为“{text}”的服务部（现有：{zh}）"
                        ),
                    );
                    None
                }
            };
        }
        if let Some(id) = self.options.department {
            return Some(id);
        }
        if let Some(p) = near
            && let Some(id) = self.surrounding_department(p)
        {
            return Some(id);
        }
        row.fail_field(
            "department_id",
            bilingual!(
                "no department: give a column of department names or ids, or --department ID",
                "没有服务部：请提供服务部名称或编号列，或用 --department 指定"
            ),
        );
        None
    }

    /// The department most of the nearest compounds (within 3 km) belong to.
    fn surrounding_department(&self, p: LonLat) -> Option<DepartmentId> {
        let city = self.city();
        let mut near: Vec<(f64, DepartmentId)> = city
            .compounds
            .iter()
            .filter_map(|c| {
                let (sx, sy, n) = c
                    .outline
                    .iter()
                    .fold((0.0, 0.0, 0.0), |a, q| (a.0 + q[0], a.1 + q[1], a.2 + 1.0));
                (n > 0.0).then(|| {
                    let centre = [sx / n, sy / n];
                    (
                        crate::domain::suggest::distance_km(p, centre) * 1000.0,
                        c.department_id,
                    )
                })
            })
            .filter(|(d, _)| *d <= 3000.0)
            .collect();
        near.sort_by(|a, b| a.0.total_cmp(&b.0));
        near.truncate(5);
        let mut counts: Vec<(DepartmentId, usize)> = Vec::new();
        for (_, d) in &near {
            match counts.iter_mut().find(|(x, _)| x == d) {
                Some(c) => c.1 += 1,
                None => counts.push((*d, 1)),
            }
        }
        counts.into_iter().max_by_key(|c| c.1).map(|c| c.0)
    }

    /// A building's station: its id, its name, else the nearest station (said in the report).
    pub(super) fn station_ref(
        &mut self,
        row: &mut Row<'_, '_>,
        at: Option<LonLat>,
    ) -> Option<StationId> {
        let rec = row.rec;
        let field = Kind::Buildings.field("station_id");
        if rec.has(field) && !rec.get(field).is_empty() {
            return row
                .reference(
                    "station_id",
                    self.ids(Kind::Stations),
                    words("station", "换热站"),
                    true,
                )
                .given();
        }
        if let Some(text) = rec.station().filter(|t| !t.is_empty()) {
            if let Some(id) = self.ids(Kind::Stations).find(text) {
                return Some(id);
            }
            let key = name_key(text);
            let found: Vec<StationId> = self
                .city()
                .stations
                .iter()
                .filter(|s| name_key(&s.name) == key)
                .map(|s| s.id)
                .collect();
            if let [one] = found.as_slice() {
                return Some(*one);
            }
            row.unmatched(
                "station_id",
                bilingual!("no station named \"{text}\"", "没有名为“{text}”的换热站"),
            );
            return None;
        }
        let p = at?;
        let nearest = self
            .city()
            .stations
            .iter()
            .map(|s| (crate::domain::suggest::distance_km(p, s.position), s.id))
            .min_by(|a, b| a.0.total_cmp(&b.0));
        match nearest {
            Some((_, id)) => {
                self.nearest_station += 1;
                Some(id)
            }
            None => {
                row.fail_field(
                    "station_id",
                    bilingual!(
                        "is empty and there is no station to take the nearest of",
                        "为空，且没有换热站可取最近的"
                    ),
                );
                None
            }
        }
    }

    /// The row of a compound without an id: the one of the same name, else a new one.
    pub(super) fn assign_compound(&mut self, rec: &Record<'_>) -> Option<(i64, bool)> {
        let name = rec.get(Kind::Compounds.field("name"));
        if name.is_empty() {
            return None;
        }
        let key = format!("name:{}", name_key(name));
        if self.seen_key(&key, rec).is_some() {
            return None;
        }
        let found = self.city_compound(name).map(|id| (id, false));
        Some(found.unwrap_or_else(|| (self.new_row(Kind::Compounds), true)))
    }

    fn city_compound(&self, name: &str) -> Option<CompoundId> {
        let key = name_key(name);
        let ids: Vec<CompoundId> = self
            .city_or_none()?
            .compounds
            .iter()
            .filter(|c| name_key(&c.name) == key)
            .map(|c| c.id)
            .collect();
        (ids.len() == 1).then(|| ids[0])
    }

    fn city_or_none(&self) -> Option<&Snapshot> {
        self.places.as_ref().map(|p| &p.snap).or(self.city.as_ref())
    }

    /// The row of a building without an id: the one with the same compound and number, else
    /// a new one.
    pub(super) fn assign_building(
        &mut self,
        rec: &Record<'_>,
        compound: CompoundId,
    ) -> Option<(i64, bool)> {
        let number = rec.get(Kind::Buildings.field("number"));
        let key = format!("building:{compound}:{}", building_key(number));
        if self.seen_key(&key, rec).is_some() {
            return None;
        }
        let existing = self.city_or_none().and_then(|c| {
            c.buildings
                .iter()
                .find(|b| {
                    b.compound_id == compound && building_key(&b.number) == building_key(number)
                })
                .map(|b| b.id)
        });
        Some(existing.map_or_else(|| (self.new_row(Kind::Buildings), true), |id| (id, false)))
    }
}

/// Why a row was set aside (`--skip-unmatched`), as the file beside the source says.
pub fn reason(problems: &[super::columns::Problem]) -> Bilingual {
    let en: Vec<String> = problems.iter().map(|p| p.message.en.clone()).collect();
    let zh: Vec<String> = problems.iter().map(|p| p.message.zh.clone()).collect();
    Bilingual {
        en: en.join("; "),
        zh: zh.join("；"),
    }
}
