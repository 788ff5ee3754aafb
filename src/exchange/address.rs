//! Finding a building from the way people write its address: a compound's name (工银新村,
//! 工银新村小区) and a building's number (3号楼, 3#楼, 3#, 3栋, 3幢, 三号楼). A row that
//! names no building, or more than one, is told so with the nearest candidates; nothing is
//! guessed.

use std::collections::HashMap;

use super::bilingual::{Bilingual, bilingual};
use crate::domain::{BuildingId, CompoundId, Snapshot};

/// Chinese numerals up to 99 (一 … 九十九) as digits; anything else as it is.
fn chinese_number(s: &str) -> Option<u32> {
    let digit = |c: char| {
        "零一二三四五六七八九"
            .chars()
            .position(|d| d == c)
            .map(|d| d as u32)
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [] => None,
        ['十'] => Some(10),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        all if all.iter().all(|&c| digit(c).is_some()) => {
            all.iter().try_fold(0u32, |n, &c| Some(n * 10 + digit(c)?))
        }
        _ => None,
    }
}

/// Full-width letters and digits as half-width, lower case, no spaces or punctuation.
fn plain(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ' => {
                char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)
            }
            c => c,
        })
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '-' | '_' | '·' | '.' | '（' | '）' | '(' | ')')
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// A compound's name as matched: 工银新村小区 → 工银新村.
pub fn compound_key(name: &str) -> String {
    let p = plain(name);
    let mut k = p.as_str();
    for suffix in ["住宅小区", "小区", "社区"] {
        if let Some(rest) = k.strip_suffix(suffix)
            && rest.chars().count() >= 2
        {
            k = rest;
            break;
        }
    }
    k.to_string()
}

/// A building's number as matched: 3号楼 / 3#楼 / 3# / 3栋 / 3幢 / 三号楼 / 3 → "3"; A座 → "a".
pub fn building_key(number: &str) -> String {
    let p = plain(number);
    let mut k = p.as_str();
    // 第3栋, 3号楼, 3#楼, 3栋, 3幢, 3座, 3号, 3#, 3楼
    k = k.strip_prefix('第').unwrap_or(k);
    for suffix in ["号楼", "#楼", "号", "#", "栋", "幢", "座", "楼"] {
        if let Some(rest) = k.strip_suffix(suffix)
            && !rest.is_empty()
        {
            k = rest;
            break;
        }
    }
    let k = k.trim_start_matches('0');
    if let Some(n) = chinese_number(k) {
        return n.to_string();
    }
    if k.is_empty() {
        "0".into()
    } else {
        k.to_string()
    }
}

/// How alike two names are: characters in common over the longer one's length.
fn likeness(a: &str, b: &str) -> f64 {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let common = a.iter().filter(|c| b.contains(c)).count();
    common as f64 / a.len().max(b.len()).max(1) as f64
}

/// Rows matched before: (compound, number, locality) → what they mean.
type Memo = std::cell::RefCell<HashMap<(String, String, String), Result<BuildingId, Bilingual>>>;

/// The city's compounds and buildings, indexed by their usual spellings.
pub struct Addresses {
    compounds: HashMap<String, Vec<CompoundId>>,
    names: Vec<(CompoundId, String, String)>,
    /// Each compound's address and department name, plain (to tell same names apart).
    whereabouts: HashMap<CompoundId, (String, String, String)>,
    buildings: HashMap<(CompoundId, String), Vec<BuildingId>>,
    numbers: HashMap<CompoundId, Vec<String>>,
    /// Rows already matched (the same compound and number recur in a season's tickets).
    memo: Memo,
}

impl Addresses {
    pub fn new(city: &Snapshot) -> Self {
        let mut compounds: HashMap<String, Vec<CompoundId>> = HashMap::new();
        for c in &city.compounds {
            compounds
                .entry(compound_key(&c.name))
                .or_default()
                .push(c.id);
        }
        let mut buildings: HashMap<(CompoundId, String), Vec<BuildingId>> = HashMap::new();
        let mut numbers: HashMap<CompoundId, Vec<String>> = HashMap::new();
        for b in &city.buildings {
            buildings
                .entry((b.compound_id, building_key(&b.number)))
                .or_default()
                .push(b.id);
            numbers
                .entry(b.compound_id)
                .or_default()
                .push(b.number.clone());
        }
        let department = |id| {
            city.departments
                .iter()
                .find(|d| d.id == id)
                .map_or(String::new(), |d| plain(&d.name))
        };
        Addresses {
            whereabouts: city
                .compounds
                .iter()
                .map(|c| {
                    (
                        c.id,
                        (
                            plain(&c.address),
                            department(c.department_id),
                            c.address.clone(),
                        ),
                    )
                })
                .collect(),
            compounds,
            names: city
                .compounds
                .iter()
                .map(|c| (c.id, c.name.clone(), compound_key(&c.name)))
                .collect(),
            buildings,
            numbers,
            memo: Default::default(),
        }
    }

    /// The compound a name means (one, or a problem naming the candidates); `locality`: where
    /// the row says it is, or "".
    pub fn compound(&self, name: &str, locality: &str) -> Result<CompoundId, Bilingual> {
        self.compound_in(name, locality, None)
    }

