//! Classified personnel (DOMAIN R2).
//!
//! * [`Category`] — R2.1: core, important, general, and the level each may handle.
//! * [`AppointmentChecklist`] — R2.2: the conditions of appointment to a classified post.
//! * [`TrainingRecord`], [`training_compliance`] — R2.3: at least 4 hours a year.
//! * [`LeavingClearance`], [`Detachment`] — R2.4: what must be cleared before leaving, and the
//!   detachment period (脱密期) with its restrictions.
//! * [`ReportableMatter`] — R2.5 (and incidents abroad, R2.6).
//! * [`Activity`], [`check_activity`] — R2.4 and R2.6: travel abroad, publishing and new
//!   employment that need prior approval.
//!
//! Whether a person may read a matter is decided by [`crate::access::decide`], which takes the
//! category recorded here.

use crate::ids::{ApprovalId, CarrierId, DeviceId, PersonId, UnitId};
use crate::marks::{LegalBasis, Level};
use crate::{Describe, Lang, RuleId};
use jiff::civil::Date;
use jiff::Span;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::ops::RangeInclusive;

/// The category of a person in a classified post (R2.1). The mapping to levels is practice:
/// core handles Top Secret, important Confidential, general Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
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
    /// Every category, lowest first.
    pub const ALL: [Category; 3] = [Category::General, Category::Important, Category::Core];

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

    /// R2.4: the detachment period in months, both ends allowed: core 24–36, important 12–24,
    /// general 6–12. Longer only with a legal basis ([`Detachment::new`]).
    pub fn detachment_months(self) -> RangeInclusive<u16> {
        match self {
            Category::Core => 24..=36,
            Category::Important => 12..=24,
            Category::General => 6..=12,
        }
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

// ---------------------------------------------------------------------------------------------
// R2.2 Appointment

/// A condition of appointment to a classified post (R2.2; seed 004).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum AppointmentCondition {
    /// Holds the nationality of the People's Republic of China.
    Nationality,
    /// Loves the country, abides by the law, firm political stance.
    Loyalty,
    /// Upright character, loyal and reliable.
    Reliability,
    /// Has the professional quality and skill the post requires.
    Competence,
    /// The pre-appointment review by the personnel (organisation) office is done.
    PersonnelReview,
    /// The pre-appointment review by the confidentiality office is done.
    ConfidentialityReview,
    /// The on-post confidentiality commitment letter is signed.
    CommitmentSigned,
}

impl AppointmentCondition {
    /// Every condition, in the order a form lists them.
    pub const ALL: [AppointmentCondition; 7] = [
        AppointmentCondition::Nationality,
        AppointmentCondition::Loyalty,
        AppointmentCondition::Reliability,
        AppointmentCondition::Competence,
        AppointmentCondition::PersonnelReview,
        AppointmentCondition::ConfidentialityReview,
        AppointmentCondition::CommitmentSigned,
    ];

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            AppointmentCondition::Nationality => "具有中华人民共和国国籍",
            AppointmentCondition::Loyalty => "热爱祖国、遵纪守法、政治立场坚定",
            AppointmentCondition::Reliability => "品行端正、忠诚可靠",
            AppointmentCondition::Competence => "具备涉密岗位所需的业务素质和能力",
            AppointmentCondition::PersonnelReview => "组织人事部门上岗前审查",
            AppointmentCondition::ConfidentialityReview => "保密工作机构上岗前审查",
            AppointmentCondition::CommitmentSigned => "签订在岗保密承诺书",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            AppointmentCondition::Nationality => "PRC nationality",
            AppointmentCondition::Loyalty => "loyal to the country and law-abiding",
            AppointmentCondition::Reliability => "upright and reliable",
            AppointmentCondition::Competence => "competent for the post",
            AppointmentCondition::PersonnelReview => {
                "pre-appointment review by the personnel office"
            }
            AppointmentCondition::ConfidentialityReview => {
                "pre-appointment review by the confidentiality office"
            }
            AppointmentCondition::CommitmentSigned => "on-post commitment letter signed",
        }
    }
}

