//! Classified personnel (DOMAIN R2).
//!
//! (Training, detachment and leaving are being written; [`Category`] is settled.)

use crate::marks::Level;
use serde::{Deserialize, Serialize};

/// The category of a person in a classified post (R2.1). The mapping to levels is practice:
/// core handles Top Secret, important Confidential, general Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// 一般涉密人员 — may handle up to Secret.
    General,
    /// 重要涉密人员 — may handle up to Confidential.
    Important,
    /// 核心涉密人员 — may handle up to Top Secret.
    Core,
}

impl Category {
    /// The highest level the category may handle (R2.1).
    pub fn highest_level(self) -> Level {
        match self {
            Category::Core => Level::TopSecret,
            Category::Important => Level::Confidential,
            Category::General => Level::Secret,
        }
    }

    /// R2.1: the category covers `level`. Work secrets and unclassified matters need no
    /// category; state secrets need one at least as high.
    pub fn covers(self, level: Level) -> bool {
        level <= self.highest_level()
    }

    /// 核心涉密人员, 重要涉密人员, 一般涉密人员.
    pub fn zh(self) -> &'static str {
        match self {
            Category::Core => "核心涉密人员",
            Category::Important => "重要涉密人员",
            Category::General => "一般涉密人员",
        }
    }

    /// core, important, general classified personnel.
    pub fn en(self) -> &'static str {
        match self {
            Category::Core => "core classified personnel",
            Category::Important => "important classified personnel",
            Category::General => "general classified personnel",
        }
    }
}
