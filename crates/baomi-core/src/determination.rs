//! Determination of state secrets (定密): authority, proposal and approval, change, extension,
//! declassification, escalation and derived works (DOMAIN R1.4–R1.11, with R1.2 and R1.12).
//!
//! The module is in seven sections:
//!
//! 1. **Units and their authority** (R1.4): [`UnitTier`], [`Authorisation`], [`Unit`],
//!    [`UnitDirectory::unit_authority`] → [`AuthoritySource`] or a refusal naming the unit to
//!    apply to.
//! 2. **Classifiers** (R1.5): [`Classifier`], [`Classifier::check_qualified`].
//! 3. **Proposals and approval** (R1.6, R1.7, R1.2, R1.12): [`Proposal`], [`ProposalRecord`]
//!    (filed → approved or rejected, every attempt recorded), [`Catalogue`].
//! 4. **The classified matter** (R1.8, R1.9): [`ClassifiedMatter`] with change, extension,
//!    review, early declassification, condition met and [`ClassifiedMatter::status_on`];
//!    every change returns a [`MatterEffect`] (who to tell, which carriers to re-mark).
//! 5. **Escalation** (R1.10): [`escalation_target`], the [`UnclearMatter`] and [`Dispute`]
//!    workflows with their [`Stage`]s and deadlines; a provincial department that finds a
//!    matter may be Top Secret forwards it to the national one ([`Step::Forward`]).
//! 6. **Derived works** (R1.11): [`derive()`], [`derivation_requirement`],
//!    [`check_derivation_consent`] (shared with carrier copies), [`intersect_scopes`].
//! 7. **Records and refusals**: [`Event`], [`Action`], [`Refusal`] (each with its rule id).
//!
//! Every operation validates first and changes state only when every check passed. The one
//! deliberate exception is deciding a proposal ([`ProposalRecord::approve`],
//! [`ProposalRecord::reject`]): a refused attempt leaves the proposal pending but appends the
//! refusal to its history, because R1.6 wants every step recorded. Two refusals are not
//! attempts and are never recorded: a proposal already decided, and a date before the last
//! successful step. Refused attempts do not move the date-ordering anchor: only successful
//! steps are kept in date order.
//!
//! Dates are civil days. A period "ends" on the day [`Mark::declassifies_on`] gives: the matter
//! is declassified on that day (R1.9), so it is in force only strictly before it.

use crate::access::{KnowledgeScope, Object, ScopeError, ScopeHolder};
use crate::ids::{MatterId, PersonId, UnitId};
use crate::marks::{add_years, LegalBasis, Level, Mark, MarkError, MarkErrorKind, Term};
use crate::{Describe, Lang, RuleId};
use jiff::civil::Date;
use jiff::Span;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

// ───────────────────────────── 1. Units and their authority (R1.4) ─────────────────────────────

/// A subject area (业务领域) to which an authorisation is limited (R1.4), e.g. "国防科研".
/// Compared exactly, after trimming on construction with [`SubjectArea::new`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SubjectArea(pub String);

impl SubjectArea {
    /// A subject area from text, trimmed.
    pub fn new(text: &str) -> SubjectArea {
        SubjectArea(text.trim().to_owned())
    }
}

impl fmt::Display for SubjectArea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The tier of an organ or unit, which fixes its statutory authority to classify (R1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitTier {
    /// 中央国家机关 — may set all three levels.
    Central,
    /// 省级机关 — may set all three levels.
    Provincial,
    /// 设区的市、自治州一级机关 — may set Confidential and Secret.
    Prefecture,
    /// Any other organ or unit: no statutory authority, only what it is authorised to set.
    Other,
}

impl UnitTier {
    /// R1.4: the highest level the tier may set by law, `None` for [`UnitTier::Other`].
    pub fn statutory_highest(self) -> Option<Level> {
        match self {
            UnitTier::Central | UnitTier::Provincial => Some(Level::TopSecret),
            UnitTier::Prefecture => Some(Level::Confidential),
            UnitTier::Other => None,
        }
    }

    /// 中央国家机关, 省级机关, 设区的市级机关, 其他机关单位.
    pub fn zh(self) -> &'static str {
        match self {
            UnitTier::Central => "中央国家机关",
            UnitTier::Provincial => "省级机关",
            UnitTier::Prefecture => "设区的市、自治州一级机关",
            UnitTier::Other => "其他机关、单位",
        }
    }

    /// central state organ, provincial organ, prefecture-level organ, other unit.
    pub fn en(self) -> &'static str {
        match self {
            UnitTier::Central => "central state organ",
            UnitTier::Provincial => "provincial organ",
            UnitTier::Prefecture => "prefecture-level organ",
            UnitTier::Other => "other organ or unit",
        }
    }
}

/// An authorisation to classify (定密授权, R1.4), granted by an organ with statutory authority.
/// What it allows is limited by its grant (highest level and subject areas) **and** by what the
/// granting organ may itself set: a prefecture-level organ cannot pass on Top Secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authorisation {
    /// The organ that granted it; only a unit whose tier has statutory authority can grant.
    pub granted_by: UnitId,
    /// The highest level granted.
    pub highest_level: Level,
    /// The subject areas granted; a level outside them is not covered.
    pub subject_areas: BTreeSet<SubjectArea>,
    /// The first day it applies.
    pub granted_on: Date,
    /// The day it was withdrawn: from that day on it no longer applies.
    pub withdrawn_on: Option<Date>,
}

impl Authorisation {
    /// True on the days from `granted_on` up to, not including, `withdrawn_on`.
    pub fn in_force_on(&self, on: Date) -> bool {
        on >= self.granted_on && self.withdrawn_on.is_none_or(|w| on < w)
    }
}

/// An organ or unit (机关、单位) as far as determination needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Its id.
    pub id: UnitId,
    /// Its name, for display.
    pub name: String,
    /// Its tier (R1.4).
    pub tier: UnitTier,
    /// The unit above it, to which it applies when it lacks authority (R1.4) and whose
    /// classifiers may change its determinations (R1.8).
    pub superior: Option<UnitId>,
    /// Authorisations it holds, including withdrawn ones (kept for the record).
    pub authorisations: Vec<Authorisation>,
}

/// Where a unit's authority to set a level comes from (R1.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AuthoritySource {
    /// By law, from the unit's tier.
    Statutory {
        /// The tier.
        tier: UnitTier,
    },
    /// By an authorisation in force.
    Authorised {
        /// The granting organ.
        granted_by: UnitId,
        /// The day of the grant (identifies it together with `granted_by`).
        granted_on: Date,
    },
}

/// The units the rules need to know about: tiers, superiors and authorisations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitDirectory {
    units: BTreeMap<UnitId, Unit>,
}

/// Why a unit has no authority of its own (before the escalation target is added).
enum Missing {
    Tier,
    OutsideGrant,
    Withdrawn {
        granted_by: UnitId,
        withdrawn_on: Date,
    },
}

impl UnitDirectory {
    /// A directory of the given units (a later unit with the same id replaces an earlier one).
    pub fn new(units: impl IntoIterator<Item = Unit>) -> UnitDirectory {
        UnitDirectory {
            units: units.into_iter().map(|u| (u.id, u)).collect(),
        }
    }

    /// Adds or replaces a unit; returns the one replaced.
    pub fn insert(&mut self, unit: Unit) -> Option<Unit> {
        self.units.insert(unit.id, unit)
    }

    /// The unit with this id.
    pub fn get(&self, id: UnitId) -> Option<&Unit> {
        self.units.get(&id)
    }

    /// The chain of superiors, nearest first. Stops at an unknown unit or a cycle.
    pub fn superiors(&self, id: UnitId) -> Vec<UnitId> {
        let mut chain = Vec::new();
        let mut next = self.get(id).and_then(|u| u.superior);
        while let Some(s) = next {
            if s == id || chain.contains(&s) {
                break;
            }
            chain.push(s);
            next = self.get(s).and_then(|u| u.superior);
        }
        chain
    }

    /// True when `upper` is somewhere above `lower`.
    pub fn is_superior_of(&self, upper: UnitId, lower: UnitId) -> bool {
        self.superiors(lower).contains(&upper)
    }

    /// R1.4: may `unit` set `level` in `area` on the day `on`? Statutory authority comes from
    /// the tier; otherwise from an authorisation in force that covers the level and the area,
    /// capped at what its granting organ may set. A refusal names in `apply_to` the nearest
    /// superior that has the authority (the unit must apply to it), if there is one.
    pub fn unit_authority(
        &self,
        unit: UnitId,
        level: Level,
        area: &SubjectArea,
        on: Date,
    ) -> Result<AuthoritySource, Refusal> {
        if !level.is_state_secret() {
            return Err(Refusal::NotAStateSecret { level });
        }
        let Some(u) = self.get(unit) else {
            return Err(Refusal::UnknownUnit { unit });
        };
        let missing = match self.authority_here(u, level, area, on) {
            Ok(source) => return Ok(source),
            Err(missing) => missing,
        };
        let apply_to = self.superiors(unit).into_iter().find(|s| {
            self.get(*s)
                .is_some_and(|su| self.authority_here(su, level, area, on).is_ok())
        });
        Err(match missing {
            Missing::Tier => Refusal::TierMayNotSet {
                unit,
                tier: u.tier,
                level,
                apply_to,
            },
            Missing::OutsideGrant => Refusal::OutsideGrant {
                unit,
                level,
                subject_area: area.clone(),
                apply_to,
            },
            Missing::Withdrawn {
                granted_by,
                withdrawn_on,
            } => Refusal::AuthorisationWithdrawn {
                unit,
                granted_by,
                withdrawn_on,
                apply_to,
            },
        })
    }

    fn authority_here(
        &self,
        u: &Unit,
        level: Level,
        area: &SubjectArea,
        on: Date,
    ) -> Result<AuthoritySource, Missing> {
        if u.tier.statutory_highest().is_some_and(|h| level <= h) {
            return Ok(AuthoritySource::Statutory { tier: u.tier });
        }
        let mut withdrawn = None;
        let mut any_in_force = false;
        for a in u.authorisations.iter().filter(|a| on >= a.granted_on) {
            let ceiling = self
                .get(a.granted_by)
                .and_then(|g| g.tier.statutory_highest())
                .map(|h| h.min(a.highest_level));
            let covers = ceiling.is_some_and(|c| level <= c) && a.subject_areas.contains(area);
            match (a.in_force_on(on), covers) {
                (true, true) => {
                    return Ok(AuthoritySource::Authorised {
                        granted_by: a.granted_by,
                        granted_on: a.granted_on,
                    })
                }
                (true, false) => any_in_force = true,
                (false, true) => {
                    withdrawn = a.withdrawn_on.map(|w| Missing::Withdrawn {
                        granted_by: a.granted_by,
                        withdrawn_on: w,
                    })
                }
                (false, false) => {}
            }
        }
        Err(withdrawn.unwrap_or(if any_in_force {
            Missing::OutsideGrant
        } else {
            Missing::Tier
        }))
    }
}

// ───────────────────────────────────── 2. Classifiers (R1.5) ─────────────────────────────────────

/// A person who may approve determinations for a unit (定密责任人, R1.5).
///
/// The head of the unit is its responsible classifier; others are designated by the head with
/// a highest level. A classifier must have passed classification training and hold a
/// certificate that has not expired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classifier {
    /// The person.
    pub person: PersonId,
    /// The unit they classify for.
    pub unit: UnitId,
    /// The highest level they may set; always capped by the unit's own authority (R1.4).
    pub highest_level: Level,
    /// True for the head of the unit, the responsible classifier. The head may also change,
    /// review and declassify the unit's determinations made by other classifiers (R1.8).
    pub is_head: bool,
    /// Passed the classification training.
    pub trained: bool,
    /// The last day the certificate is valid (inclusive: it is still valid on that day);
    /// `None` when they hold no certificate.
    pub certificate_expires: Option<Date>,
}

impl Classifier {
    /// The head of a unit: limited only by the unit's authority (highest level Top Secret).
    pub fn head(
        person: PersonId,
        unit: UnitId,
        trained: bool,
        certificate_expires: Option<Date>,
    ) -> Classifier {
        Classifier {
            person,
            unit,
            highest_level: Level::TopSecret,
            is_head: true,
            trained,
            certificate_expires,
        }
    }