    /// The compounds of a name; several are told apart by where the row says it is (its
    /// address, district or department), then by which has the building's number.
    fn compound_in(
        &self,
        name: &str,
        locality: &str,
        number: Option<&str>,
    ) -> Result<CompoundId, Bilingual> {
        let key = compound_key(name);
        let Some(all) = self.compounds.get(&key).filter(|v| !v.is_empty()) else {
            return Err(self.no_compound(name, &key));
        };
        let mut left: Vec<CompoundId> = all.clone();
        if left.len() > 1 && !locality.trim().is_empty() {
            let here = plain(locality);
            let near: Vec<CompoundId> = left
                .iter()
                .copied()
                .filter(|c| {
                    self.whereabouts.get(c).is_some_and(|(address, dept, _)| {
                        (!address.is_empty()
                            && (here.contains(address.as_str()) || address.contains(&here)))
                            || (!dept.is_empty() && here.contains(dept.as_str()))
                    })
                })
                .collect();
            if !near.is_empty() {
                left = near;
            }
        }
        if left.len() > 1
            && let Some(number) = number
        {
            let k = building_key(number);
            let having: Vec<CompoundId> = left
                .iter()
                .copied()
                .filter(|c| self.buildings.contains_key(&(*c, k.clone())))
                .collect();
            if !having.is_empty() {
                left = having;
            }
        }
        match left.as_slice() {
            [one] => Ok(*one),
            many => {
                let list = many
                    .iter()
                    .map(|id| {
                        let at = self.whereabouts.get(id).map_or("", |w| w.2.as_str());
                        format!("#{id} {at}")
                    })
                    .collect::<Vec<_>>();
                let (en, zh) = (list.join(", "), list.join("、"));
                let n = many.len();
                Err(bilingual!(
                    "compound \"{name}\" is the name of {n} compounds ({en}): add a column saying where (its address or department) or give its id",
                    "小区“{name}”同名的有 {n} 个（{zh}）：请增加说明位置的列（小区地址或服务部），或改用小区编号"
                ))
            }
        }
    }

    fn no_compound(&self, name: &str, key: &str) -> Bilingual {
        let mut near: Vec<(f64, &str)> = self
            .names
            .iter()
            .map(|(_, n, k)| (likeness(key, k), n.as_str()))
            .filter(|(s, _)| *s >= 0.4)
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut list: Vec<&str> = near.iter().map(|(_, n)| *n).collect();
        list.dedup();
        list.truncate(3);
        if list.is_empty() {
            bilingual!("no compound named \"{name}\"", "没有名为“{name}”的小区")
        } else {
            let (en, zh) = (list.join(", "), list.join("、"));
            bilingual!(
                "no compound named \"{name}\" (nearest: {en})",
                "没有名为“{name}”的小区（最接近：{zh}）"
            )
        }
    }

    /// The building a compound's name and a number mean (`locality`: where the row says the
    /// compound is, or "").
    pub fn building(
        &self,
        compound: &str,
        number: &str,
        locality: &str,
    ) -> Result<BuildingId, Bilingual> {
        let memo_key = (
            compound.to_string(),
            number.to_string(),
            locality.to_string(),
        );
        if let Some(found) = self.memo.borrow().get(&memo_key) {
            return found.clone();
        }
        let found = self.building_uncached(compound, number, locality);
        self.memo.borrow_mut().insert(memo_key, found.clone());
        found
    }

    fn building_uncached(
        &self,
        compound: &str,
        number: &str,
        locality: &str,
    ) -> Result<BuildingId, Bilingual> {
        if compound.trim().is_empty() {
            return Err(bilingual!("the compound's name is empty", "小区名称为空"));
        }
        if number.trim().is_empty() {
            return Err(bilingual!("the building's number is empty", "楼号为空"));
        }
        let c = self.compound_in(compound, locality, Some(number))?;
        match self
            .buildings
            .get(&(c, building_key(number)))
            .map(Vec::as_slice)
        {
            Some([one]) => Ok(*one),
            Some(many) if many.len() > 1 => {
                let ids = many
                    .iter()
                    .map(|id| format!("#{id}"))
                    .collect::<Vec<_>>()
                    .join(", ");
                Err(bilingual!(
                    "{compound} {number} is more than one building ({ids}): give the building's id",
                    "{compound} {number} 对应多栋楼（{ids}）：请填写楼栋编号"
                ))
            }
            _ => {
                let mut have = self.numbers.get(&c).cloned().unwrap_or_default();
                have.sort_by_key(|n| building_key(n).parse::<u32>().unwrap_or(u32::MAX));
                let total = have.len();
                let list = have.iter().take(12).cloned().collect::<Vec<_>>();
                let (en, zh) = (list.join(", "), list.join("、"));
                Err(bilingual!(
                    "{compound} has no building \"{number}\" (it has {total}: {en})",
                    "{compound}没有“{number}”（共 {total} 栋：{zh}）"
                ))
            }
        }
    }

    /// The buildings a row could mean (the preview's choice): those of the compounds its name
    /// is most like, the closest numbers first.
    pub fn candidates(
        &self,
        compound: &str,
        number: &str,
        city: &crate::domain::Snapshot,
    ) -> Vec<(BuildingId, String)> {
        let key = compound_key(compound);
        let mut near: Vec<(f64, CompoundId)> = self
            .names
            .iter()
            .map(|(id, _, k)| (likeness(&key, k), *id))
            .filter(|(s, _)| *s >= 0.4)
            .collect();
        near.sort_by(|a, b| b.0.total_cmp(&a.0));
        near.truncate(3);
        let want = building_key(number).parse::<i64>().unwrap_or(0);
        let mut out: Vec<(i64, BuildingId, String)> = Vec::new();
        for (_, c) in near {
            for b in city.buildings.iter().filter(|b| b.compound_id == c) {
                let n = building_key(&b.number)
                    .parse::<i64>()
                    .unwrap_or(i64::MAX / 2);
                out.push(((n - want).abs(), b.id, city.building_label(b.id)));
            }
        }
        out.sort_by_key(|o| o.0);
        out.into_iter()
            .take(30)
            .map(|(_, id, label)| (id, label))
            .collect()
    }
}