/// The conditions found met for one appointment (R2.2).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AppointmentChecklist {
    /// The conditions confirmed.
    pub met: BTreeSet<AppointmentCondition>,
}

impl AppointmentChecklist {
    /// The conditions not yet met, in form order; empty means the person may be appointed.
    pub fn unmet(&self) -> Vec<AppointmentCondition> {
        AppointmentCondition::ALL
            .into_iter()
            .filter(|c| !self.met.contains(c))
            .collect()
    }

    /// R2.2: refuses the appointment while any condition is unmet.
    pub fn check(&self) -> Result<(), AppointmentRefused> {
        let unmet = self.unmet();
        if unmet.is_empty() {
            Ok(())
        } else {
            Err(AppointmentRefused { unmet })
        }
    }
}

/// An appointment refused because conditions are unmet (R2.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("the appointment may not proceed; unmet: {} (R2.2)", en_list(self.unmet.iter().map(|c| c.en())))]
pub struct AppointmentRefused {
    /// What is unmet, in form order; never empty.
    pub unmet: Vec<AppointmentCondition>,
}

impl AppointmentRefused {
    /// The DOMAIN rule enforced: R2.2.
    pub fn rule(&self) -> RuleId {
        RuleId("R2.2")
    }
}

impl Describe for AppointmentRefused {
    fn describe(&self, lang: Lang) -> String {
        match lang {
            Lang::En => self.to_string(),
            Lang::Zh => format!(
                "不得上岗，尚未满足：{}（R2.2）",
                self.unmet
                    .iter()
                    .map(|c| c.zh())
                    .collect::<Vec<_>>()
                    .join("；")
            ),
        }
    }
}

fn en_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items.collect::<Vec<_>>().join("; ")
}

// ---------------------------------------------------------------------------------------------
// R2.3 Training

/// R2.3: at least four hours of confidentiality education a year.
pub const REQUIRED_TRAINING_MINUTES_PER_YEAR: u32 = 240;

/// One session of confidentiality education attended by one person (R2.3, R12.1). Durations
/// are whole minutes, so sums are exact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// Who attended.
    pub person: PersonId,
    /// The day of the session.
    pub on: Date,
    /// How long, in minutes (1 to 1440).
    pub minutes: u32,
    /// What it covered (R12.1).
    pub topic: String,
}

impl TrainingRecord {
    /// A record, refusing zero minutes, more than a day, or a blank topic.
    pub fn new(
        person: PersonId,
        on: Date,
        minutes: u32,
        topic: &str,
    ) -> Result<TrainingRecord, TrainingError> {
        if minutes == 0 {
            return Err(TrainingError::NoDuration);
        }
        if minutes > 24 * 60 {
            return Err(TrainingError::LongerThanADay { minutes });
        }
        let topic = topic.trim();
        if topic.is_empty() {
            return Err(TrainingError::NoTopic);
        }
        Ok(TrainingRecord {
            person,
            on,
            minutes,
            topic: topic.to_owned(),
        })
    }
}

/// A training record that cannot be kept (R2.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum TrainingError {
    /// Zero minutes.
    #[error("a training session must last at least one minute (R2.3)")]
    NoDuration,
    /// More minutes than a day has.
    #[error("{minutes} minutes is longer than a day; record each day's session separately (R2.3)")]
    LongerThanADay {
        /// The minutes given.
        minutes: u32,
    },
    /// No topic.
    #[error("a training session must name its topic (R2.3)")]
    NoTopic,
}

impl TrainingError {
    /// The DOMAIN rule enforced: R2.3.
    pub fn rule(&self) -> RuleId {
        RuleId("R2.3")
    }
}

impl Describe for TrainingError {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (TrainingError::NoDuration, Lang::Zh) => "培训时长至少 1 分钟（R2.3）".to_owned(),
            (TrainingError::LongerThanADay { minutes }, Lang::Zh) => {
                format!("{minutes} 分钟超过一天，请按天分别登记（R2.3）")
            }
            (TrainingError::NoTopic, Lang::Zh) => "培训记录须注明内容（R2.3）".to_owned(),
        }
    }
}