    /// R1.5: trained, certified, certificate valid on `on` (the expiry day itself still counts
    /// as valid — our choice, DOMAIN is silent), and `level` within their highest level.
    pub fn check_qualified(&self, level: Level, on: Date) -> Result<(), Refusal> {
        let person = self.person;
        if !self.trained {
            return Err(Refusal::NoTraining { person });
        }
        match self.certificate_expires {
            None => return Err(Refusal::NoCertificate { person }),
            Some(expired_on) if on > expired_on => {
                return Err(Refusal::CertificateExpired { person, expired_on })
            }
            Some(_) => {}
        }
        if level > self.highest_level {
            return Err(Refusal::AboveClassifierLevel {
                person,
                highest: self.highest_level,
                level,
            });
        }
        Ok(())
    }
}

// ───────────────────────────── 3. Proposals and approval (R1.6, R1.7) ─────────────────────────────

/// The catalogue "scope of secret matters" (保密事项范围) a unit works under: the items a
/// proposal's basis must name (R1.6, R1.12). Compared exactly after trimming.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Catalogue {
    /// The item identifiers or titles.
    pub items: BTreeSet<String>,
}

impl Catalogue {
    /// True when `basis` names an item of the catalogue.
    pub fn covers(&self, basis: &str) -> bool {
        self.items.contains(basis.trim())
    }
}

/// A handling officer's proposal to classify a matter (定密意见, R1.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    /// What the matter is; must not be blank.
    pub title: String,
    /// The proposed level and period or condition (R1.3).
    pub mark: Mark,
    /// Who may know it (R1.7); must name at least one person, and every unit or department in
    /// it must be limited to named persons ([`KnowledgeScope::validate`]).
    pub scope: KnowledgeScope,
    /// The catalogue item it falls under (R1.6); must not be blank.
    pub basis: String,
    /// The subject area, which authorisations are limited to (R1.4).
    pub subject_area: SubjectArea,
    /// The handling officer (承办人) who proposes it.
    pub proposer: PersonId,
    /// The unit where the matter arose.
    pub unit: UnitId,
    /// The day of the proposal.
    pub proposed_on: Date,
    /// A legal basis for a period longer than R1.2 allows, if a law provides one.
    pub period_override: Option<LegalBasis>,
}

impl Proposal {
    /// The proposal names everything R1.6 asks for: a state-secret level (R1.1), a title, a
    /// basis (R1.6) and a valid knowledge scope (R1.7: names someone, and every unit or
    /// department in it is limited to named persons).
    pub fn check_complete(&self) -> Result<(), Refusal> {
        let level = self.mark.level();
        if !level.is_state_secret() {
            return Err(Refusal::NotAStateSecret { level });
        }
        if self.title.trim().is_empty() {
            return Err(Refusal::EmptyTitle);
        }
        if self.basis.trim().is_empty() {
            return Err(Refusal::EmptyBasis);
        }
        self.scope.validate()?;
        Ok(())
    }

    /// R1.12: a basis that is empty or names no item of `catalogue` means the matter should
    /// not be classified as proposed — either it is not secret, or it is an unclear matter
    /// that goes to the confidentiality department ([`UnclearMatter`], R1.10). Approval itself
    /// does not consult a catalogue (an unclear matter confirmed upward has none); the ledger
    /// and the approval screen use this check to flag it.
    pub fn check_basis(&self, catalogue: &Catalogue) -> Result<(), Refusal> {
        if self.basis.trim().is_empty() {
            return Err(Refusal::EmptyBasis);
        }
        if !catalogue.covers(&self.basis) {
            return Err(Refusal::BasisNotInCatalogue {
                basis: self.basis.trim().to_owned(),
            });
        }
        Ok(())
    }
}

/// Where a filed proposal stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ProposalState {
    /// Waiting for a classifier.
    Pending,
    /// Approved: the matter is classified.
    Approved {
        /// The classified matter.
        matter: MatterId,
        /// The day of approval, which is the date of classification.
        on: Date,
    },
    /// Rejected on its merits by a classifier.
    Rejected {
        /// The day of rejection.
        on: Date,
    },
}

/// A filed proposal with its history (R1.6): proposed, every refused attempt, the decision.
///
/// The history is in recording order. Successful steps (proposed, approved, rejected) are in
/// date order; a refused attempt is recorded with the date it was made but does not constrain
/// later steps, so a valid decision may carry an earlier date than a refused attempt (never an
/// earlier date than the filing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalRecord {
    proposal: Proposal,
    state: ProposalState,
    history: Vec<Event>,
}

impl ProposalRecord {
    /// Files a complete proposal ([`Proposal::check_complete`]), recording who proposed it,
    /// when, and the basis as the reason.
    pub fn file(proposal: Proposal) -> Result<ProposalRecord, Refusal> {
        proposal.check_complete()?;
        let event = Event {
            by: proposal.proposer,
            on: proposal.proposed_on,
            action: Action::Proposed,
            reason: proposal.basis.trim().to_owned(),
        };
        Ok(ProposalRecord {
            proposal,
            state: ProposalState::Pending,
            history: vec![event],
        })
    }

    /// The proposal.
    pub fn proposal(&self) -> &Proposal {
        &self.proposal
    }

    /// Where it stands.
    pub fn state(&self) -> &ProposalState {
        &self.state
    }

    /// Every step so far, in recording order (see [`ProposalRecord`] for how dates relate).
    pub fn history(&self) -> &[Event] {
        &self.history
    }

    /// R1.6, R1.7, R13.1: the object a read of this proposal (or of its approval request) is
    /// decided as. `id` names it; `deciders` are the classifiers it is routed to; `matter` is
    /// the access object of the matter it became, as the matter stands now.
    ///
    /// * Pending: the matter it would be, known to the proposed scope, the proposer and the
    ///   deciders (they must read it to decide it).
    /// * Approved: the matter itself, under its current level, scope and status — a scope
    ///   narrowed by a change (R1.8) narrows the proposal too, and neither the proposer nor the
    ///   classifiers keep a way around it. A missing matter is known to nobody.
    /// * Rejected: the proposed scope, the proposer and the classifier who rejected it; being
    ///   routed to it is no grant to read it once it is decided.
    pub fn access_object(
        &self,
        id: MatterId,
        deciders: &BTreeSet<PersonId>,
        matter: Option<&Object>,
    ) -> Object {
        let p = &self.proposal;
        let mut scope = p.scope.clone();
        match &self.state {
            ProposalState::Approved { .. } => {
                return match matter {
                    Some(object) => object.clone(),
                    None => Object::matter(id, p.mark.level(), KnowledgeScope::default()),
                }
            }
            ProposalState::Pending => {
                scope.persons.insert(p.proposer);
                scope.persons.extend(deciders.iter().copied());
            }
            ProposalState::Rejected { .. } => {
                scope.persons.insert(p.proposer);
                scope.persons.extend(
                    self.history
                        .iter()
                        .filter(|e| matches!(e.action, Action::Rejected))
                        .map(|e| e.by),
                );
            }
        }
        Object::matter(id, p.mark.level(), scope)
    }

    /// The date of the last successful step; refused attempts do not count.
    fn last_step(&self) -> Date {
        self.history
            .iter()
            .rev()
            .find(|e| !e.action.is_refused_attempt())
            .map_or(self.proposal.proposed_on, |e| e.on)
            .max(self.proposal.proposed_on)
    }

    /// Records a refused attempt to decide (R1.6), unless the refusal is not an attempt at
    /// all: the proposal was already decided, or the date is before the last successful step.
    fn record_refusal(&mut self, by: PersonId, on: Date, refusal: &Refusal, approving: bool) {
        if matches!(
            refusal,
            Refusal::AlreadyDecided | Refusal::DateBeforePreviousStep { .. }
        ) {
            return;
        }
        let refusal = refusal.clone();
        self.history.push(Event {
            by,
            on,
            action: if approving {
                Action::Refused { refusal }
            } else {
                Action::RejectionRefused { refusal }
            },
            reason: String::new(),
        });
    }

    /// Checks, without recording anything, whether `classifier` may approve on `on`:
    /// the proposal is pending and complete; the classifier is not the proposer (R1.6,
    /// practice), is qualified for the level (R1.5) and belongs to the proposal's unit, which
    /// has authority for the level and subject area (R1.4) — or, when that unit lacks it, to
    /// the unit it must apply to; and the period fits R1.2 counted from `on` (the date of
    /// classification) unless the proposal carries a legal-basis override.
    pub fn check_approval(
        &self,
        classifier: &Classifier,
        units: &UnitDirectory,
        on: Date,
    ) -> Result<AuthoritySource, Refusal> {
        let p = &self.proposal;
        self.check_decision(classifier, on)?;
        let level = p.mark.level();
        let own = units.unit_authority(p.unit, level, &p.subject_area, on);
        let authority = if classifier.unit == p.unit {
            own?
        } else {
            match own {
                Err(r) if r.apply_to() == Some(classifier.unit) => {
                    units.unit_authority(classifier.unit, level, &p.subject_area, on)?
                }
                _ => {
                    return Err(Refusal::ClassifierOfAnotherUnit {
                        person: classifier.person,
                        classifier_unit: classifier.unit,
                        unit: p.unit,
                    })
                }
            }
        };
        p.mark
            .check_against_classification_date(on, p.period_override.as_ref())
            .map_err(period_refusal)?;
        Ok(authority)
    }

    /// Checks common to approving and rejecting.
    fn check_decision(&self, classifier: &Classifier, on: Date) -> Result<(), Refusal> {
        if self.state != ProposalState::Pending {
            return Err(Refusal::AlreadyDecided);
        }
        check_order(self.last_step(), on)?;
        self.proposal.check_complete()?;
        if classifier.person == self.proposal.proposer {
            return Err(Refusal::SelfApproval {
                person: classifier.person,
            });
        }
        classifier.check_qualified(self.proposal.mark.level(), on)
    }

    /// R1.6: approves the proposal on `on`, yielding the classified matter `matter` whose
    /// period counts from `on`. On refusal the proposal stays pending and the refusal is
    /// appended to its history as [`Action::Refused`] — except [`Refusal::AlreadyDecided`] and
    /// [`Refusal::DateBeforePreviousStep`] (a date before the filing or the last successful
    /// step), which are not attempts and leave the record unchanged.
    pub fn approve(
        &mut self,
        classifier: &Classifier,
        units: &UnitDirectory,
        matter: MatterId,
        on: Date,
    ) -> Result<ClassifiedMatter, Refusal> {
        let authority = match self.check_approval(classifier, units, on) {
            Ok(a) => a,
            Err(refusal) => {
                self.record_refusal(classifier.person, on, &refusal, true);
                return Err(refusal);
            }
        };
        let p = &self.proposal;
        self.history.push(Event {
            by: classifier.person,
            on,
            action: Action::Approved { matter },
            reason: p.basis.trim().to_owned(),
        });
        self.state = ProposalState::Approved { matter, on };
        Ok(ClassifiedMatter {
            id: matter,
            title: p.title.trim().to_owned(),
            unit: classifier.unit,
            proposing_unit: p.unit,
            classifier: classifier.person,
            proposer: p.proposer,
            subject_area: p.subject_area.clone(),
            basis: p.basis.trim().to_owned(),
            mark: p.mark.clone(),
            scope: p.scope.clone(),
            classified_on: on,
            period_override: p.period_override.clone(),
            authority,
            last_reviewed_on: None,
            declassified: None,
            history: self.history.clone(),
        })
    }

    /// A classifier of the proposal's unit, qualified for its level, rejects it on its merits
    /// (e.g. not secret, R1.12) with a reason. A refusal is recorded exactly as for
    /// [`ProposalRecord::approve`], as [`Action::RejectionRefused`].
    pub fn reject(
        &mut self,
        classifier: &Classifier,
        on: Date,
        reason: &str,
    ) -> Result<(), Refusal> {
        let reason = match self.check_rejection(classifier, on, reason) {
            Ok(r) => r,
            Err(refusal) => {
                self.record_refusal(classifier.person, on, &refusal, false);
                return Err(refusal);
            }
        };
        self.history.push(Event {
            by: classifier.person,
            on,
            action: Action::Rejected,
            reason,
        });
        self.state = ProposalState::Rejected { on };
        Ok(())
    }

    /// The checks of [`ProposalRecord::reject`]; returns the trimmed reason.
    fn check_rejection(
        &self,
        classifier: &Classifier,
        on: Date,
        reason: &str,
    ) -> Result<String, Refusal> {
        self.check_decision(classifier, on)?;
        if classifier.unit != self.proposal.unit {
            return Err(Refusal::ClassifierOfAnotherUnit {
                person: classifier.person,
                classifier_unit: classifier.unit,
                unit: self.proposal.unit,
            });
        }
        require_reason(reason)
    }
}

