//! What an import says about a file, in both languages: the window shows it in the console's
//! language, the command line in the one `--english` picks.

use std::fmt;

use crate::words::Lang;

/// One message, written in Chinese and in English where it arises.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bilingual {
    pub zh: String,
    pub en: String,
}

impl Bilingual {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// English, as logs and `{}` want it.
impl fmt::Display for Bilingual {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.en)
    }
}

/// `bilingual!("english {x}", "中文{x}")`: both formatted with the caller's variables.
macro_rules! bilingual {
    ($en:literal, $zh:literal $(,)?) => {
        $crate::exchange::bilingual::Bilingual {
            en: format!($en),
            zh: format!($zh),
        }
    };
}
pub(crate) use bilingual;

/// A few words in both languages, for messages built from parts ("a whole number", 整数).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    pub en: &'static str,
    pub zh: &'static str,
}

pub const fn words(en: &'static str, zh: &'static str) -> Words {
    Words { en, zh }
}
