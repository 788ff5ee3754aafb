//! What the map colours compounds and buildings by, with the class breaks of its legend.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Metric {
    /// Open faults per 1,000 households.
    #[default]
    OpenFaults,
    /// Satisfied + basically satisfied ÷ answers.
    Satisfaction,
    /// Readings ≥ standard ÷ readings.
    TemperatureCompliance,
    /// Open tickets past their deadline.
    Overdue,
}

impl Metric {
    pub const ALL: [Metric; 4] = [
        Metric::OpenFaults,
        Metric::Satisfaction,
        Metric::TemperatureCompliance,
        Metric::Overdue,
    ];

    /// Lower bounds of the five classes, from good to bad.
    pub fn breaks(self) -> [f64; 5] {
        match self {
            Metric::OpenFaults => [0.0, 1.0, 3.0, 6.0, 12.0],
            Metric::Satisfaction | Metric::TemperatureCompliance => [1.0, 0.95, 0.9, 0.8, 0.7],
            Metric::Overdue => [0.0, 1.0, 2.0, 4.0, 8.0],
        }
    }

    /// Class 0 (good) to 4 (bad) of a value: how many class bounds it has crossed.
    pub fn class(self, value: f64) -> usize {
        let b = self.breaks();
        if b[4] > b[0] {
            b[1..].iter().filter(|&&x| value >= x).count()
        } else {
            b[1..].iter().filter(|&&x| value < x).count()
        }
    }

    /// Legend text of each class.
    pub fn class_labels(self) -> [String; 5] {
        let b = self.breaks();
        let f = |x: f64| match self {
            Metric::Satisfaction | Metric::TemperatureCompliance => format!("{:.0}%", x * 100.0),
            _ => format!("{x}"),
        };
        if b[4] > b[0] {
            [
                format!("< {}", f(b[1])),
                format!("{}–{}", f(b[1]), f(b[2])),
                format!("{}–{}", f(b[2]), f(b[3])),
                format!("{}–{}", f(b[3]), f(b[4])),
                format!("≥ {}", f(b[4])),
            ]
        } else {
            [
                format!("≥ {}", f(b[1])),
                format!("{}–{}", f(b[2]), f(b[1])),
                format!("{}–{}", f(b[3]), f(b[2])),
                format!("{}–{}", f(b[4]), f(b[3])),
                format!("< {}", f(b[4])),
            ]
        }
    }
}