// ───────────────────────────── 4. The classified matter (R1.8, R1.9) ─────────────────────────────

/// The review interval of R1.9 (practice: yearly).
pub const REVIEW_INTERVAL_YEARS: u16 = 1;

/// Why a matter was declassified before its period ended (R1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum EarlyGround {
    /// The catalogue (or the law behind it) changed so that it is no longer secret.
    CatalogueChanged,
    /// Disclosure would no longer harm national security and interests.
    NoLongerHarmful,
}

impl EarlyGround {
    /// 保密事项范围调整, 公开后不会损害国家安全和利益.
    pub fn zh(self) -> &'static str {
        match self {
            EarlyGround::CatalogueChanged => "保密事项范围调整后不再属于国家秘密",
            EarlyGround::NoLongerHarmful => "公开后不会损害国家安全和利益",
        }
    }

    /// catalogue changed, no longer harmful.
    pub fn en(self) -> &'static str {
        match self {
            EarlyGround::CatalogueChanged => "the catalogue changed and it is no longer secret",
            EarlyGround::NoLongerHarmful => "disclosure would no longer cause harm",
        }
    }
}

/// How a matter was declassified (R1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum DeclassifiedBy {
    /// Its period ended (automatic, computed from the date, never needs recording).
    PeriodEnded,
    /// Declassified early after review.
    EarlyReview {
        /// The ground.
        ground: EarlyGround,
    },
    /// Its declassification condition was recorded as met.
    ConditionMet,
}

impl DeclassifiedBy {
    /// The name in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            DeclassifiedBy::PeriodEnded => "保密期限届满自行解密",
            DeclassifiedBy::EarlyReview { .. } => "审核后提前解密",
            DeclassifiedBy::ConditionMet => "解密条件达成",
        }
    }

    /// The name in English.
    pub fn en(self) -> &'static str {
        match self {
            DeclassifiedBy::PeriodEnded => "period ended",
            DeclassifiedBy::EarlyReview { .. } => "declassified early after review",
            DeclassifiedBy::ConditionMet => "condition met",
        }
    }
}

/// A matter's status on a given day (R1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MatterStatus {
    /// The day is before the date of classification.
    NotYetClassified,
    /// Classified; declassifies on the given day, or `None` when it waits for a condition.
    InForce {
        /// The day its period ends.
        declassifies_on: Option<Date>,
    },
    /// Declassified since `on`.
    Declassified {
        /// The first day it is no longer secret.
        on: Date,
        /// How.
        how: DeclassifiedBy,
    },
}

/// A requested change of level, period and/or scope (R1.8). `None` keeps the current value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct MatterChange {
    /// The new level; must be a state secret (to stop being one, declassify).
    pub level: Option<Level>,
    /// The new period, still counted from the date of classification.
    pub term: Option<Term>,
    /// The new knowledge scope.
    pub scope: Option<KnowledgeScope>,
    /// The legal basis for a period beyond R1.2. A change of level or period must carry it
    /// again (our choice: an old basis may not fit the new mark); it replaces the stored one.
    pub period_override: Option<LegalBasis>,
}

/// What carriers of the matter need after a change (R1.8, R1.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum CarrierAction {
    /// The mark is unchanged (only the scope changed; the mark does not carry the scope).
    Unchanged,
    /// Every carrier is re-marked from `from` to `to`.
    Remark {
        /// The old mark.
        from: Mark,
        /// The new mark.
        to: Mark,
    },
    /// Every carrier is marked declassified as of `on`.
    MarkDeclassified {
        /// The day of declassification.
        on: Date,
    },
}

/// The effect of a change, extension or declassification that the caller must carry out:
/// tell everybody in the old or new scope, and act on every carrier (R1.8, R1.9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatterEffect {
    /// The matter.
    pub matter: MatterId,
    /// Every person named in the scope before or after.
    pub notify_persons: BTreeSet<PersonId>,
    /// Every unit or department named in the scope before or after.
    pub notify_holders: BTreeSet<ScopeHolder>,
    /// What to do with the carriers.
    pub carriers: CarrierAction,
}

/// A recorded (not automatic) declassification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Recorded {
    on: Date,
    how: DeclassifiedBy,
}

/// A classified matter in the ledger (R1.6–R1.9). Created only by [`ProposalRecord::approve`];
/// changed only through its methods, each of which checks authority and records an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassifiedMatter {
    id: MatterId,
    title: String,
    unit: UnitId,
    proposing_unit: UnitId,
    classifier: PersonId,
    proposer: PersonId,
    subject_area: SubjectArea,
    basis: String,
    mark: Mark,
    scope: KnowledgeScope,
    classified_on: Date,
    period_override: Option<LegalBasis>,
    authority: AuthoritySource,
    last_reviewed_on: Option<Date>,
    declassified: Option<Recorded>,
    history: Vec<Event>,
}

impl ClassifiedMatter {
    /// Its id.
    pub fn id(&self) -> MatterId {
        self.id
    }
    /// Its title.
    pub fn title(&self) -> &str {
        &self.title
    }
    /// The classifying unit (the proposal's unit, or the unit it applied to, R1.4).
    pub fn unit(&self) -> UnitId {
        self.unit
    }
    /// The unit where the matter arose and was proposed (differs from [`ClassifiedMatter::unit`]
    /// when that unit lacked authority and applied upward, R1.4).
    pub fn proposing_unit(&self) -> UnitId {
        self.proposing_unit
    }
    /// The original classifier.
    pub fn classifier(&self) -> PersonId {
        self.classifier
    }
    /// The handling officer who proposed it.
    pub fn proposer(&self) -> PersonId {
        self.proposer
    }
    /// Its subject area.
    pub fn subject_area(&self) -> &SubjectArea {
        &self.subject_area
    }
    /// The catalogue item it falls under.
    pub fn basis(&self) -> &str {
        &self.basis
    }
    /// Its current mark.
    pub fn mark(&self) -> &Mark {
        &self.mark
    }
    /// Its current knowledge scope.
    pub fn scope(&self) -> &KnowledgeScope {
        &self.scope
    }
    /// The date of classification, from which a period in years counts.
    pub fn classified_on(&self) -> Date {
        self.classified_on
    }
    /// The legal basis for a period beyond R1.2, if any.
    pub fn period_override(&self) -> Option<&LegalBasis> {
        self.period_override.as_ref()
    }
    /// Where the classifying unit's authority came from when it was classified (R1.4).
    pub fn authority(&self) -> &AuthoritySource {
        &self.authority
    }
    /// The day of the last recorded review.
    pub fn last_reviewed_on(&self) -> Option<Date> {
        self.last_reviewed_on
    }
    /// Every step from the proposal on, in recording order (refused attempts at approval keep
    /// the date they were made; see [`ProposalRecord`]).
    pub fn history(&self) -> &[Event] {
        &self.history
    }

    /// R1.9: the status on `on`, computed from the date — a period that ended declassified the
    /// matter on its end day whether or not anyone recorded it. Reflects the current mark
    /// (after changes and extensions); earlier marks are in the history.
    pub fn status_on(&self, on: Date) -> MatterStatus {
        if on < self.classified_on {
            return MatterStatus::NotYetClassified;
        }
        if let Some(r) = self.declassified.filter(|r| r.on <= on) {
            return MatterStatus::Declassified {
                on: r.on,
                how: r.how,
            };
        }
        let end = self.mark.declassifies_on(self.classified_on);
        match end {
            Some(end) if on >= end => MatterStatus::Declassified {
                on: end,
                how: DeclassifiedBy::PeriodEnded,
            },
            _ => MatterStatus::InForce {
                declassifies_on: end,
            },
        }
    }

    /// R1.9: the first day from which the matter counts as declassified as it stands — the day
    /// of a recorded declassification or the end of its period, whichever comes first; `None`
    /// while neither is known. From that day on (and once classified) [`Self::status_on`] says
    /// declassified. Lists use it to find the matters open to every reader.
    pub fn declassified_from(&self) -> Option<Date> {
        let end = self.mark.declassifies_on(self.classified_on);
        match (self.declassified.as_ref().map(|r| r.on), end) {
            (Some(recorded), Some(end)) => Some(recorded.min(end)),
            (recorded, end) => recorded.or(end),
        }
    }

    /// R1.9 (practice: yearly): the day the next review is due — one year after the last
    /// review, or after classification if never reviewed. `None` when not in force on `on`.
    pub fn next_review_due(&self, on: Date) -> Option<Date> {
        match self.status_on(on) {
            MatterStatus::InForce { .. } => Some(add_years(
                self.last_reviewed_on.unwrap_or(self.classified_on),
                REVIEW_INTERVAL_YEARS,
            )),
            _ => None,
        }
    }

    fn last_step(&self) -> Date {
        self.history
            .last()
            .map_or(self.classified_on, |e| e.on)
            .max(self.classified_on)
    }

    /// Date order and in force on `on`; returns the current end of the period.
    fn check_open(&self, on: Date) -> Result<Option<Date>, Refusal> {
        check_order(self.last_step(), on)?;
        match self.status_on(on) {
            MatterStatus::InForce { declassifies_on } => Ok(declassifies_on),
            MatterStatus::Declassified { on: since, .. } => Err(Refusal::NotInForce {
                on,
                declassified_on: since,
            }),
            MatterStatus::NotYetClassified => Err(Refusal::DateBeforePreviousStep {
                previous: self.classified_on,
                on,
            }),
        }
    }

    /// R1.8: who may change, extend, review or declassify — the original classifier (still of
    /// the classifying unit), the head of the classifying unit, or a classifier of a unit above
    /// it; qualified for `level` (R1.5), with their unit having authority for it (R1.4).
    fn check_actor(
        &self,
        by: &Classifier,
        units: &UnitDirectory,
        level: Level,
        on: Date,
    ) -> Result<(), Refusal> {
        let related = (by.unit == self.unit && (by.person == self.classifier || by.is_head))
            || units.is_superior_of(by.unit, self.unit);
        if !related {
            return Err(Refusal::NotOriginalOrSuperior { person: by.person });
        }
        by.check_qualified(level, on)?;
        units
            .unit_authority(by.unit, level, &self.subject_area, on)
            .map(|_| ())
    }

    fn effect(
        &self,
        other_scope: Option<&KnowledgeScope>,
        carriers: CarrierAction,
    ) -> MatterEffect {
        let mut notify_persons = self.scope.named_persons();
        let mut notify_holders: BTreeSet<ScopeHolder> =
            self.scope.groups.iter().map(|g| g.holder).collect();
        if let Some(s) = other_scope {
            notify_persons.extend(s.named_persons());
            notify_holders.extend(s.groups.iter().map(|g| g.holder));
        }
        MatterEffect {
            matter: self.id,
            notify_persons,
            notify_holders,
            carriers,
        }
    }

    /// R1.8: changes level, period and/or scope on `on` with a reason. The level checked for
    /// authority is the higher of the old and the new. The new period still counts from the
    /// date of classification, must fit R1.2 (or carry an override) and must end after `on`
    /// (to end it now, declassify). Returns who to tell and how to re-mark the carriers.
    pub fn change(
        &mut self,
        by: &Classifier,
        units: &UnitDirectory,
        change: MatterChange,
        on: Date,
        reason: &str,
    ) -> Result<MatterEffect, Refusal> {
        let reason = require_reason(reason)?;
        self.check_open(on)?;
        let old_level = self.mark.level();
        let level = change.level.unwrap_or(old_level);
        if !level.is_state_secret() {
            return Err(Refusal::NotAStateSecret { level });
        }
        self.check_actor(by, units, level.max(old_level), on)?;
        let mark_changes = change.level.is_some() || change.term.is_some();
        let mark = if mark_changes {
            let term = change.term.unwrap_or_else(|| self.mark.term().clone());
            build_mark(
                level,
                term,
                change.period_override.as_ref(),
                self.classified_on,
            )?
        } else {
            self.mark.clone()
        };
        if let Some(ends) = mark
            .declassifies_on(self.classified_on)
            .filter(|e| *e <= on)
        {
            return Err(Refusal::ChangeEndsPeriod { ends, on });
        }
        let scope = change.scope.unwrap_or_else(|| self.scope.clone());
        scope.validate()?;
        if mark == self.mark && scope == self.scope {
            return Err(Refusal::NothingChanged);
        }
        let carriers = if mark == self.mark {
            CarrierAction::Unchanged
        } else {
            CarrierAction::Remark {
                from: self.mark.clone(),
                to: mark.clone(),
            }
        };
        let effect = self.effect(Some(&scope), carriers);
        self.history.push(Event {
            by: by.person,
            on,
            action: Action::Changed {
                from: self.mark.clone(),
                to: mark.clone(),
                scope_changed: scope != self.scope,
            },
            reason,
        });
        if mark_changes {
            self.period_override = change.period_override;
        }
        self.mark = mark;
        self.scope = scope;
        Ok(effect)
    }