/// A person's training in one calendar year against R2.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrainingStatus {
    /// The person.
    pub person: PersonId,
    /// The calendar year.
    pub year: i16,
    /// Minutes recorded in that year.
    pub minutes: u32,
    /// Minutes required: [`REQUIRED_TRAINING_MINUTES_PER_YEAR`].
    pub required_minutes: u32,
    /// Minutes still missing; zero when compliant.
    pub short_by_minutes: u32,
}

impl TrainingStatus {
    /// True when the year's minutes reach the requirement.
    pub fn is_compliant(&self) -> bool {
        self.short_by_minutes == 0
    }
}

/// R2.3: sums `person`'s sessions in calendar `year` (other persons' and other years'
/// records are ignored, so a whole ledger may be passed).
pub fn training_compliance(
    person: PersonId,
    records: &[TrainingRecord],
    year: i16,
) -> TrainingStatus {
    let minutes = records
        .iter()
        .filter(|r| r.person == person && r.on.year() == year)
        .fold(0u32, |sum, r| sum.saturating_add(r.minutes));
    TrainingStatus {
        person,
        year,
        minutes,
        required_minutes: REQUIRED_TRAINING_MINUTES_PER_YEAR,
        short_by_minutes: REQUIRED_TRAINING_MINUTES_PER_YEAR.saturating_sub(minutes),
    }
}

// ---------------------------------------------------------------------------------------------
// R2.4 Leaving a post

/// What a person still holds or owes when leaving a classified post (R2.4). The caller fills
/// it from the carrier and device ledgers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LeavingClearance {
    /// Carriers still registered to the person.
    pub carriers_held: BTreeSet<CarrierId>,
    /// Computers, media and equipment still assigned to the person or not yet cleared.
    pub devices_held: BTreeSet<DeviceId>,
    /// The exit confidentiality commitment letter is signed.
    pub exit_commitment_signed: bool,
}

/// One thing to clear before leaving (R2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Outstanding {
    /// A carrier to return.
    Carrier(CarrierId),
    /// A device to return or clear.
    Device(DeviceId),
    /// The exit commitment letter to sign.
    ExitCommitment,
}

impl Describe for Outstanding {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (Outstanding::Carrier(id), Lang::Zh) => format!("归还涉密载体 {id}"),
            (Outstanding::Carrier(id), Lang::En) => format!("return carrier {id}"),
            (Outstanding::Device(id), Lang::Zh) => format!("归还或清退设备 {id}"),
            (Outstanding::Device(id), Lang::En) => format!("return or clear device {id}"),
            (Outstanding::ExitCommitment, Lang::Zh) => "签订离岗保密承诺书".to_owned(),
            (Outstanding::ExitCommitment, Lang::En) => "sign the exit commitment letter".to_owned(),
        }
    }
}

impl LeavingClearance {
    /// Everything still outstanding: carriers, then devices, then the letter. Empty means the
    /// person may leave.
    pub fn outstanding(&self) -> Vec<Outstanding> {
        let mut out: Vec<Outstanding> = self
            .carriers_held
            .iter()
            .map(|c| Outstanding::Carrier(*c))
            .collect();
        out.extend(self.devices_held.iter().map(|d| Outstanding::Device(*d)));
        if !self.exit_commitment_signed {
            out.push(Outstanding::ExitCommitment);
        }
        out
    }
}

/// A detachment period (脱密期, R2.4): from the day a person leaves a classified post, for a
/// number of months within their category's range, longer only on a legal basis.
///
/// The period runs from `left_on` (inclusive) to [`Detachment::ends_on`] (exclusive), which
/// is `left_on` plus the months in the calendar. When the end month is shorter, the day is
/// clamped to its last day (jiff's span arithmetic): leaving on 31 August with 6 months ends on
/// 28 February (29 in a leap year).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Detachment {
    person: PersonId,
    category: Category,
    left_on: Date,
    months: u16,
    basis: Option<LegalBasis>,
    ends_on: Date,
}

