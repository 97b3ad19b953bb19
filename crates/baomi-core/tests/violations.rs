#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Tests for the twelve serious violations (R10.1) and the device-rule checks (R4.1, R4.3,
//! R4.7, R3.5, R5.4).

use baomi_core::carriers::TransmissionChannel as Channel;
use baomi_core::devices::{Disposal, Peripheral};
use baomi_core::ids::{ApprovalId, CarrierId, DeviceId, PersonId};
use baomi_core::marks::Level;
use baomi_core::violations::{
    detect, AbroadBy, Breach, CarrierTrade, Direction, ExchangeChannel, Finding, FindingKind,
    Observation, SeriousViolation as V, Sighting, Subject,
};
use baomi_core::{Describe, Lang, RuleId};
use jiff::civil::{date, Date};
use std::collections::BTreeSet;

const D1: Date = date(2024, 5, 1);
const D2: Date = date(2024, 5, 2);

fn kinds(findings: &[Finding]) -> Vec<FindingKind> {
    findings.iter().map(|f| f.kind).collect()
}

fn seen(medium: &str, device: i64, level: Level, on: Date) -> Observation {
    Observation::MediumSeen(Sighting {
        medium: medium.into(),
        device: DeviceId(device),
        device_level: level,
        on,
    })
}

fn route(device: i64, level: Level, on: Date) -> Observation {
    Observation::PublicNetworkRoute {
        device: DeviceId(device),
        level,
        route: "default gateway to Internet".into(),
        on,
    }
}

// ----------------------------------------------------------------------------------------------
// The list itself
// ----------------------------------------------------------------------------------------------

#[test]
fn r10_1_exactly_twelve_violations_with_distinct_names_and_codes() {
    assert_eq!(V::ALL.len(), 12);
    let zh: BTreeSet<_> = V::ALL.iter().map(|v| v.zh()).collect();
    let en: BTreeSet<_> = V::ALL.iter().map(|v| v.en()).collect();
    let codes: BTreeSet<_> = V::ALL.iter().map(|v| v.code()).collect();
    assert_eq!((zh.len(), en.len(), codes.len()), (12, 12, 12));
    for (i, v) in V::ALL.iter().enumerate() {
        assert_eq!(usize::from(v.number()), i + 1);
        assert_eq!(V::from_code(v.code()), Some(*v));
        assert_eq!(
            serde_json::to_string(v).unwrap(),
            format!("\"{}\"", v.code())
        );
        assert_eq!(v.rules()[0], RuleId("R10.1"));
        assert_eq!(v.describe(Lang::Zh), v.zh());
    }
    assert_eq!(V::from_code("nope"), None);
}

#[test]
fn r10_1_order_follows_domain_and_wording_the_law() {
    assert_eq!(
        V::ALL[0].zh(),
        "将涉密计算机、涉密存储设备接入互联网及其他公共信息网络"
    );
    // DOMAIN R10.1's order (seed 001 swaps nos. 10 and 11).
    assert_eq!(V::CarrierObtainedOrHeldIllegally.number(), 9);
    assert_eq!(V::CarrierTradedOrDestroyed.number(), 10);
    assert_eq!(V::CarrierByOrdinaryPost.number(), 11);
    assert_eq!(V::CarrierTakenAbroad.number(), 12);
    assert_eq!(
        V::ALL[8..],
        [
            V::CarrierObtainedOrHeldIllegally,
            V::CarrierTradedOrDestroyed,
            V::CarrierByOrdinaryPost,
            V::CarrierTakenAbroad
        ]
    );
    // The derived order (used to sort findings) is the list order.
    assert!(V::CarrierTradedOrDestroyed < V::CarrierByOrdinaryPost);
    assert!(V::ALL.windows(2).all(|w| w[0] < w[1]));
    assert!(V::CarrierTakenAbroad.zh().contains("未经有关主管部门批准"));
    assert!(V::UnprocessedDeviceDisposed.zh().contains("改作其他用途"));
    assert_eq!(
        V::CarrierByOrdinaryPost.rules(),
        vec![RuleId("R10.1"), RuleId("R3.5")]
    );
}

// ----------------------------------------------------------------------------------------------
// Network violations (nos. 1, 2)
// ----------------------------------------------------------------------------------------------