    /// R1.9: extends the period to `term` (the whole new period, counted from the date of
    /// classification), strictly before the current period ends: on the end day the matter
    /// has already declassified itself. The new total still fits R1.2 unless `period_override`
    /// gives a legal basis. A condition period has no end to extend, and an extension cannot
    /// turn a period into a condition: both are changes (R1.8), not extensions (our choice).
    pub fn extend(
        &mut self,
        by: &Classifier,
        units: &UnitDirectory,
        term: Term,
        period_override: Option<LegalBasis>,
        on: Date,
        reason: &str,
    ) -> Result<MatterEffect, Refusal> {
        let reason = require_reason(reason)?;
        check_order(self.last_step(), on)?;
        let current_end = match self.status_on(on) {
            MatterStatus::InForce {
                declassifies_on: Some(end),
            } => end,
            MatterStatus::InForce {
                declassifies_on: None,
            } => return Err(Refusal::ConditionTermNotExtendable),
            MatterStatus::Declassified {
                on: ends,
                how: DeclassifiedBy::PeriodEnded,
            } => return Err(Refusal::ExtensionTooLate { ends, on }),
            MatterStatus::Declassified { on: since, .. } => {
                return Err(Refusal::NotInForce {
                    on,
                    declassified_on: since,
                })
            }
            MatterStatus::NotYetClassified => {
                return Err(Refusal::DateBeforePreviousStep {
                    previous: self.classified_on,
                    on,
                })
            }
        };
        if matches!(term, Term::Condition { .. }) {
            return Err(Refusal::ConditionTermNotExtendable);
        }
        let level = self.mark.level();
        self.check_actor(by, units, level, on)?;
        let mark = build_mark(level, term, period_override.as_ref(), self.classified_on)?;
        let new_end = mark
            .declassifies_on(self.classified_on)
            .unwrap_or(current_end);
        if new_end <= current_end {
            return Err(Refusal::ExtensionNotLonger {
                current_end,
                new_end,
            });
        }
        let effect = self.effect(
            None,
            CarrierAction::Remark {
                from: self.mark.clone(),
                to: mark.clone(),
            },
        );
        self.history.push(Event {
            by: by.person,
            on,
            action: Action::Extended {
                from: self.mark.clone(),
                to: mark.clone(),
            },
            reason,
        });
        self.mark = mark;
        self.period_override = period_override;
        Ok(effect)
    }

    /// R1.9 (practice: yearly): records a review that keeps the matter as it is; returns the
    /// next review's due day. A review that leads to a change or to declassification is
    /// recorded by [`ClassifiedMatter::change`] or [`ClassifiedMatter::declassify_early`]
    /// instead (which do not reset the review clock).
    pub fn record_review(
        &mut self,
        by: &Classifier,
        units: &UnitDirectory,
        on: Date,
        reason: &str,
    ) -> Result<Date, Refusal> {
        let reason = require_reason(reason)?;
        self.check_open(on)?;
        self.check_actor(by, units, self.mark.level(), on)?;
        self.history.push(Event {
            by: by.person,
            on,
            action: Action::Reviewed,
            reason,
        });
        self.last_reviewed_on = Some(on);
        Ok(add_years(on, REVIEW_INTERVAL_YEARS))
    }

    /// R1.9: declassifies early after review, on one of the two grounds, with a reason.
    pub fn declassify_early(
        &mut self,
        by: &Classifier,
        units: &UnitDirectory,
        ground: EarlyGround,
        on: Date,
        reason: &str,
    ) -> Result<MatterEffect, Refusal> {
        self.declassify(
            by,
            units,
            DeclassifiedBy::EarlyReview { ground },
            on,
            reason,
        )
    }

    /// R1.9: records that the declassification condition is met; only for condition periods.
    pub fn record_condition_met(
        &mut self,
        by: &Classifier,
        units: &UnitDirectory,
        on: Date,
        reason: &str,
    ) -> Result<MatterEffect, Refusal> {
        if !matches!(self.mark.term(), Term::Condition { .. }) {
            return Err(Refusal::NotAConditionTerm);
        }
        self.declassify(by, units, DeclassifiedBy::ConditionMet, on, reason)
    }

    fn declassify(
        &mut self,
        by: &Classifier,
        units: &UnitDirectory,
        how: DeclassifiedBy,
        on: Date,
        reason: &str,
    ) -> Result<MatterEffect, Refusal> {
        let reason = require_reason(reason)?;
        self.check_open(on)?;
        self.check_actor(by, units, self.mark.level(), on)?;
        let effect = self.effect(None, CarrierAction::MarkDeclassified { on });
        self.history.push(Event {
            by: by.person,
            on,
            action: Action::Declassified { how },
            reason,
        });
        self.declassified = Some(Recorded { on, how });
        Ok(effect)
    }
}

// ───────────────────────────────────── 5. Escalation (R1.10) ─────────────────────────────────────

/// Practice: the unit submits an unclear matter within this many days of the proposal.
pub const SUBMIT_WITHIN_DAYS: i32 = 10;
/// Practice: the confidentiality department decides within this many days of receipt.
pub const DEPARTMENT_DECIDES_WITHIN_DAYS: i32 = 30;
/// Practice (our choice, DOMAIN is silent): the original classifier answers a dispute within
/// this many days; after that the disputant may escalate without an answer.
pub const CLASSIFIER_ANSWERS_WITHIN_DAYS: i32 = 30;

/// The confidentiality administrative department that confirms (R1.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfidentialityDepartment {
    /// 国家保密行政管理部门 — confirms Top Secret.
    National,
    /// 省、自治区、直辖市保密行政管理部门 — confirms Confidential and Secret.
    Provincial,
}

impl ConfidentialityDepartment {
    /// The department a case is forwarded to when it is beyond this one's competence
    /// (R1.10): provincial → national; `None` for the national department.
    pub fn above(self) -> Option<ConfidentialityDepartment> {
        match self {
            ConfidentialityDepartment::Provincial => Some(ConfidentialityDepartment::National),
            ConfidentialityDepartment::National => None,
        }
    }

    /// The highest level this department may confirm.
    pub fn highest_level(self) -> Level {
        match self {
            ConfidentialityDepartment::National => Level::TopSecret,
            ConfidentialityDepartment::Provincial => Level::Confidential,
        }
    }

    /// The name in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            ConfidentialityDepartment::National => "国家保密行政管理部门",
            ConfidentialityDepartment::Provincial => "省级保密行政管理部门",
        }
    }

    /// The name in English.
    pub fn en(self) -> &'static str {
        match self {
            ConfidentialityDepartment::National => "national confidentiality department",
            ConfidentialityDepartment::Provincial => "provincial confidentiality department",
        }
    }
}

/// R1.10: Top Secret goes to the national department, everything else to the provincial one.
/// (DOMAIN.md's reading; seed 004 line 93 garbles it.)
pub fn escalation_target(level: Level) -> ConfidentialityDepartment {
    if level >= Level::TopSecret {
        ConfidentialityDepartment::National
    } else {
        ConfidentialityDepartment::Provincial
    }
}

/// A stage of an escalation workflow (R1.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Unclear matter: protected at the proposed level, not yet submitted.
    Protected,
    /// Dispute: raised, waiting for the original classifier.
    WithClassifier,
    /// Dispute: the original classifier answered; the disputant accepts or escalates.
    Answered,
    /// Submitted to a confidentiality department, waiting for its decision.
    WithDepartment,
    /// Final decision recorded.
    Decided,
}

impl Stage {
    /// The name in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Stage::Protected => "已先行保护，待报送",
            Stage::WithClassifier => "待原定密责任人答复",
            Stage::Answered => "原定密责任人已答复",
            Stage::WithDepartment => "已报保密行政管理部门确定",
            Stage::Decided => "已作出最终决定",
        }
    }

    /// The name in English.
    pub fn en(self) -> &'static str {
        match self {
            Stage::Protected => "protected, to be submitted",
            Stage::WithClassifier => "with the original classifier",
            Stage::Answered => "answered by the original classifier",
            Stage::WithDepartment => "with the confidentiality department",
            Stage::Decided => "decided",
        }
    }
}

/// A step of an escalation workflow (R1.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// The unit submits an unclear matter to the department.
    Submit,
    /// The original classifier answers a dispute.
    Answer,
    /// The disputant accepts the classifier's answer.
    Accept,
    /// The disputant takes the dispute to the department.
    Escalate,
    /// The provincial department finds the matter may be Top Secret, beyond its competence,
    /// and forwards the case to the national department.
    Forward,
    /// The department decides.
    Decide,
}

impl Step {
    /// The name in Chinese.
    pub fn zh(self) -> &'static str {
        match self {
            Step::Submit => "报送",
            Step::Answer => "答复",
            Step::Accept => "接受答复",
            Step::Escalate => "提请上级确定",
            Step::Forward => "转报国家保密行政管理部门",
            Step::Decide => "作出决定",
        }
    }

    /// The name in English.
    pub fn en(self) -> &'static str {
        match self {
            Step::Submit => "submit",
            Step::Answer => "answer",
            Step::Accept => "accept",
            Step::Escalate => "escalate",
            Step::Forward => "forward to the national department",
            Step::Decide => "decide",
        }
    }
}

fn add_days(date: Date, days: i32) -> Date {
    date.checked_add(Span::new().days(days))
        .unwrap_or(Date::MAX)
}

fn illegal(stage: Stage, step: Step) -> Refusal {
    Refusal::IllegalTransition { stage, step }
}

/// R1.10: an unclear matter (not covered by the catalogue). Its proposed level is protected
/// from the day it is opened; the unit submits it to [`escalation_target`] of the level within
/// [`SUBMIT_WITHIN_DAYS`]; the department decides within [`DEPARTMENT_DECIDES_WITHIN_DAYS`].
/// A provincial department that finds the matter may be Top Secret cannot decide that
/// ([`Refusal::BeyondDepartmentCompetence`]); it forwards the case to the national department
/// ([`UnclearMatter::forward`]), whose deadline counts from the day of forwarding.
/// A confirmed matter is then classified through a [`ProposalRecord`] citing the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnclearMatter {
    proposal: Proposal,
    department: ConfidentialityDepartment,
    stage: Stage,
    stage_since: Date,
    final_level: Option<Level>,
    history: Vec<Event>,
}

impl UnclearMatter {
    /// Opens the workflow for a complete proposal; protection starts on `on`.
    pub fn open(
        proposal: Proposal,
        by: PersonId,
        on: Date,
        reason: &str,
    ) -> Result<UnclearMatter, Refusal> {
        proposal.check_complete()?;
        check_order(proposal.proposed_on, on)?;
        let reason = require_reason(reason)?;
        let level = proposal.mark.level();
        let department = escalation_target(level);
        Ok(UnclearMatter {
            history: vec![Event {
                by,
                on,
                action: Action::UnclearOpened { level, department },
                reason,
            }],
            proposal,
            department,
            stage: Stage::Protected,
            stage_since: on,
            final_level: None,
        })
    }

    /// The proposal.
    pub fn proposal(&self) -> &Proposal {
        &self.proposal
    }
    /// The department it goes to.
    pub fn department(&self) -> ConfidentialityDepartment {
        self.department
    }
    /// Its stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }
    /// Every step, oldest first.
    pub fn history(&self) -> &[Event] {
        &self.history
    }
    /// The department's decision: the confirmed level (a non-state-secret level means "not a
    /// state secret").
    pub fn final_level(&self) -> Option<Level> {
        self.final_level
    }

    /// The level to protect it at now: the proposed level until decided (R1.10), then the
    /// confirmed one (`None` if not a state secret). While a case forwarded to the national
    /// department is pending, it is protected as Top Secret (**practice**: the provincial
    /// department found it may be Top Secret, and protection takes the safe side).
    pub fn protected_level(&self) -> Option<Level> {
        match self.final_level {
            None if self.department == ConfidentialityDepartment::National => {
                Some(Level::TopSecret)
            }
            None => Some(self.proposal.mark.level()),
            Some(l) => Some(l).filter(|l| l.is_state_secret()),
        }
    }