impl<'de> Deserialize<'de> for Detachment {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            person: PersonId,
            category: Category,
            left_on: Date,
            months: u16,
            basis: Option<LegalBasis>,
        }
        let r = Raw::deserialize(deserializer)?;
        Detachment::start(r.person, r.category, r.left_on, r.months, r.basis)
            .map_err(serde::de::Error::custom)
    }
}

impl Detachment {
    /// R2.4: the person leaves their post on `left_on` and enters a detachment period of
    /// `months`. Refused while anything in `clearance` is outstanding, when `months` is below
    /// the category's range, or above it without a legal basis. The basis, when given, is kept
    /// with the record.
    pub fn new(
        person: PersonId,
        category: Category,
        left_on: Date,
        months: u16,
        basis: Option<LegalBasis>,
        clearance: &LeavingClearance,
    ) -> Result<Detachment, DetachmentError> {
        let outstanding = clearance.outstanding();
        if !outstanding.is_empty() {
            return Err(DetachmentError::Outstanding { outstanding });
        }
        Detachment::start(person, category, left_on, months, basis)
    }

    fn start(
        person: PersonId,
        category: Category,
        left_on: Date,
        months: u16,
        basis: Option<LegalBasis>,
    ) -> Result<Detachment, DetachmentError> {
        let range = category.detachment_months();
        if months < *range.start() {
            return Err(DetachmentError::TooShort {
                category,
                months,
                min: *range.start(),
            });
        }
        if months > *range.end() && basis.is_none() {
            return Err(DetachmentError::TooLongWithoutBasis {
                category,
                months,
                max: *range.end(),
            });
        }
        let ends_on = Span::new()
            .try_months(months)
            .and_then(|span| left_on.checked_add(span))
            .map_err(|_| DetachmentError::EndOutOfRange { months })?;
        Ok(Detachment {
            person,
            category,
            left_on,
            months,
            basis,
            ends_on,
        })
    }

    /// The person.
    pub fn person(&self) -> PersonId {
        self.person
    }

    /// The category they held.
    pub fn category(&self) -> Category {
        self.category
    }

    /// The day they left the post, the first day of the period.
    pub fn left_on(&self) -> Date {
        self.left_on
    }

    /// The length in months.
    pub fn months(&self) -> u16 {
        self.months
    }

    /// The legal basis for a longer period, if one was given.
    pub fn basis(&self) -> Option<&LegalBasis> {
        self.basis.as_ref()
    }

    /// The first day after the period (the reminder date of R13.4).
    pub fn ends_on(&self) -> Date {
        self.ends_on
    }

    /// True on the days `left_on <= on < ends_on`.
    pub fn is_in_detachment(&self, on: Date) -> bool {
        self.left_on <= on && on < self.ends_on
    }

    /// The person's standing on `on`: on post before leaving, detached during the period, no
    /// longer classified personnel after it.
    pub fn standing_on(&self, on: Date) -> Standing {
        if on < self.left_on {
            Standing::OnPost {
                category: self.category,
            }
        } else if on < self.ends_on {
            Standing::Detached {
                category: self.category,
                until: self.ends_on,
            }
        } else {
            Standing::NotClassified
        }
    }
}

/// A detachment period that cannot start (R2.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum DetachmentError {
    /// Carriers, devices or the exit letter still outstanding.
    #[error("the person may not leave yet; outstanding: {} (R2.4)", outstanding_en(.outstanding))]
    Outstanding {
        /// What must be cleared first.
        outstanding: Vec<Outstanding>,
    },
    /// Shorter than the category's minimum.
    #[error("{months} months is shorter than the {min} months required for {} (R2.4)", .category.en())]
    TooShort {
        /// The category.
        category: Category,
        /// The months asked.
        months: u16,
        /// The category's minimum.
        min: u16,
    },
    /// Longer than the category's maximum without a legal basis.
    #[error("{months} months exceeds the {max} months for {}; a longer period needs a legal basis (R2.4)", .category.en())]
    TooLongWithoutBasis {
        /// The category.
        category: Category,
        /// The months asked.
        months: u16,
        /// The category's maximum.
        max: u16,
    },
    /// The end date falls outside the calendar.
    #[error("a detachment period of {months} months ends beyond the calendar (R2.4)")]
    EndOutOfRange {
        /// The months asked.
        months: u16,
    },
}