#[test]
fn r10_1_classified_computer_with_internet_route() {
    let f = detect(&[route(3, Level::Secret, D1)]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].kind, FindingKind::Serious(V::ConnectToPublicNetwork));
    assert_eq!(f[0].subject, Subject::Device(DeviceId(3)));
    assert_eq!(f[0].level, Level::Secret);
    assert_eq!(
        f[0].rules,
        vec![RuleId("R10.1"), RuleId("R4.1"), RuleId("R5.4")]
    );
    assert!(f[0].evidence.devices.contains(&DeviceId(3)));
    assert!(f[0].evidence.dates.contains(&D1));
    assert!(f[0].is_serious());
    let zh = f[0].describe(Lang::Zh);
    assert!(zh.starts_with("严重违规：将涉密计算机"), "{zh}");
    assert!(zh.contains("设备 3") && zh.contains("2024-05-01") && zh.contains("R10.1"));
    assert!(f[0]
        .describe(Lang::En)
        .starts_with("serious violation: connecting"));
}

#[test]
fn r10_1_internet_route_on_unclassified_computer_is_no_finding() {
    assert!(detect(&[route(3, Level::Unclassified, D1)]).is_empty());
}

#[test]
fn r5_1_work_secret_computer_with_internet_route_is_reported() {
    let f = detect(&[route(4, Level::Internal, D1)]);
    assert_eq!(
        kinds(&f),
        vec![FindingKind::Serious(V::ConnectToPublicNetwork)]
    );
}

#[test]
fn r10_1_repeated_observations_merge_into_one_finding() {
    let f = detect(&[route(3, Level::Secret, D2), route(3, Level::Secret, D1)]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].evidence.dates, BTreeSet::from([D1, D2]));
}

#[test]
fn r5_4_unprotected_exchange_is_serious_violation_two() {
    let ex = |device, direction, channel, virus_checked| Observation::NetworkExchange {
        device: DeviceId(device),
        level: Level::Confidential,
        direction,
        channel,
        virus_checked,
        on: D1,
    };
    // Protected one-way import with a virus check: fine.
    for ch in [
        ExchangeChannel::OneWayImport,
        ExchangeChannel::IntermediateMachine,
        ExchangeChannel::WriteOnceDisc,
    ] {
        assert!(detect(&[ex(1, Direction::Import, ch, true)]).is_empty());
    }
    let f = detect(&[
        ex(1, Direction::Import, ExchangeChannel::DirectLink, true),
        ex(2, Direction::Import, ExchangeChannel::OneWayImport, false),
        ex(3, Direction::Export, ExchangeChannel::OneWayImport, true),
        ex(4, Direction::Import, ExchangeChannel::RemovableMedium, true),
    ]);
    assert_eq!(f.len(), 4);
    assert!(f
        .iter()
        .all(|f| f.kind == FindingKind::Serious(V::UnprotectedExchange)));
    assert!(f[1]
        .evidence
        .details
        .contains("import:one_way_import:no_virus_check"));
}

// ----------------------------------------------------------------------------------------------
// Content on devices (no. 3, R4.1)
// ----------------------------------------------------------------------------------------------

#[test]
fn r10_1_classified_content_on_unclassified_device() {
    let found = |device_level, content_level| Observation::ContentFound {
        device: DeviceId(9),
        device_level,
        content_level,
        location: "C:/docs/plan.docx".into(),
        on: D1,
    };
    let f = detect(&[found(Level::Unclassified, Level::Secret)]);
    assert_eq!(
        kinds(&f),
        vec![FindingKind::Serious(V::SecretsOnUnclassifiedDevice)]
    );
    assert!(f[0].evidence.details.contains("C:/docs/plan.docx"));
    assert!(f[0].rules.contains(&RuleId("R4.3")));
    // A work-secret machine is not a classified machine for state secrets.
    assert_eq!(
        kinds(&detect(&[found(Level::Internal, Level::Confidential)])),
        vec![FindingKind::Serious(V::SecretsOnUnclassifiedDevice)]
    );
    // Work-secret content on an unclassified machine is not one of the twelve.
    assert!(detect(&[found(Level::Unclassified, Level::Internal)]).is_empty());
    // Content at or below a classified device's level is fine.
    assert!(detect(&[found(Level::Confidential, Level::Secret)]).is_empty());
    assert!(detect(&[found(Level::Secret, Level::Secret)]).is_empty());
}

#[test]
fn r4_1_content_above_device_level_is_a_breach() {
    let f = detect(&[Observation::ContentFound {
        device: DeviceId(9),
        device_level: Level::Secret,
        content_level: Level::TopSecret,
        location: "D:/x".into(),
        on: D1,
    }]);
    assert_eq!(
        kinds(&f),
        vec![FindingKind::Breach(Breach::ContentAboveDeviceLevel)]
    );
    assert_eq!(f[0].rules, vec![RuleId("R4.1")]);
    assert_eq!(f[0].level, Level::TopSecret);
    assert!(!f[0].is_serious());
}