    /// The deadline of the current stage (practice), `None` once decided.
    pub fn deadline(&self) -> Option<Date> {
        match self.stage {
            Stage::Protected => Some(add_days(self.stage_since, SUBMIT_WITHIN_DAYS)),
            Stage::WithDepartment => {
                Some(add_days(self.stage_since, DEPARTMENT_DECIDES_WITHIN_DAYS))
            }
            _ => None,
        }
    }

    /// True when `on` is after the current stage's deadline.
    pub fn is_overdue(&self, on: Date) -> bool {
        self.deadline().is_some_and(|d| on > d)
    }

    /// The unit submits it to the department. Late submission is allowed (and visible through
    /// the history against [`UnclearMatter::deadline`]): refusing it would leave it unconfirmed.
    pub fn submit(&mut self, by: PersonId, on: Date, reason: &str) -> Result<(), Refusal> {
        if self.stage != Stage::Protected {
            return Err(illegal(self.stage, Step::Submit));
        }
        check_order(self.stage_since, on)?;
        let reason = require_reason(reason)?;
        let department = self.department;
        self.push(by, on, Action::Submitted { department }, reason);
        self.stage = Stage::WithDepartment;
        self.stage_since = on;
        Ok(())
    }

    /// R1.10: the provincial department finds the matter may be Top Secret, beyond its
    /// competence, and forwards the case to the national department (`by` records it). The
    /// case stays with a department; the decision deadline counts afresh from `on`.
    pub fn forward(&mut self, by: PersonId, on: Date, reason: &str) -> Result<(), Refusal> {
        if self.stage != Stage::WithDepartment {
            return Err(illegal(self.stage, Step::Forward));
        }
        let from = self.department;
        let to = from
            .above()
            .ok_or(Refusal::NoHigherDepartment { department: from })?;
        check_order(self.stage_since, on)?;
        let reason = require_reason(reason)?;
        self.push(by, on, Action::Forwarded { from, to }, reason);
        self.department = to;
        self.stage_since = on;
        Ok(())
    }

    /// Records the department's decision (`by` records it), within its competence.
    pub fn decide(
        &mut self,
        by: PersonId,
        level: Level,
        on: Date,
        reason: &str,
    ) -> Result<(), Refusal> {
        if self.stage != Stage::WithDepartment {
            return Err(illegal(self.stage, Step::Decide));
        }
        check_order(self.stage_since, on)?;
        check_competence(self.department, level)?;
        let reason = require_reason(reason)?;
        self.push(by, on, Action::Decided { level }, reason);
        self.stage = Stage::Decided;
        self.stage_since = on;
        self.final_level = Some(level);
        Ok(())
    }

    fn push(&mut self, by: PersonId, on: Date, action: Action, reason: String) {
        self.history.push(Event {
            by,
            on,
            action,
            reason,
        });
    }
}

fn check_competence(department: ConfidentialityDepartment, level: Level) -> Result<(), Refusal> {
    if level > department.highest_level() {
        return Err(Refusal::BeyondDepartmentCompetence { department, level });
    }
    Ok(())
}

/// R1.10: a disputed determination. It goes to the original classifier first (answer within
/// [`CLASSIFIER_ANSWERS_WITHIN_DAYS`], practice); the disputant accepts the answer or takes it
/// up the same path as an unclear matter — to [`escalation_target`] of the highest level in
/// play (determined, claimed, answered) — which decides within
/// [`DEPARTMENT_DECIDES_WITHIN_DAYS`]. As for an unclear matter, a provincial department that
/// finds the matter may be Top Secret forwards the case to the national department
/// ([`Dispute::forward`]). The final level is applied to the matter by a change
/// ([`ClassifiedMatter::change`] or a declassification), which the caller performs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dispute {
    matter: MatterId,
    determined: Level,
    original_classifier: PersonId,
    disputant: PersonId,
    claimed: Level,
    answered: Option<Level>,
    department: Option<ConfidentialityDepartment>,
    stage: Stage,
    stage_since: Date,
    final_level: Option<Level>,
    history: Vec<Event>,
}

impl Dispute {
    /// `by` disputes the matter's level, claiming `claimed` (a non-state-secret level claims
    /// it is not a state secret). The matter must be in force and the claim must differ.
    pub fn raise(
        matter: &ClassifiedMatter,
        by: PersonId,
        claimed: Level,
        on: Date,
        reason: &str,
    ) -> Result<Dispute, Refusal> {
        let determined = matter.mark().level();
        match matter.status_on(on) {
            MatterStatus::InForce { .. } => {}
            MatterStatus::Declassified { on: since, .. } => {
                return Err(Refusal::NotInForce {
                    on,
                    declassified_on: since,
                })
            }
            MatterStatus::NotYetClassified => {
                return Err(Refusal::DateBeforePreviousStep {
                    previous: matter.classified_on(),
                    on,
                })
            }
        }
        if claimed == determined {
            return Err(Refusal::NothingChanged);
        }
        let reason = require_reason(reason)?;
        Ok(Dispute {
            matter: matter.id(),
            determined,
            original_classifier: matter.classifier(),
            disputant: by,
            claimed,
            answered: None,
            department: None,
            stage: Stage::WithClassifier,
            stage_since: on,
            final_level: None,
            history: vec![Event {
                by,
                on,
                action: Action::DisputeRaised { claimed },
                reason,
            }],
        })
    }

    /// The matter disputed.
    pub fn matter(&self) -> MatterId {
        self.matter
    }
    /// Its stage.
    pub fn stage(&self) -> Stage {
        self.stage
    }
    /// The department it went to, once escalated.
    pub fn department(&self) -> Option<ConfidentialityDepartment> {
        self.department
    }
    /// The final level decided (by acceptance of the answer, or by the department).
    pub fn final_level(&self) -> Option<Level> {
        self.final_level
    }
    /// Every step, oldest first.
    pub fn history(&self) -> &[Event] {
        &self.history
    }

    /// The deadline of the current stage (practice), `None` when nobody is due to act.
    pub fn deadline(&self) -> Option<Date> {
        match self.stage {
            Stage::WithClassifier => {
                Some(add_days(self.stage_since, CLASSIFIER_ANSWERS_WITHIN_DAYS))
            }
            Stage::WithDepartment => {
                Some(add_days(self.stage_since, DEPARTMENT_DECIDES_WITHIN_DAYS))
            }
            _ => None,
        }
    }

    /// True when `on` is after the current stage's deadline.
    pub fn is_overdue(&self, on: Date) -> bool {
        self.deadline().is_some_and(|d| on > d)
    }

    fn push(&mut self, by: PersonId, on: Date, action: Action, reason: String) {
        self.history.push(Event {
            by,
            on,
            action,
            reason,
        });
    }

    /// The original classifier answers: upholds (`level` = the determined level) or revises.
    pub fn answer(
        &mut self,
        by: PersonId,
        level: Level,
        on: Date,
        reason: &str,
    ) -> Result<(), Refusal> {
        if self.stage != Stage::WithClassifier {
            return Err(illegal(self.stage, Step::Answer));
        }
        if by != self.original_classifier {
            return Err(Refusal::NotTheOriginalClassifier { person: by });
        }
        check_order(self.stage_since, on)?;
        let reason = require_reason(reason)?;
        self.push(by, on, Action::Answered { level }, reason);
        self.answered = Some(level);
        self.stage = Stage::Answered;
        self.stage_since = on;
        Ok(())
    }

    /// The disputant accepts the answer, which becomes the final decision.
    pub fn accept(&mut self, by: PersonId, on: Date, reason: &str) -> Result<(), Refusal> {
        let (Stage::Answered, Some(level)) = (self.stage, self.answered) else {
            return Err(illegal(self.stage, Step::Accept));
        };
        if by != self.disputant {
            return Err(Refusal::NotTheDisputant { person: by });
        }
        check_order(self.stage_since, on)?;
        let reason = require_reason(reason)?;
        self.push(by, on, Action::Accepted { level }, reason);
        self.stage = Stage::Decided;
        self.stage_since = on;
        self.final_level = Some(level);
        Ok(())
    }

    /// The disputant takes the dispute up: after the answer, or without one once the
    /// classifier's deadline has passed.
    pub fn escalate(&mut self, by: PersonId, on: Date, reason: &str) -> Result<(), Refusal> {
        match self.stage {
            Stage::Answered => {}
            Stage::WithClassifier => {
                let deadline = add_days(self.stage_since, CLASSIFIER_ANSWERS_WITHIN_DAYS);
                if on <= deadline {
                    return Err(Refusal::ClassifierDeadlineNotPassed { deadline });
                }
            }
            stage => return Err(illegal(stage, Step::Escalate)),
        }
        if by != self.disputant {
            return Err(Refusal::NotTheDisputant { person: by });
        }
        check_order(self.stage_since, on)?;
        let reason = require_reason(reason)?;
        let highest = self
            .determined
            .max(self.claimed)
            .max(self.answered.unwrap_or(Level::Unclassified));
        let department = escalation_target(highest);
        self.push(by, on, Action::Escalated { department }, reason);
        self.department = Some(department);
        self.stage = Stage::WithDepartment;
        self.stage_since = on;
        Ok(())
    }

    /// R1.10: the provincial department finds the matter may be Top Secret, beyond its
    /// competence, and forwards the case to the national department (`by` records it); the
    /// decision deadline counts afresh from `on`.
    pub fn forward(&mut self, by: PersonId, on: Date, reason: &str) -> Result<(), Refusal> {
        let (Stage::WithDepartment, Some(from)) = (self.stage, self.department) else {
            return Err(illegal(self.stage, Step::Forward));
        };
        let to = from
            .above()
            .ok_or(Refusal::NoHigherDepartment { department: from })?;
        check_order(self.stage_since, on)?;
        let reason = require_reason(reason)?;
        self.push(by, on, Action::Forwarded { from, to }, reason);
        self.department = Some(to);
        self.stage_since = on;
        Ok(())
    }

    /// Records the department's final decision (`by` records it), within its competence.
    pub fn decide(
        &mut self,
        by: PersonId,
        level: Level,
        on: Date,
        reason: &str,
    ) -> Result<(), Refusal> {
        let (Stage::WithDepartment, Some(department)) = (self.stage, self.department) else {
            return Err(illegal(self.stage, Step::Decide));
        };
        check_order(self.stage_since, on)?;
        check_competence(department, level)?;
        let reason = require_reason(reason)?;
        self.push(by, on, Action::Decided { level }, reason);
        self.stage = Stage::Decided;
        self.stage_since = on;
        self.final_level = Some(level);
        Ok(())
    }
}

// ───────────────────────────────────── 6. Derived works (R1.11) ─────────────────────────────────────

/// How a work is derived from classified sources (R1.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DerivationKind {
    /// 复制 — a copy.
    Copy,
    /// 摘录 — an excerpt.
    Excerpt,
    /// 引用 — a citation.
    Citation,
    /// 汇编 — a compilation of several sources.
    Compilation,
}

impl DerivationKind {
    /// 复制, 摘录, 引用, 汇编.
    pub fn zh(self) -> &'static str {
        match self {
            DerivationKind::Copy => "复制",
            DerivationKind::Excerpt => "摘录",
            DerivationKind::Citation => "引用",
            DerivationKind::Compilation => "汇编",
        }
    }

    /// copy, excerpt, citation, compilation.
    pub fn en(self) -> &'static str {
        match self {
            DerivationKind::Copy => "copy",
            DerivationKind::Excerpt => "excerpt",
            DerivationKind::Citation => "citation",
            DerivationKind::Compilation => "compilation",
        }
    }
}

/// What deriving from a source of a level needs (R1.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DerivationRequirement {
    /// Work secrets and unclassified material: nothing under R1.11.
    Nothing,
    /// Confidential and Secret: approval (by the deriving unit, the source's classifying unit
    /// or a unit above either).
    Approval,
    /// Top Secret: generally not derived; if work truly needs it, the consent of the
    /// originating (classifying) unit or a unit above it.
    OriginatorConsent,
}

/// R1.11: what deriving from a source of `level` needs.
pub fn derivation_requirement(level: Level) -> DerivationRequirement {
    match level {
        Level::TopSecret => DerivationRequirement::OriginatorConsent,
        Level::Confidential | Level::Secret => DerivationRequirement::Approval,
        Level::Internal | Level::Unclassified => DerivationRequirement::Nothing,
    }
}