fn outstanding_en(items: &[Outstanding]) -> String {
    let texts: Vec<String> = items.iter().map(|o| o.describe(Lang::En)).collect();
    texts.join("; ")
}

impl DetachmentError {
    /// The DOMAIN rule enforced: R2.4.
    pub fn rule(&self) -> RuleId {
        RuleId("R2.4")
    }
}

impl Describe for DetachmentError {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return self.to_string();
        }
        match self {
            DetachmentError::Outstanding { outstanding } => format!(
                "尚不得离岗，未完成：{}（R2.4）",
                outstanding
                    .iter()
                    .map(|o| o.describe(Lang::Zh))
                    .collect::<Vec<_>>()
                    .join("；")
            ),
            DetachmentError::TooShort {
                category,
                months,
                min,
            } => format!(
                "{}的脱密期不得少于 {min} 个月，所填为 {months} 个月（R2.4）",
                category.zh()
            ),
            DetachmentError::TooLongWithoutBasis {
                category,
                months,
                max,
            } => format!(
                "{}的脱密期最长 {max} 个月，所填 {months} 个月须有法律依据（R2.4）",
                category.zh()
            ),
            DetachmentError::EndOutOfRange { months } => {
                format!("{months} 个月的脱密期超出日历范围（R2.4）")
            }
        }
    }
}

/// Where a person stands on a given day (R2.4, R2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Standing {
    /// In a classified post.
    OnPost {
        /// Their category.
        category: Category,
    },
    /// In a detachment period; no category counts for access, but restrictions apply.
    Detached {
        /// The category they held.
        category: Category,
        /// The first day after the period.
        until: Date,
    },
    /// Not classified personnel (never were, or the detachment period is over).
    NotClassified,
}

// ---------------------------------------------------------------------------------------------
// R2.4, R2.6 Activities that need prior approval

/// Something a classified person (or one in detachment) may do only with prior approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Activity {
    /// Travel abroad (R2.6 on post, R2.4 in detachment). Carrying carriers abroad needs its own
    /// approval (R3.6), checked with the carrier.
    TravelAbroad,
    /// Publishing an article or work touching the unit's work (R2.6); the caller decides that
    /// it does.
    Publishing,
    /// Taking up new employment (R2.4, during detachment).
    NewEmployment,
}

impl Activity {
    /// 出境, 发表文章著作, 就业.
    pub fn zh(self) -> &'static str {
        match self {
            Activity::TravelAbroad => "出境",
            Activity::Publishing => "发表涉及本单位工作的文章、著作",
            Activity::NewEmployment => "另行就业",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            Activity::TravelAbroad => "travel abroad",
            Activity::Publishing => "publishing on the unit's work",
            Activity::NewEmployment => "new employment",
        }
    }

    /// Whether a person with this standing needs prior approval:
    /// * on post: travel abroad and publishing (R2.6); new employment means leaving the post
    ///   first, so it is not checked here;
    /// * in detachment: travel abroad and new employment (R2.4), and publishing (practice: the
    ///   commitment letter's duty not to publish unreviewed work continues);
    /// * not classified: nothing.
    pub fn needs_approval(self, standing: &Standing) -> bool {
        match standing {
            Standing::OnPost { .. } => self != Activity::NewEmployment,
            Standing::Detached { .. } => true,
            Standing::NotClassified => false,
        }
    }
}

/// An approval given before the activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorApproval {
    /// The approval record.
    pub approval: ApprovalId,
    /// The day it was given.
    pub approved_on: Date,
}

