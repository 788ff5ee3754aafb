//! The word lists in `data/` the demo city draws its names and phrases from.

use crate::domain::Category;

fn lines(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

fn words(text: &'static str) -> Vec<&'static str> {
    lines(text)
        .into_iter()
        .flat_map(str::split_whitespace)
        .collect()
}

pub struct Words {
    pub compound_names: Vec<&'static str>,
    pub prefixes: Vec<&'static str>,
    pub suffixes: Vec<&'static str>,
    pub streets: Vec<&'static str>,
    pub departments: Vec<&'static str>,
    pub surnames: Vec<&'static str>,
    pub given_names: Vec<&'static str>,
    pub dispatchers: Vec<&'static str>,
    pub leaders: Vec<&'static str>,
    descriptions: Vec<(Category, &'static str)>,
}

impl Words {
    pub fn load() -> Self {
        Words {
            compound_names: lines(include_str!("../../data/compound_names.txt")),
            prefixes: words(include_str!("../../data/name_prefixes.txt")),
            suffixes: words(include_str!("../../data/name_suffixes.txt")),
            streets: words(include_str!("../../data/streets.txt")),
            departments: lines(include_str!("../../data/departments.txt")),
            surnames: words(include_str!("../../data/surnames.txt")),
            given_names: words(include_str!("../../data/given_names.txt")),
            dispatchers: lines(include_str!("../../data/dispatchers.txt")),
            leaders: lines(include_str!("../../data/leaders.txt")),
            descriptions: lines(include_str!("../../data/descriptions.txt"))
                .into_iter()
                .filter_map(|l| {
                    let (code, text) = l.split_once('|')?;
                    Some((Category::from_code(code.trim())?, text.trim()))
                })
                .collect(),
        }
    }

    /// What residents say about this kind of problem.
    pub fn descriptions(&self, category: Category) -> Vec<&'static str> {
        self.descriptions
            .iter()
            .filter(|(c, _)| *c == category)
            .map(|(_, t)| *t)
            .collect()
    }
}