// ----------------------------------------------------------------------------------------------
// Removable media (R4.3)
// ----------------------------------------------------------------------------------------------

#[test]
fn r4_3_removable_disk_seen_on_both_classified_and_unclassified_machine() {
    let f = detect(&[
        seen("usb-0042", 1, Level::Secret, D1),
        seen(" USB-0042", 2, Level::Unclassified, D2),
        seen("USB-0042", 3, Level::Confidential, D2),
    ]);
    assert_eq!(f.len(), 1, "one finding per medium");
    assert_eq!(
        f[0].kind,
        FindingKind::Breach(Breach::RemovableMediumCrossUse)
    );
    assert_eq!(f[0].subject, Subject::Medium("USB-0042".into()));
    assert_eq!(f[0].rules, vec![RuleId("R4.3")]);
    assert_eq!(f[0].level, Level::Confidential);
    assert_eq!(
        f[0].evidence.devices,
        BTreeSet::from([DeviceId(1), DeviceId(2), DeviceId(3)])
    );
    assert_eq!(f[0].evidence.dates, BTreeSet::from([D1, D2]));
    assert_eq!(f[0].evidence.media, BTreeSet::from(["USB-0042".to_owned()]));
    assert!(f[0].describe(Lang::Zh).starts_with("违规：移动存储介质"));
}

#[test]
fn r4_3_medium_seen_only_on_classified_machines_is_no_finding() {
    assert!(detect(&[
        seen("A1", 1, Level::Secret, D1),
        seen("A1", 2, Level::TopSecret, D2),
        seen("A1", 3, Level::Internal, D2),
    ])
    .is_empty());
    assert!(detect(&[
        seen("B1", 4, Level::Unclassified, D1),
        seen("B1", 5, Level::Unclassified, D2),
    ])
    .is_empty());
    // Different media on different machines do not combine; blank serials are ignored.
    assert!(detect(&[
        seen("A1", 1, Level::Secret, D1),
        seen("A2", 2, Level::Unclassified, D1),
        seen(" ", 1, Level::Secret, D1),
        seen("", 2, Level::Unclassified, D1),
    ])
    .is_empty());
}

#[test]
fn r4_3_wireless_peripheral_on_classified_computer() {
    let p = |peripheral, level, networked, in_classified_place| Observation::PeripheralAttached {
        device: DeviceId(5),
        level,
        peripheral,
        networked,
        in_classified_place,
        on: D1,
    };
    for w in [
        Peripheral::WirelessKeyboard,
        Peripheral::WirelessMouse,
        Peripheral::WirelessNetworkCard,
    ] {
        let f = detect(&[p(w, Level::Secret, false, true)]);
        assert_eq!(
            kinds(&f),
            vec![FindingKind::Breach(Breach::WirelessPeripheral)]
        );
        assert_eq!(f[0].rules, vec![RuleId("R4.3")]);
        assert!(detect(&[p(w, Level::Unclassified, true, false)]).is_empty());
    }
}

#[test]
fn r4_3_webcam_on_networked_computer_in_classified_place() {
    let p = |peripheral, networked, in_classified_place| Observation::PeripheralAttached {
        device: DeviceId(6),
        level: Level::Unclassified,
        peripheral,
        networked,
        in_classified_place,
        on: D1,
    };
    for cam in [Peripheral::Webcam, Peripheral::Microphone] {
        assert_eq!(
            kinds(&detect(&[p(cam, true, true)])),
            vec![FindingKind::Breach(Breach::CameraOrMicrophone)]
        );
        assert!(detect(&[p(cam, false, true)]).is_empty());
        assert!(detect(&[p(cam, true, false)]).is_empty());
    }
}

// ----------------------------------------------------------------------------------------------
// Security programs and disposal (nos. 7, 8, R4.7)
// ----------------------------------------------------------------------------------------------

#[test]
fn r10_1_security_software_removed_without_approval() {
    let obs = |approval| Observation::SecuritySoftwareChanged {
        device: DeviceId(2),
        level: Level::Secret,
        software: "主机监控与审计".into(),
        approval,
        on: D1,
    };
    assert_eq!(
        kinds(&detect(&[obs(None)])),
        vec![FindingKind::Serious(V::SecurityProgramsRemoved)]
    );
    assert!(detect(&[obs(Some(ApprovalId(1)))]).is_empty());
}