/// R2.4, R2.6: may the person do `activity` starting on `starts_on`? Needs, where
/// [`Activity::needs_approval`] says so, an approval given on or before that day.
pub fn check_activity(
    standing: &Standing,
    activity: Activity,
    starts_on: Date,
    approval: Option<&PriorApproval>,
) -> Result<(), ActivityRefused> {
    if !activity.needs_approval(standing) {
        return Ok(());
    }
    let detached = matches!(standing, Standing::Detached { .. });
    match approval {
        None => Err(ActivityRefused::NoApproval { activity, detached }),
        Some(a) if a.approved_on > starts_on => Err(ActivityRefused::NotPrior {
            activity,
            detached,
            approved_on: a.approved_on,
            starts_on,
        }),
        Some(_) => Ok(()),
    }
}

/// An activity refused for want of prior approval (R2.4, R2.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ActivityRefused {
    /// No approval at all.
    #[error("{} needs prior approval ({})", .activity.en(), activity_rule(*.detached))]
    NoApproval {
        /// The activity.
        activity: Activity,
        /// True if the person is in a detachment period (R2.4), false if on post (R2.6).
        detached: bool,
    },
    /// The approval came after the activity began.
    #[error("{} began on {starts_on} but was approved only on {approved_on}; approval must come first ({})", .activity.en(), activity_rule(*.detached))]
    NotPrior {
        /// The activity.
        activity: Activity,
        /// True if in a detachment period.
        detached: bool,
        /// The day of the approval.
        approved_on: Date,
        /// The day the activity starts.
        starts_on: Date,
    },
}

fn activity_rule(detached: bool) -> RuleId {
    RuleId(if detached { "R2.4" } else { "R2.6" })
}

impl ActivityRefused {
    /// The DOMAIN rule enforced: R2.4 in detachment, R2.6 on post.
    pub fn rule(&self) -> RuleId {
        match self {
            ActivityRefused::NoApproval { detached, .. }
            | ActivityRefused::NotPrior { detached, .. } => activity_rule(*detached),
        }
    }
}