/// A consent or approval given for a derivation (R1.11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Who gave it; a consent by the maker themselves does not count (practice, as R1.6).
    pub by: PersonId,
    /// The unit they gave it for.
    pub unit: UnitId,
    /// When; it must be given on or before the day the work is made.
    pub on: Date,
}

/// One source of a derived work as R1.11 sees it: which matter, at which level, classified by
/// which unit (R1.11's "originating unit").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivationSource {
    /// The source matter.
    pub matter: MatterId,
    /// The level the derivation is judged at (normally the matter's; a carrier of work secrets is
    /// handled as Secret, see [`crate::carriers`]).
    pub level: Level,
    /// The unit that classified it.
    pub classifying_unit: UnitId,
}

/// R1.11: the one consent/approval check for deriving from one source, used by [`derive()`] and
/// by [`crate::carriers::Carrier::copy_of`]. By [`derivation_requirement`] of `source.level`:
///
/// * Top Secret — a consent from `source.classifying_unit` or a unit above it;
/// * Confidential and Secret — that, or an approval from `deriving_unit` or a unit above it;
/// * work secrets and unclassified — nothing (`Ok(None)`).
///
/// A consent counts only if it was not given by `requester` (the maker; practice, as R1.6) and
/// is dated on or before `on`. Returns the first consent that satisfies the rule, or
/// [`Refusal::TopSecretNeedsConsent`] / [`Refusal::DerivationNeedsApproval`].
pub fn check_derivation_consent<'a>(
    source: &DerivationSource,
    deriving_unit: UnitId,
    requester: PersonId,
    on: Date,
    consents: &'a [Consent],
    units: &UnitDirectory,
) -> Result<Option<&'a Consent>, Refusal> {
    let same_or_above =
        |upper: UnitId, lower: UnitId| upper == lower || units.is_superior_of(upper, lower);
    let originator_ok = |c: &Consent| same_or_above(c.unit, source.classifying_unit);
    let deriver_ok = |c: &Consent| same_or_above(c.unit, deriving_unit);
    let mut valid = consents.iter().filter(|c| c.by != requester && c.on <= on);
    match derivation_requirement(source.level) {
        DerivationRequirement::OriginatorConsent => valid
            .find(|c| originator_ok(c))
            .map(Some)
            .ok_or(Refusal::TopSecretNeedsConsent {
                matter: source.matter,
                classifying_unit: source.classifying_unit,
            }),
        DerivationRequirement::Approval => valid
            .find(|c| originator_ok(c) || deriver_ok(c))
            .map(Some)
            .ok_or(Refusal::DerivationNeedsApproval {
                matter: source.matter,
                level: source.level,
            }),
        DerivationRequirement::Nothing => Ok(None),
    }
}

/// A request to derive a work from classified matters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivationRequest {
    /// Copy, excerpt, citation or compilation.
    pub kind: DerivationKind,
    /// The person making the work.
    pub made_by: PersonId,
    /// The unit making it, which stamps it (R1.11: managed as an original).
    pub unit: UnitId,
    /// The day it is made.
    pub on: Date,
    /// Consents and approvals obtained.
    pub consents: Vec<Consent>,
}

/// A derived work's marking (R1.11): the sources' highest level, latest declassification and
/// the people in every source's scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DerivedWork {
    /// How it was derived.
    pub kind: DerivationKind,
    /// The sources still in force when it was made (declassified ones impose nothing).
    pub sources: Vec<MatterId>,
    /// The unit that made and stamps it.
    pub stamped_by: UnitId,
    /// Who made it.
    pub made_by: PersonId,
    /// When.
    pub made_on: Date,
    /// The mark it must carry; `None` when no source is still classified. A single source's
    /// mark is kept as it is (a period in years still counts from the source's classification);
    /// several sources give the highest level with the latest end date, or, if any source waits
    /// for a condition, a condition naming every condition (and the latest date, if any).
    pub mark: Option<Mark>,
    /// The day it declassifies, `None` while a condition is pending or when unclassified.
    pub declassifies_on: Option<Date>,
    /// The intersection of the sources' scopes.
    pub scope: KnowledgeScope,
    /// Persons named in every source's scope whose inclusion depends on different units or
    /// departments in different sources: left out (narrower is the safe side, R1.7) and listed
    /// so that an authority can name them explicitly.
    pub unresolved: BTreeSet<PersonId>,
}

impl DerivedWork {
    /// The level of the work.
    pub fn level(&self) -> Level {
        self.mark.as_ref().map_or(Level::Unclassified, Mark::level)
    }

    /// R1.11: a mark stamped on the work must be the derived one — nobody may lower it (nor
    /// otherwise change it) without authority; that takes a change of the source (R1.8).
    pub fn check_mark(&self, given: &Mark) -> Result<(), Refusal> {
        if self.mark.as_ref() != Some(given) {
            return Err(Refusal::DerivedMarkDiffers {
                expected: self.mark.clone(),
                given: given.clone(),
            });
        }
        Ok(())
    }
}

/// The intersection of two knowledge scopes (R1.7, R1.11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeIntersection {
    /// Who is in both: exact where it can be expressed as a scope.
    pub scope: KnowledgeScope,
    /// Persons left out because they are in both only through groups of different holders
    /// (whose relation the scope cannot express); see [`DerivedWork::unresolved`].
    pub unresolved: BTreeSet<PersonId>,
}

/// R1.11: the persons in both scopes. Named in both → named; named in one and in a group of
/// the other → in that group; in groups of the same holder in both → in that group; in groups
/// of different holders only → left out and reported. (The work is done by
/// [`KnowledgeScope::intersect`].)
pub fn intersect_scopes(a: &KnowledgeScope, b: &KnowledgeScope) -> ScopeIntersection {
    let (scope, unresolved) = a.intersect(b);
    ScopeIntersection { scope, unresolved }
}

/// R1.11: derives a work from `sources` as `request` asks. Each source still in force on the
/// day needs, by its level ([`derivation_requirement`]): Top Secret — a consent from the unit
/// that classified it (R1.11's "originating unit") or a unit above it; Confidential and
/// Secret — that, or an approval from the deriving unit or a unit above it. Declassified
/// sources impose nothing; a source not yet classified on the day is refused
/// ([`Refusal::SourceNotYetClassified`]), never silently dropped.
pub fn derive(
    sources: &[&ClassifiedMatter],
    request: &DerivationRequest,
    units: &UnitDirectory,
) -> Result<DerivedWork, Refusal> {
    if sources.is_empty() {
        return Err(Refusal::NoSources);
    }
    let on = request.on;
    let mut live: Vec<(&ClassifiedMatter, Option<Date>)> = Vec::new();
    for m in sources {
        match m.status_on(on) {
            MatterStatus::InForce { declassifies_on } => live.push((*m, declassifies_on)),
            MatterStatus::Declassified { .. } => {}
            MatterStatus::NotYetClassified => {
                return Err(Refusal::SourceNotYetClassified {
                    matter: m.id(),
                    classified_on: m.classified_on(),
                    on,
                })
            }
        }
    }
    for (m, _) in &live {
        let source = DerivationSource {
            matter: m.id(),
            level: m.mark().level(),
            classifying_unit: m.unit(),
        };
        check_derivation_consent(
            &source,
            request.unit,
            request.made_by,
            on,
            &request.consents,
            units,
        )?;
    }
    let mut work = DerivedWork {
        kind: request.kind,
        sources: live.iter().map(|(m, _)| m.id()).collect(),
        stamped_by: request.unit,
        made_by: request.made_by,
        made_on: on,
        mark: None,
        declassifies_on: None,
        scope: KnowledgeScope::default(),
        unresolved: BTreeSet::new(),
    };
    let Some(((first, first_end), rest)) = live.split_first() else {
        return Ok(work);
    };
    // Scope: the intersection of all; unresolved only if named in every source.
    let mut scope = first.scope().clone();
    let mut crossed = BTreeSet::new();
    let mut everywhere = first.scope().named_persons();
    for (m, _) in rest {
        let i = intersect_scopes(&scope, m.scope());
        crossed.extend(i.unresolved);
        scope = i.scope;
        everywhere = everywhere
            .intersection(&m.scope().named_persons())
            .copied()
            .collect();
    }
    let included = scope.named_persons();
    work.unresolved = crossed
        .into_iter()
        .filter(|p| everywhere.contains(p) && !included.contains(p))
        .collect();
    work.scope = scope;
    if rest.is_empty() {
        work.mark = Some(first.mark().clone());
        work.declassifies_on = *first_end;
        return Ok(work);
    }
    // Several sources: highest level, latest end, every pending condition.
    let level = live
        .iter()
        .map(|(m, _)| m.mark().level())
        .max()
        .unwrap_or(Level::Secret);
    let latest = live.iter().filter_map(|(_, end)| *end).max();
    let conditions: BTreeSet<&str> = live
        .iter()
        .filter_map(|(m, _)| match m.mark().term() {
            Term::Condition { text } => Some(text.as_str()),
            _ => None,
        })
        .collect();
    let term = match (conditions.is_empty(), latest) {
        (true, Some(date)) => Term::Until { date },
        (true, None) => Term::Default,
        (false, _) => {
            let mut text = conditions.into_iter().collect::<Vec<_>>().join("且");
            if let Some(d) = latest {
                text.push_str(&format!(
                    "且不早于{}年{}月{}日",
                    d.year(),
                    d.month(),
                    d.day()
                ));
            }
            Term::Condition { text }
        }
    };
    let declassifies_on = match term {
        Term::Until { date } => Some(date),
        _ => None,
    };
    work.mark = Some(Mark::new(level, term).map_err(period_refusal)?);
    work.declassifies_on = declassifies_on;
    Ok(work)
}

// ─────────────────────────────────── 7. Records and refusals ───────────────────────────────────

/// One recorded step: who, when, what, why (R1.6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Who took the step (for a department's decision: who recorded it).
    pub by: PersonId,
    /// When.
    pub on: Date,
    /// What.
    pub action: Action,
    /// Why, as the person gave it (the basis for a proposal or approval; empty for a refusal,
    /// whose typed reason is in the action).
    pub reason: String,
}

/// What a recorded step did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// A proposal was filed (R1.6).
    Proposed,
    /// An attempt to approve a proposal was refused (R1.4–R1.6, R1.2); the proposal stays
    /// pending.
    Refused {
        /// Why.
        refusal: Refusal,
    },
    /// An attempt to reject a proposal was refused (R1.5, R1.6); the proposal stays pending.
    RejectionRefused {
        /// Why.
        refusal: Refusal,
    },
    /// A proposal was approved, classifying the matter (R1.6).
    Approved {
        /// The matter.
        matter: MatterId,
    },
    /// A proposal was rejected on its merits (R1.6, R1.12).
    Rejected,
    /// Level, period or scope changed (R1.8).
    Changed {
        /// The mark before.
        from: Mark,
        /// The mark after (the same if only the scope changed).
        to: Mark,
        /// Whether the scope changed.
        scope_changed: bool,
    },
    /// The period was extended (R1.9).
    Extended {
        /// The mark before.
        from: Mark,
        /// The mark after.
        to: Mark,
    },
    /// Reviewed and kept (R1.9).
    Reviewed,
    /// Declassified early or on a condition (R1.9).
    Declassified {
        /// How.
        how: DeclassifiedBy,
    },
    /// An unclear matter was opened and protected (R1.10).
    UnclearOpened {
        /// The level protected.
        level: Level,
        /// Where it will go.
        department: ConfidentialityDepartment,
    },
    /// Submitted to a department (R1.10).
    Submitted {
        /// The department.
        department: ConfidentialityDepartment,
    },
    /// A dispute was raised (R1.10).
    DisputeRaised {
        /// The level claimed.
        claimed: Level,
    },
    /// The original classifier answered (R1.10).
    Answered {
        /// The level they hold to.
        level: Level,
    },
    /// The disputant accepted the answer (R1.10).
    Accepted {
        /// The level accepted.
        level: Level,
    },
    /// A dispute was taken to a department (R1.10).
    Escalated {
        /// The department.
        department: ConfidentialityDepartment,
    },
    /// A department forwarded the case to the one above it (R1.10).
    Forwarded {
        /// The department that forwarded it.
        from: ConfidentialityDepartment,
        /// The department it went to.
        to: ConfidentialityDepartment,
    },
    /// A department decided (R1.10).
    Decided {
        /// The level decided; below Secret means "not a state secret".
        level: Level,
    },
}