#[test]
fn r10_1_unprocessed_classified_device_given_away_sold_discarded_or_repurposed() {
    let obs = |device, disposal, processed| Observation::DeviceDisposed {
        device: DeviceId(device),
        level: Level::Confidential,
        disposal,
        security_processed: processed,
        on: D1,
    };
    let f = detect(&[
        obs(1, Some(Disposal::GiveAway), false),
        obs(2, Some(Disposal::Sell), false),
        obs(3, Some(Disposal::Discard), false),
        obs(4, None, false),
    ]);
    assert_eq!(f.len(), 4);
    assert!(f
        .iter()
        .all(|f| f.kind == FindingKind::Serious(V::UnprocessedDeviceDisposed)));
    assert!(f[3].evidence.details.contains("repurposed"));
    // Processed and given away: fine; processed but thrown away: R4.7 breach.
    assert!(detect(&[obs(1, Some(Disposal::GiveAway), true)]).is_empty());
    let f = detect(&[obs(3, Some(Disposal::Discard), true)]);
    assert_eq!(
        kinds(&f),
        vec![FindingKind::Breach(Breach::ClassifiedDeviceDiscarded)]
    );
    assert_eq!(f[0].rules, vec![RuleId("R4.7")]);
}

// ----------------------------------------------------------------------------------------------
// Secrets and carriers (nos. 4, 5, 6, 9, 10, 11, 12)
// ----------------------------------------------------------------------------------------------

#[test]
fn r10_1_unapproved_copy_transmission_and_private_disclosure() {
    let f = detect(&[
        Observation::CopyMade {
            carrier: CarrierId(1),
            level: Level::Secret,
            person: PersonId(8),
            approval: None,
            on: D1,
        },
        Observation::CopyMade {
            carrier: CarrierId(2),
            level: Level::Secret,
            person: PersonId(8),
            approval: Some(ApprovalId(3)),
            on: D1,
        },
        Observation::InsecureTransmission {
            person: PersonId(8),
            level: Level::Confidential,
            channel: "WeChat".into(),
            on: D1,
        },
        Observation::PrivateDisclosure {
            person: PersonId(9),
            level: Level::Secret,
            note: "letter to a friend".into(),
            on: D2,
        },
        Observation::InsecureTransmission {
            person: PersonId(8),
            level: Level::Internal,
            channel: "e-mail".into(),
            on: D1,
        },
    ]);
    assert_eq!(
        kinds(&f),
        vec![
            FindingKind::Serious(V::IllegalCopying),
            FindingKind::Serious(V::InsecureTransmission),
            FindingKind::Serious(V::SecretsInPrivateContact),
        ]
    );
    assert_eq!(f[0].subject, Subject::Carrier(CarrierId(1)));
    assert_eq!(f[1].subject, Subject::Person(PersonId(8)));
    assert!(f[0].rules.contains(&RuleId("R1.11")));
}

#[test]
fn r3_5_carrier_by_ordinary_post_or_express() {
    let sent = |carrier, level, channel| Observation::CarrierSent {
        carrier: CarrierId(carrier),
        level,
        channel,
        on: D1,
    };
    let f = detect(&[
        sent(1, Level::Secret, Channel::OrdinaryPost),
        sent(2, Level::Confidential, Channel::Express),
        sent(3, Level::Secret, Channel::ConfidentialTransport),
        sent(
            4,
            Level::Confidential,
            Channel::ExchangeStation { within_city: true },
        ),
        sent(
            5,
            Level::TopSecret,
            Channel::DedicatedCourier {
                courier: PersonId(3),
                safe_route: true,
            },
        ),
        sent(7, Level::Secret, Channel::ConfidentialCommunication),
    ]);
    assert_eq!(f.len(), 2);
    assert!(f
        .iter()
        .all(|f| f.kind == FindingKind::Serious(V::CarrierByOrdinaryPost)));
    assert_eq!(f[0].rules, vec![RuleId("R10.1"), RuleId("R3.5")]);
    assert_eq!(
        f[1].evidence.details,
        BTreeSet::from(["express".to_owned()])
    );
    // Unclassified material by post is no finding.
    assert!(detect(&[sent(6, Level::Unclassified, Channel::Express)]).is_empty());
}

#[test]
fn r3_5_top_secret_through_exchange_station_is_a_breach() {
    let f = detect(&[Observation::CarrierSent {
        carrier: CarrierId(1),
        level: Level::TopSecret,
        channel: Channel::ExchangeStation { within_city: true },
        on: D1,
    }]);
    assert_eq!(
        kinds(&f),
        vec![FindingKind::Breach(Breach::TopSecretThroughExchangeStation)]
    );
    assert_eq!(f[0].rules, vec![RuleId("R3.5")]);
}