impl Describe for ActivityRefused {
    fn describe(&self, lang: Lang) -> String {
        match (self, lang) {
            (_, Lang::En) => self.to_string(),
            (ActivityRefused::NoApproval { activity, .. }, Lang::Zh) => {
                format!("{}须事先经过审批（{}）", activity.zh(), self.rule())
            }
            (
                ActivityRefused::NotPrior {
                    activity,
                    approved_on,
                    starts_on,
                    ..
                },
                Lang::Zh,
            ) => format!(
                "{}于 {starts_on} 开始，审批却在 {approved_on}，须先审批（{}）",
                activity.zh(),
                self.rule()
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// R2.5 Reportable major matters

/// A major matter classified personnel must report (R2.5; incidents abroad, R2.6). Each report
/// is recorded and followed up by the confidentiality office.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportableMatter {
    /// A leak, or causing one.
    Leak,
    /// Being approached, infiltrated or incited.
    ApproachedOrIncited,
    /// Funding from institutions, organisations or non-relatives abroad.
    FundingFromAbroad,
    /// Marrying a foreign national (or a person residing abroad).
    MarriageToForeigner,
    /// Spouse or children gaining permanent residence abroad or a foreign nationality.
    FamilyForeignResidenceOrNationality,
    /// Interrogation, inducement, coercion or another major incident abroad (R2.6).
    IncidentAbroad,
    /// Anything else that may affect the security of secrets.
    Other,
}

impl ReportableMatter {
    /// Every reportable matter.
    pub const ALL: [ReportableMatter; 7] = [
        ReportableMatter::Leak,
        ReportableMatter::ApproachedOrIncited,
        ReportableMatter::FundingFromAbroad,
        ReportableMatter::MarriageToForeigner,
        ReportableMatter::FamilyForeignResidenceOrNationality,
        ReportableMatter::IncidentAbroad,
        ReportableMatter::Other,
    ];

    /// The Chinese name.
    pub fn zh(self) -> &'static str {
        match self {
            ReportableMatter::Leak => "发生泄密或造成泄密",
            ReportableMatter::ApproachedOrIncited => "发现被策反、渗透",
            ReportableMatter::FundingFromAbroad => "接受境外机构、组织及非亲属资助",
            ReportableMatter::MarriageToForeigner => "与境外人员通婚",
            ReportableMatter::FamilyForeignResidenceOrNationality => {
                "配偶、子女获得境外永久居留资格或取得外国国籍"
            }
            ReportableMatter::IncidentAbroad => "在境外遭盘问、引诱、胁迫等重大异常情况",
            ReportableMatter::Other => "其他可能影响国家秘密安全的个人情况",
        }
    }

    /// The English name.
    pub fn en(self) -> &'static str {
        match self {
            ReportableMatter::Leak => "a leak, or causing one",
            ReportableMatter::ApproachedOrIncited => "being approached or incited",
            ReportableMatter::FundingFromAbroad => "funding from abroad",
            ReportableMatter::MarriageToForeigner => "marrying a foreign national",
            ReportableMatter::FamilyForeignResidenceOrNationality => {
                "spouse or children gaining foreign residence or nationality"
            }
            ReportableMatter::IncidentAbroad => "interrogation, inducement or coercion abroad",
            ReportableMatter::Other => "anything else that may affect secrets",
        }
    }

    /// R2.5, or R2.6 for incidents abroad.
    pub fn rule(self) -> RuleId {
        RuleId(match self {
            ReportableMatter::IncidentAbroad => "R2.6",
            _ => "R2.5",
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Password resets by administrators (R5.3, R13.1)
// ---------------------------------------------------------------------------------------------

/// How the system administrator's reset of someone's password proceeds (R5.3: no single
/// administrator may become another user; R13.1: the software enforces the separation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordReset {
    /// The person belongs to another unit: not this administrator's to reset.
    OtherUnit,
    /// Not classified personnel and holding no right of the service (no role, no approval
    /// role): the reset issues a one-time password at once (never one the administrator
    /// chooses), to be changed at the first login.
    Direct,
    /// Classified personnel (any category), or anyone holding a role or an approval role (a
    /// confidentiality officer, a unit head, an approver — their account decides things even
    /// without a category): the reset waits until the unit's security administrator — a
    /// second person, for the confidentiality office — confirms it; only then is a one-time
    /// password issued, shown to the security administrator.
    NeedsSecurityAdministrator,
}

/// R5.3: how a reset of the password of a person of `target_unit` with `target_category`
/// (holding rights of the service if `target_holds_rights`: a role or an approval role),
/// asked for by a system administrator of `admin_unit`, proceeds.
pub fn password_reset(
    admin_unit: UnitId,
    target_unit: UnitId,
    target_category: Option<Category>,
    target_holds_rights: bool,
) -> PasswordReset {
    if admin_unit != target_unit {
        PasswordReset::OtherUnit
    } else if target_category.is_some() || target_holds_rights {
        PasswordReset::NeedsSecurityAdministrator
    } else {
        PasswordReset::Direct
    }
}

/// Who confirms a pending password reset, and of whom (R5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetConfirmation {
    /// The person confirming.
    pub confirmer: PersonId,
    /// Their unit.
    pub confirmer_unit: UnitId,
    /// Whether they are a security administrator.
    pub confirmer_is_security_administrator: bool,
    /// Who asked for the reset.
    pub requester: PersonId,
    /// Whose password is reset.
    pub target: PersonId,
    /// Their unit.
    pub target_unit: UnitId,
    /// Whether the person holds one of the three administrator roles now (they may have been
    /// given one since the reset was asked for).
    pub target_is_administrator: bool,
    /// Whether the person is still in post with an enabled account.
    pub target_active: bool,
}

/// R5.3: a pending reset is confirmed by a security administrator of the person's own unit who
/// is neither the one who asked for it nor the person themself (two persons, always) — and
/// only while the person is active and holds no administrator role: an administrator's
/// password is reset at the console, never by another administrator (who would then know it
/// and hold two roles in practice).
pub fn may_confirm_password_reset(c: &ResetConfirmation) -> bool {
    c.confirmer_is_security_administrator
        && c.confirmer_unit == c.target_unit
        && c.confirmer != c.requester
        && c.confirmer != c.target
        && !c.target_is_administrator
        && c.target_active
}