impl Action {
    /// True for a refused attempt ([`Action::Refused`], [`Action::RejectionRefused`]): recorded,
    /// but not a step that later steps are ordered against.
    pub fn is_refused_attempt(&self) -> bool {
        matches!(
            self,
            Action::Refused { .. } | Action::RejectionRefused { .. }
        )
    }

    /// The name in Chinese.
    pub fn zh(&self) -> &'static str {
        match self {
            Action::Proposed => "提出定密意见",
            Action::Refused { .. } => "批准操作被拒绝",
            Action::RejectionRefused { .. } => "决定不定密操作被拒绝",
            Action::Approved { .. } => "审核批准定密",
            Action::Rejected => "审核决定不定密",
            Action::Changed { .. } => "密点变更",
            Action::Extended { .. } => "延长保密期限",
            Action::Reviewed => "定期审核，继续保密",
            Action::Declassified { .. } => "解除密级",
            Action::UnclearOpened { .. } => "不明确事项先行保护",
            Action::Submitted { .. } => "报送确定",
            Action::DisputeRaised { .. } => "提出定密异议",
            Action::Answered { .. } => "原定密责任人答复",
            Action::Accepted { .. } => "接受答复",
            Action::Escalated { .. } => "提请保密行政管理部门确定",
            Action::Forwarded { .. } => "转报国家保密行政管理部门确定",
            Action::Decided { .. } => "保密行政管理部门作出决定",
        }
    }

    /// The name in English.
    pub fn en(&self) -> &'static str {
        match self {
            Action::Proposed => "proposed",
            Action::Refused { .. } => "approval refused",
            Action::RejectionRefused { .. } => "rejection refused",
            Action::Approved { .. } => "approved",
            Action::Rejected => "rejected",
            Action::Changed { .. } => "changed",
            Action::Extended { .. } => "period extended",
            Action::Reviewed => "reviewed and kept",
            Action::Declassified { .. } => "declassified",
            Action::UnclearOpened { .. } => "unclear matter protected",
            Action::Submitted { .. } => "submitted for confirmation",
            Action::DisputeRaised { .. } => "dispute raised",
            Action::Answered { .. } => "answered by the original classifier",
            Action::Accepted { .. } => "answer accepted",
            Action::Escalated { .. } => "escalated to the department",
            Action::Forwarded { .. } => "forwarded to the national department",
            Action::Decided { .. } => "decided by the department",
        }
    }
}

fn check_order(previous: Date, on: Date) -> Result<(), Refusal> {
    if on < previous {
        return Err(Refusal::DateBeforePreviousStep { previous, on });
    }
    Ok(())
}

fn require_reason(reason: &str) -> Result<String, Refusal> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(Refusal::EmptyReason);
    }
    Ok(r.to_owned())
}

/// Builds a mark for a new level/period and checks it against the date of classification.
fn build_mark(
    level: Level,
    term: Term,
    period_override: Option<&LegalBasis>,
    classified_on: Date,
) -> Result<Mark, Refusal> {
    let mark = match period_override {
        Some(b) => Mark::new_with_override(level, term, b),
        None => Mark::new(level, term),
    }
    .map_err(period_refusal)?;
    mark.check_against_classification_date(classified_on, period_override)
        .map_err(period_refusal)?;
    Ok(mark)
}

fn period_refusal(e: MarkError) -> Refusal {
    match e.kind {
        MarkErrorKind::TermExceedsLongest { level, longest, .. }
        | MarkErrorKind::DateBeyondLongest { level, longest, .. } => Refusal::PeriodTooLong {
            level,
            longest_years: longest,
        },
        MarkErrorKind::EndsBeforeClassification {
            ends,
            classified_on,
        } => Refusal::PeriodEndsTooEarly {
            ends,
            classified_on,
        },
        other => Refusal::InvalidPeriod {
            detail: other.to_string(),
        },
    }
}

fn apply_hint(apply_to: &Option<UnitId>) -> String {
    match apply_to {
        Some(u) => format!("; apply to unit {u}"),
        None => String::new(),
    }
}

fn apply_hint_zh(apply_to: &Option<UnitId>) -> String {
    match apply_to {
        Some(u) => format!("；应报请单位 {u} 确定"),
        None => String::new(),
    }
}

fn holder_en(holder: &ScopeHolder) -> String {
    match holder {
        ScopeHolder::Unit(u) => format!("unit {u}"),
        ScopeHolder::Department(d) => format!("department {d}"),
    }
}

fn holder_zh(holder: &ScopeHolder) -> String {
    match holder {
        ScopeHolder::Unit(u) => format!("单位 {u}"),
        ScopeHolder::Department(d) => format!("部门 {d}"),
    }
}

/// R1.7: a knowledge scope that [`KnowledgeScope::validate`] refuses.
impl From<ScopeError> for Refusal {
    fn from(e: ScopeError) -> Refusal {
        match e {
            ScopeError::Empty => Refusal::EmptyScope,
            ScopeError::GroupWithoutPersons { holder } => {
                Refusal::ScopeGroupWithoutPersons { holder }
            }
        }
    }
}

fn forward_hint(department: &ConfidentialityDepartment) -> String {
    match department.above() {
        Some(up) => format!("; forward the case to the {}", up.en()),
        None => String::new(),
    }
}

fn mark_or_none(mark: &Option<Mark>) -> String {
    mark.as_ref()
        .map_or_else(|| "no mark".to_owned(), Mark::to_en)
}

/// Why a determination step is refused. Each variant names the DOMAIN rule it enforces
/// ([`Refusal::rule`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// Only 绝密, 机密 and 秘密 are determined here (R1.1).
    #[error("{} is not a state-secret level; only Top Secret, Confidential and Secret are determined", .level.en())]
    NotAStateSecret {
        /// The level given.
        level: Level,
    },
    /// The unit is not in the directory (R1.4).
    #[error("unit {unit} is unknown")]
    UnknownUnit {
        /// The unit.
        unit: UnitId,
    },
    /// The unit's tier may not set the level and no authorisation covers it (R1.4).
    #[error("unit {unit} ({}) may not set {} and holds no authorisation for it{}", .tier.en(), .level.en(), apply_hint(.apply_to))]
    TierMayNotSet {
        /// The unit.
        unit: UnitId,
        /// Its tier.
        tier: UnitTier,
        /// The level.
        level: Level,
        /// The nearest superior with the authority, to apply to.
        apply_to: Option<UnitId>,
    },
    /// The unit's authorisations in force do not cover the level or subject area (R1.4).
    #[error("unit {unit}'s authorisation does not cover {} in {subject_area}{}", .level.en(), apply_hint(.apply_to))]
    OutsideGrant {
        /// The unit.
        unit: UnitId,
        /// The level.
        level: Level,
        /// The subject area.
        subject_area: SubjectArea,
        /// The nearest superior with the authority, to apply to.
        apply_to: Option<UnitId>,
    },
    /// The authorisation that would cover it was withdrawn (R1.4).
    #[error("unit {unit}'s authorisation from unit {granted_by} was withdrawn on {withdrawn_on}{}", apply_hint(.apply_to))]
    AuthorisationWithdrawn {
        /// The unit.
        unit: UnitId,
        /// The granting organ.
        granted_by: UnitId,
        /// The day of withdrawal.
        withdrawn_on: Date,
        /// The nearest superior with the authority, to apply to.
        apply_to: Option<UnitId>,
    },
    /// The classifier classifies for another unit (R1.5).
    #[error("classifier {person} acts for unit {classifier_unit}, not for unit {unit}")]
    ClassifierOfAnotherUnit {
        /// The classifier.
        person: PersonId,
        /// Their unit.
        classifier_unit: UnitId,
        /// The unit concerned.
        unit: UnitId,
    },
    /// The classifier has not passed the classification training (R1.5).
    #[error("person {person} has not passed classification training")]
    NoTraining {
        /// The person.
        person: PersonId,
    },
    /// The classifier holds no certificate (R1.5).
    #[error("person {person} holds no classifier certificate")]
    NoCertificate {
        /// The person.
        person: PersonId,
    },
    /// The classifier's certificate expired (R1.5).
    #[error("person {person}'s classifier certificate expired after {expired_on}")]
    CertificateExpired {
        /// The person.
        person: PersonId,
        /// Its last valid day.
        expired_on: Date,
    },
    /// The level is above what the classifier may set (R1.5).
    #[error("person {person} may set up to {}, not {}", .highest.en(), .level.en())]
    AboveClassifierLevel {
        /// The classifier.
        person: PersonId,
        /// Their highest level.
        highest: Level,
        /// The level asked.
        level: Level,
    },
    /// The proposer may not approve or reject their own proposal (R1.6, practice).
    #[error("person {person} proposed this and may not decide on it")]
    SelfApproval {
        /// The person.
        person: PersonId,
    },
    /// The proposal has no title (R1.6).
    #[error("the matter has no title")]
    EmptyTitle,
    /// The proposal names no catalogue item as its basis (R1.6).
    #[error("no basis: name the catalogue item the matter falls under")]
    EmptyBasis,
    /// The step needs a reason (R1.6: who, when and why).
    #[error("a reason is required")]
    EmptyReason,
    /// The proposal was already approved or rejected (R1.6).
    #[error("the proposal was already decided")]
    AlreadyDecided,
    /// A step dated before the previous one (R1.6).
    #[error("{on} is before the previous step on {previous}")]
    DateBeforePreviousStep {
        /// The previous step's day.
        previous: Date,
        /// The day given.
        on: Date,
    },
    /// Nobody is in the knowledge scope (R1.7).
    #[error("the knowledge scope names nobody")]
    EmptyScope,
    /// A unit or department in the knowledge scope is not limited to named persons (R1.7:
    /// rank or membership alone never grants knowledge).
    #[error("the knowledge scope names {} without limiting it to named persons", holder_en(.holder))]
    ScopeGroupWithoutPersons {
        /// The unit or department.
        holder: ScopeHolder,
    },
    /// The period is longer than the level allows, without a legal basis (R1.2).
    #[error("the period exceeds the longest period of {longest_years} years for {} (R1.2) and no legal basis is given", .level.en())]
    PeriodTooLong {
        /// The level.
        level: Level,
        /// Its longest period.
        longest_years: u16,
    },
    /// A date period ending on or before the date of classification (R1.3).
    #[error("the period ends on {ends}, not after the date of classification {classified_on}")]
    PeriodEndsTooEarly {
        /// The end given.
        ends: Date,
        /// The date of classification.
        classified_on: Date,
    },
    /// Any other invalid period (R1.3).
    #[error("invalid period: {detail}")]
    InvalidPeriod {
        /// What is wrong.
        detail: String,
    },
    /// Not the original classifier, the unit head or a classifier of a superior unit (R1.8).
    #[error("person {person} is neither the original classifier, the head of the classifying unit nor a classifier of a superior unit")]
    NotOriginalOrSuperior {
        /// The person.
        person: PersonId,
    },
    /// The change changes nothing (R1.8), or a dispute claims the current level (R1.10).
    #[error("nothing would change")]
    NothingChanged,
    /// The changed period would already have ended (R1.8): declassify instead.
    #[error("the changed period would end on {ends}, not after {on}; declassify instead")]
    ChangeEndsPeriod {
        /// Its end.
        ends: Date,
        /// The day of the change.
        on: Date,
    },
    /// The matter is no longer classified (R1.9).
    #[error("the matter is declassified since {declassified_on} ({on} given)")]
    NotInForce {
        /// The day of the step.
        on: Date,
        /// Since when it is declassified.
        declassified_on: Date,
    },
    /// An extension on or after the end day (R1.9): the matter has declassified itself.
    #[error("the period ended on {ends}; an extension on {on} is too late (it must come before the end)")]
    ExtensionTooLate {
        /// The end day.
        ends: Date,
        /// The day of the attempt.
        on: Date,
    },
    /// Extension applies only to periods with an end date (R1.9); use a change (R1.8).
    #[error("only a period with an end date can be extended, to another such period; to move to or from a condition, change the period")]
    ConditionTermNotExtendable,
    /// The new period does not end later (R1.9).
    #[error("an extension must end later than {current_end}, not on {new_end}")]
    ExtensionNotLonger {
        /// The current end.
        current_end: Date,
        /// The end asked for.
        new_end: Date,
    },
    /// Only a condition period can have its condition met (R1.9).
    #[error("the matter's period is not a declassification condition")]
    NotAConditionTerm,
    /// A workflow step not allowed in the current stage (R1.10).
    #[error("cannot {} while {}", .step.en(), .stage.en())]
    IllegalTransition {
        /// The current stage.
        stage: Stage,
        /// The step tried.
        step: Step,
    },
    /// Only the original classifier answers a dispute (R1.10).
    #[error("person {person} is not the original classifier")]
    NotTheOriginalClassifier {
        /// The person.
        person: PersonId,
    },
    /// Only the disputant accepts or escalates (R1.10).
    #[error("person {person} did not raise the dispute")]
    NotTheDisputant {
        /// The person.
        person: PersonId,
    },
    /// The dispute must go to the original classifier first (R1.10).
    #[error("the dispute goes to the original classifier first; escalation without an answer is possible after {deadline}")]
    ClassifierDeadlineNotPassed {
        /// The classifier's deadline.
        deadline: Date,
    },
    /// The department may not confirm that level (R1.10); a provincial department forwards
    /// the case to the national one ([`Step::Forward`]).
    #[error("the {} may not decide {}{}", .department.en(), .level.en(), forward_hint(.department))]
    BeyondDepartmentCompetence {
        /// The department.
        department: ConfidentialityDepartment,
        /// The level.
        level: Level,
    },
    /// There is no department above this one to forward to (R1.10).
    #[error("the {} has no department above it to forward to; it decides itself", .department.en())]
    NoHigherDepartment {
        /// The department.
        department: ConfidentialityDepartment,
    },
    /// A derived work needs at least one source (R1.11).
    #[error("a derived work needs at least one source")]
    NoSources,
    /// A source was classified only after the day the work is made (R1.11): the work cannot
    /// derive from it on that day, and dropping it as if declassified would lose its marking.
    #[error("matter {matter} was classified on {classified_on}; a work made on {on} cannot derive from it")]
    SourceNotYetClassified {
        /// The source.
        matter: MatterId,
        /// Its date of classification.
        classified_on: Date,
        /// The day the work is made.
        on: Date,
    },
    /// Deriving from Top Secret needs the originator's consent (R1.11).
    #[error("matter {matter} is Top Secret: deriving from it needs the consent of unit {classifying_unit} or a unit above it")]
    TopSecretNeedsConsent {
        /// The source.
        matter: MatterId,
        /// Its classifying unit.
        classifying_unit: UnitId,
    },
    /// Deriving from Confidential or Secret needs approval (R1.11).
    #[error("matter {matter} is {}: deriving from it needs approval", .level.en())]
    DerivationNeedsApproval {
        /// The source.
        matter: MatterId,
        /// Its level.
        level: Level,
    },
    /// A derived work's mark differs from its sources' (R1.11).
    #[error("the derived work must be marked {}, not {}", mark_or_none(.expected), .given.to_en())]
    DerivedMarkDiffers {
        /// The mark it must carry.
        expected: Option<Mark>,
        /// The mark given.
        given: Mark,
    },
    /// The basis names no catalogue item (R1.12).
    #[error("{basis:?} is not in the catalogue: the matter should not be classified as proposed (or is an unclear matter, R1.10)")]
    BasisNotInCatalogue {
        /// The basis given.
        basis: String,
    },
}