#[test]
fn r10_1_carrier_held_traded_or_privately_destroyed() {
    let f = detect(&[
        Observation::CarrierHeldWithoutRight {
            carrier: CarrierId(1),
            level: Level::Secret,
            person: PersonId(2),
            on: D1,
        },
        Observation::CarrierTraded {
            carrier: CarrierId(3),
            level: Level::Secret,
            person: PersonId(2),
            trade: CarrierTrade::Sold,
            on: D1,
        },
        Observation::CarrierDestroyed {
            carrier: CarrierId(3),
            level: Level::Secret,
            person: PersonId(4),
            approval: None,
            on: D2,
        },
        Observation::CarrierDestroyed {
            carrier: CarrierId(5),
            level: Level::Secret,
            person: PersonId(4),
            approval: Some(ApprovalId(1)),
            on: D2,
        },
    ]);
    assert_eq!(
        kinds(&f),
        vec![
            FindingKind::Serious(V::CarrierObtainedOrHeldIllegally),
            FindingKind::Serious(V::CarrierTradedOrDestroyed),
        ]
    );
    // Carrier 3 sold, then destroyed privately: one finding with both acts.
    assert_eq!(f[1].subject, Subject::Carrier(CarrierId(3)));
    assert_eq!(
        f[1].evidence.details,
        BTreeSet::from(["sold".to_owned(), "destroyed_privately".to_owned()])
    );
    assert_eq!(
        f[1].evidence.persons,
        BTreeSet::from([PersonId(2), PersonId(4)])
    );
    assert!(f[1].rules.contains(&RuleId("R3.9")));
}

#[test]
fn r3_6_carrier_taken_abroad_without_approval() {
    let abroad = |carrier, by, approval| Observation::CarrierAbroad {
        carrier: CarrierId(carrier),
        level: Level::Confidential,
        by,
        approval,
        on: D1,
    };
    let approved = Some(ApprovalId(1));
    let f = detect(&[
        abroad(1, AbroadBy::Carry, None),
        abroad(2, AbroadBy::Mail, approved),
        abroad(3, AbroadBy::Consign, approved),
        abroad(4, AbroadBy::Carry, approved),
        abroad(5, AbroadBy::Send, approved),
    ]);
    assert_eq!(
        f.iter().map(|f| f.subject.clone()).collect::<Vec<_>>(),
        vec![
            Subject::Carrier(CarrierId(1)),
            Subject::Carrier(CarrierId(2)),
            Subject::Carrier(CarrierId(3)),
        ]
    );
    assert!(f
        .iter()
        .all(|f| f.kind == FindingKind::Serious(V::CarrierTakenAbroad)));
    assert!(f[0].rules.contains(&RuleId("R3.6")));
}

// ----------------------------------------------------------------------------------------------
// Determinism
// ----------------------------------------------------------------------------------------------

#[test]
fn r10_1_findings_are_sorted_and_independent_of_input_order() {
    let obs = vec![
        seen("M", 2, Level::Unclassified, D2),
        route(9, Level::TopSecret, D1),
        Observation::CarrierSent {
            carrier: CarrierId(1),
            level: Level::Secret,
            channel: Channel::Express,
            on: D1,
        },
        route(3, Level::Secret, D1),
        seen("M", 1, Level::Secret, D1),
        Observation::CarrierTraded {
            carrier: CarrierId(2),
            level: Level::Secret,
            person: PersonId(5),
            trade: CarrierTrade::Sold,
            on: D1,
        },
    ];
    let a = detect(&obs);
    let mut rev = obs.clone();
    rev.reverse();
    assert_eq!(a, detect(&rev));
    assert_eq!(
        a.iter()
            .map(|f| (f.kind, f.subject.clone()))
            .collect::<Vec<_>>(),
        vec![
            (
                FindingKind::Serious(V::ConnectToPublicNetwork),
                Subject::Device(DeviceId(3))
            ),
            (
                FindingKind::Serious(V::ConnectToPublicNetwork),
                Subject::Device(DeviceId(9))
            ),
            // No. 10 before no. 11, as DOMAIN R10.1 lists them.
            (
                FindingKind::Serious(V::CarrierTradedOrDestroyed),
                Subject::Carrier(CarrierId(2))
            ),
            (
                FindingKind::Serious(V::CarrierByOrdinaryPost),
                Subject::Carrier(CarrierId(1))
            ),
            (
                FindingKind::Breach(Breach::RemovableMediumCrossUse),
                Subject::Medium("M".into())
            ),
        ]
    );
    let json = serde_json::to_value(&a[4]).unwrap();
    assert_eq!(json["kind"]["code"], "removable_medium_cross_use");
    assert_eq!(json["rules"][0], "R4.3");
    assert!(detect(&[]).is_empty());
}