impl Refusal {
    /// The DOMAIN rule enforced.
    pub fn rule(&self) -> RuleId {
        RuleId(match self {
            Refusal::NotAStateSecret { .. } => "R1.1",
            Refusal::PeriodTooLong { .. } => "R1.2",
            Refusal::PeriodEndsTooEarly { .. } | Refusal::InvalidPeriod { .. } => "R1.3",
            Refusal::UnknownUnit { .. }
            | Refusal::TierMayNotSet { .. }
            | Refusal::OutsideGrant { .. }
            | Refusal::AuthorisationWithdrawn { .. } => "R1.4",
            Refusal::ClassifierOfAnotherUnit { .. }
            | Refusal::NoTraining { .. }
            | Refusal::NoCertificate { .. }
            | Refusal::CertificateExpired { .. }
            | Refusal::AboveClassifierLevel { .. } => "R1.5",
            Refusal::SelfApproval { .. }
            | Refusal::EmptyTitle
            | Refusal::EmptyBasis
            | Refusal::EmptyReason
            | Refusal::AlreadyDecided
            | Refusal::DateBeforePreviousStep { .. } => "R1.6",
            Refusal::EmptyScope | Refusal::ScopeGroupWithoutPersons { .. } => "R1.7",
            Refusal::NotOriginalOrSuperior { .. }
            | Refusal::NothingChanged
            | Refusal::ChangeEndsPeriod { .. } => "R1.8",
            Refusal::NotInForce { .. }
            | Refusal::ExtensionTooLate { .. }
            | Refusal::ConditionTermNotExtendable
            | Refusal::ExtensionNotLonger { .. }
            | Refusal::NotAConditionTerm => "R1.9",
            Refusal::IllegalTransition { .. }
            | Refusal::NotTheOriginalClassifier { .. }
            | Refusal::NotTheDisputant { .. }
            | Refusal::ClassifierDeadlineNotPassed { .. }
            | Refusal::BeyondDepartmentCompetence { .. }
            | Refusal::NoHigherDepartment { .. } => "R1.10",
            Refusal::NoSources
            | Refusal::SourceNotYetClassified { .. }
            | Refusal::TopSecretNeedsConsent { .. }
            | Refusal::DerivationNeedsApproval { .. }
            | Refusal::DerivedMarkDiffers { .. } => "R1.11",
            Refusal::BasisNotInCatalogue { .. } => "R1.12",
        })
    }

    /// R1.4: the unit a unit without authority must apply to, when the refusal is about the
    /// unit's authority and a superior has it.
    pub fn apply_to(&self) -> Option<UnitId> {
        match self {
            Refusal::TierMayNotSet { apply_to, .. }
            | Refusal::OutsideGrant { apply_to, .. }
            | Refusal::AuthorisationWithdrawn { apply_to, .. } => *apply_to,
            _ => None,
        }
    }
}

impl Describe for Refusal {
    fn describe(&self, lang: Lang) -> String {
        if lang == Lang::En {
            return format!("{self} ({})", self.rule());
        }
        let text = match self {
            Refusal::NotAStateSecret { level } => {
                format!("{}不是国家秘密密级，只能确定绝密、机密、秘密", level.zh())
            }
            Refusal::UnknownUnit { unit } => format!("单位 {unit} 不存在"),
            Refusal::TierMayNotSet {
                unit,
                tier,
                level,
                apply_to,
            } => format!(
                "单位 {unit}（{}）无权确定{}级国家秘密，也无相应定密授权{}",
                tier.zh(),
                level.zh(),
                apply_hint_zh(apply_to)
            ),
            Refusal::OutsideGrant {
                unit,
                level,
                subject_area,
                apply_to,
            } => format!(
                "单位 {unit} 的定密授权不包括{subject_area}领域的{}级事项{}",
                level.zh(),
                apply_hint_zh(apply_to)
            ),
            Refusal::AuthorisationWithdrawn {
                unit,
                granted_by,
                withdrawn_on,
                apply_to,
            } => format!(
                "单位 {unit} 由单位 {granted_by} 授予的定密权已于 {withdrawn_on} 撤销{}",
                apply_hint_zh(apply_to)
            ),
            Refusal::ClassifierOfAnotherUnit {
                person,
                classifier_unit,
                unit,
            } => format!("定密责任人 {person} 属于单位 {classifier_unit}，不能为单位 {unit} 定密"),
            Refusal::NoTraining { person } => format!("{person} 未通过定密培训"),
            Refusal::NoCertificate { person } => format!("{person} 未持有定密责任人上岗证书"),
            Refusal::CertificateExpired { person, expired_on } => {
                format!("{person} 的定密证书已于 {expired_on} 到期，无定密权")
            }
            Refusal::AboveClassifierLevel {
                person,
                highest,
                level,
            } => format!(
                "{person} 最高只能确定{}级，不能确定{}级",
                highest.zh(),
                level.zh()
            ),
            Refusal::SelfApproval { person } => {
                format!("{person} 是承办人，不得审核自己提出的定密意见")
            }
            Refusal::EmptyTitle => "事项名称为空".to_owned(),
            Refusal::EmptyBasis => "未写明定密依据（所属保密事项范围条目）".to_owned(),
            Refusal::EmptyReason => "须写明理由".to_owned(),
            Refusal::AlreadyDecided => "该定密意见已审核完毕".to_owned(),
            Refusal::DateBeforePreviousStep { previous, on } => {
                format!("日期 {on} 早于上一步骤日期 {previous}")
            }
            Refusal::EmptyScope => "知悉范围未列明任何人员".to_owned(),
            Refusal::ScopeGroupWithoutPersons { holder } => {
                format!("知悉范围列入了{}，但未限定到具体人员", holder_zh(holder))
            }
            Refusal::PeriodTooLong {
                level,
                longest_years,
            } => format!(
                "保密期限超过{}级最长 {longest_years} 年，且无法律依据",
                level.zh()
            ),
            Refusal::PeriodEndsTooEarly {
                ends,
                classified_on,
            } => format!("保密期限截止日 {ends} 不晚于定密日期 {classified_on}"),
            Refusal::InvalidPeriod { detail } => format!("保密期限无效：{detail}"),
            Refusal::NotOriginalOrSuperior { person } => format!(
                "{person} 既不是原定密责任人、定密单位负责人，也不是上级单位的定密责任人"
            ),
            Refusal::NothingChanged => "没有任何变更".to_owned(),
            Refusal::ChangeEndsPeriod { ends, on } => format!(
                "变更后的保密期限于 {ends} 届满，不晚于变更日 {on}；应办理解密"
            ),
            Refusal::NotInForce {
                on,
                declassified_on,
            } => format!("该事项已于 {declassified_on} 解密（操作日期 {on}）"),
            Refusal::ExtensionTooLate { ends, on } => format!(
                "保密期限已于 {ends} 届满，{on} 延长为时已晚：须在期限届满前决定延长"
            ),
            Refusal::ConditionTermNotExtendable => {
                "只有有截止日期的保密期限才能延长；与解密条件之间的转换须办理变更".to_owned()
            }
            Refusal::ExtensionNotLonger {
                current_end,
                new_end,
            } => format!("延长后的截止日 {new_end} 须晚于原截止日 {current_end}"),
            Refusal::NotAConditionTerm => "该事项的保密期限不是解密条件".to_owned(),
            Refusal::IllegalTransition { stage, step } => {
                format!("当前状态“{}”下不能“{}”", stage.zh(), step.zh())
            }
            Refusal::NotTheOriginalClassifier { person } => {
                format!("{person} 不是原定密责任人")
            }
            Refusal::NotTheDisputant { person } => format!("{person} 不是异议提出人"),
            Refusal::ClassifierDeadlineNotPassed { deadline } => format!(
                "异议应先由原定密责任人处理；{deadline} 后仍未答复方可提请上级确定"
            ),
            Refusal::BeyondDepartmentCompetence { department, level } => {
                let hint = match department.above() {
                    Some(up) => format!("，应转报{}确定", up.zh()),
                    None => String::new(),
                };
                format!("{}无权确定{}级{hint}", department.zh(), level.zh())
            }
            Refusal::NoHigherDepartment { department } => {
                format!("{}之上没有可转报的部门，应自行决定", department.zh())
            }
            Refusal::NoSources => "派生作品至少须有一个来源".to_owned(),
            Refusal::SourceNotYetClassified {
                matter,
                classified_on,
                on,
            } => format!(
                "事项 {matter} 于 {classified_on} 才定密，{on} 制作的作品不能以其为来源"
            ),
            Refusal::TopSecretNeedsConsent {
                matter,
                classifying_unit,
            } => format!(
                "事项 {matter} 为绝密级，复制、摘录、引用、汇编须经原定密单位 {classifying_unit} 或其上级同意"
            ),
            Refusal::DerivationNeedsApproval { matter, level } => format!(
                "事项 {matter} 为{}级，复制、摘录、引用、汇编须经审批",
                level.zh()
            ),
            Refusal::DerivedMarkDiffers { expected, given } => format!(
                "派生作品应标注“{}”，不得擅自改为“{}”",
                expected
                    .as_ref()
                    .map_or_else(|| "（无标志）".to_owned(), Mark::to_zh),
                given.to_zh()
            ),
            Refusal::BasisNotInCatalogue { basis } => format!(
                "“{basis}”不在保密事项范围内：不应按此定密（如确需保密，按不明确事项报请确定）"
            ),
        };
        format!("{text}（{}）", self.rule())
    }
}
