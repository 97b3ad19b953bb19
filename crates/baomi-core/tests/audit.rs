//! Tests of the audit chain (DOMAIN R13.1, R13.2).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::audit::{
    from_hex, to_hex, verify, verify_against_checkpoint, verify_from, verify_pieces_parallel,
    verify_records, Actor, AuditDraft, AuditEntry, AuditError, BreakKind, ChainBreak, ChainHead,
    ChainVerifier, Checkpoint, Digest, DraftField, HashAlgorithm, HexError, ObjectRef, Outcome,
    RecordErrorKind, MAX_CODE_BYTES, MAX_DETAIL_BYTES, MAX_OBJECT_ID_BYTES,
};
use baomi_core::ids::{CarrierId, MatterId, PersonId};
use baomi_core::{Describe, Lang};
use jiff::Timestamp;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

/// A realistic little log: reads, an approval, a denial, a failed login, a lending.
fn drafts() -> Vec<AuditDraft> {
    let alice = Actor::Person(PersonId(7));
    let bob = Actor::Person(PersonId(8));
    vec![
        AuditDraft::new(
            ts("2026-03-01T08:00:00Z"),
            Actor::Unauthenticated,
            "auth.login",
        )
        .outcome(Outcome::Failed {
            error: "bad_password".into(),
        })
        .detail(r#"{"claimed":"zhangsan"}"#),
        AuditDraft::new(ts("2026-03-01T08:01:00Z"), alice, "matter.propose")
            .on(ObjectRef::matter(MatterId(42)))
            .detail(r#"{"mark":"机密★10年"}"#),
        AuditDraft::new(ts("2026-03-01T09:00:00Z"), bob, "matter.approve")
            .on(ObjectRef::matter(MatterId(42))),
        AuditDraft::new(ts("2026-03-01T09:30:00Z"), alice, "matter.read")
            .on(ObjectRef::matter(MatterId(42))),
        AuditDraft::new(ts("2026-03-02T10:00:00Z"), alice, "carrier.carry_out")
            .on(ObjectRef::carrier(CarrierId(3)))
            .outcome(Outcome::Denied {
                reason: "R3.6:not_approved".into(),
            }),
        AuditDraft::new(ts("2026-03-02T11:00:00Z"), bob, "carrier.lend")
            .on(ObjectRef::carrier(CarrierId(3)))
            .detail("借阅至 2026-03-09"),
        AuditDraft::new(ts("2026-03-03T00:00:00Z"), Actor::System, "reminder.sent"),
    ]
}

fn chain(algorithm: HashAlgorithm) -> (Vec<AuditEntry>, ChainHead) {
    let mut head = ChainHead::genesis(algorithm);
    let entries = drafts()
        .into_iter()
        .map(|d| head.append(d).unwrap())
        .collect();
    (entries, head)
}

fn broken(result: Result<baomi_core::audit::VerifiedChain, ChainBreak>) -> ChainBreak {
    match result {
        Ok(v) => panic!("expected a break, verified {v:?}"),
        Err(b) => b,
    }
}

// ---------------------------------------------------------------- algorithms

#[test]
fn r13_2_sm3_known_answer_abc() {
    assert_eq!(
        HashAlgorithm::Sm3.digest(b"abc").to_string(),
        "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    );
}

#[test]
fn r13_2_sha256_known_answer_abc() {
    assert_eq!(
        HashAlgorithm::Sha256.digest(b"abc").to_string(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[test]
fn r13_2_algorithm_names_parse_and_print() {
    for a in HashAlgorithm::ALL {
        assert_eq!(a.name().parse::<HashAlgorithm>().unwrap(), a);
        assert_eq!(a.to_string(), a.name());
    }
    assert_eq!(
        "SHA-256".parse::<HashAlgorithm>().unwrap(),
        HashAlgorithm::Sha256
    );
    assert_eq!(
        " SM3 ".parse::<HashAlgorithm>().unwrap(),
        HashAlgorithm::Sm3
    );
    let err = "md5".parse::<HashAlgorithm>().unwrap_err();
    assert_eq!(err, AuditError::UnknownAlgorithm { name: "md5".into() });
    assert_eq!(err.rule().0, "R13.2");
    assert!(err.describe(Lang::Zh).contains("未知的杂凑算法"));
    assert_eq!(
        serde_json::to_string(&HashAlgorithm::Sm3).unwrap(),
        r#""sm3""#
    );
}

// ---------------------------------------------------------------- digests and hex

#[test]
fn r13_2_digest_hex_round_trip_and_errors() {
    let d = Digest([0xab; 32]);
    assert_eq!(d.to_string(), "ab".repeat(32));
    assert_eq!("AB".repeat(32).parse::<Digest>().unwrap(), d);
    assert_eq!(
        format!("{:?}", Digest::ZERO),
        format!("Digest({})", "0".repeat(64))
    );
    assert_eq!(to_hex(&[0x00, 0x0f, 0xf0, 0xff]), "000ff0ff");
    assert_eq!(from_hex("000fF0ff").unwrap(), vec![0x00, 0x0f, 0xf0, 0xff]);
    assert_eq!(from_hex("").unwrap(), Vec::<u8>::new());
    assert_eq!(from_hex("abc"), Err(HexError::OddLength { length: 3 }));
    assert_eq!(
        from_hex("0g"),
        Err(HexError::InvalidCharacter {
            position: 1,
            character: 'g'
        })
    );
    assert_eq!(
        from_hex("0密"),
        Err(HexError::InvalidCharacter {
            position: 1,
            character: '密'
        })
    );
    assert_eq!(
        Digest::from_hex(&"00".repeat(31)),
        Err(HexError::WrongLength {
            expected: 32,
            found: 31
        })
    );
    let json = serde_json::to_string(&d).unwrap();
    assert_eq!(json, format!("\"{}\"", "ab".repeat(32)));
    assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
    assert!(serde_json::from_str::<Digest>("\"zz\"").is_err());
}

#[test]
fn r13_2_hex_error_text_never_overflows() {
    // A deserialised error may carry any length; its text must not overflow.
    let json = format!(
        "{{\"kind\":\"wrong_length\",\"expected\":{},\"found\":0}}",
        usize::MAX
    );
    let e: HexError = serde_json::from_str(&json).unwrap();
    assert_eq!(
        e,
        HexError::WrongLength {
            expected: usize::MAX,
            found: 0
        }
    );
    assert!(e
        .to_string()
        .contains(&format!("({} hex digits)", usize::MAX)));
    assert!(e.describe(Lang::Zh).contains(&usize::MAX.to_string()));
    let e = HexError::WrongLength {
        expected: 32,
        found: 31,
    };
    assert!(e.to_string().contains("(64 hex digits)"));
    assert!(e.describe(Lang::Zh).contains("64 位十六进制"));
}

// ---------------------------------------------------------------- appending

#[test]
fn r13_2_append_numbers_links_and_hashes() {
    for algorithm in HashAlgorithm::ALL {
        let (entries, head) = chain(algorithm);
        assert_eq!(entries[0].seq, 1);
        assert_eq!(entries[0].prev_hash, Digest::ZERO);
        for pair in entries.windows(2) {
            assert_eq!(pair[1].seq, pair[0].seq + 1);
            assert_eq!(pair[1].prev_hash, pair[0].hash);
        }
        for e in &entries {
            assert_eq!(e.hash, e.compute_hash(algorithm));
        }
        let last = entries.last().unwrap();
        assert_eq!(head, ChainHead::of_entry(algorithm, last));
        assert_eq!(head.seq, 7);
    }
}

#[test]
fn r13_2_append_floors_time_to_microseconds() {
    let mut head = ChainHead::genesis(HashAlgorithm::Sha256);
    let e = head
        .append(AuditDraft::new(
            ts("2026-03-01T08:00:00.123456789Z"),
            Actor::System,
            "x",
        ))
        .unwrap();
    assert_eq!(e.at, ts("2026-03-01T08:00:00.123456Z"));
    let e = head
        .append(AuditDraft::new(
            ts("1969-12-31T23:59:59.999999999Z"),
            Actor::System,
            "x",
        ))
        .unwrap();
    assert_eq!(e.at, ts("1969-12-31T23:59:59.999999Z"));
}

#[test]
fn r13_2_append_refuses_bad_drafts_and_leaves_the_head() {
    let at = ts("2026-03-01T08:00:00Z");
    let mut head = ChainHead::genesis(HashAlgorithm::Sm3);
    head.append(AuditDraft::new(at, Actor::System, "boot"))
        .unwrap();
    let before = head;

    let longest = "a".repeat(MAX_CODE_BYTES);
    assert!(head
        .append(AuditDraft::new(at, Actor::System, &longest))
        .is_ok());
    let before_long = head;
    assert_ne!(before_long, before);

    let cases: Vec<(AuditDraft, AuditError)> = vec![
        (
            AuditDraft::new(at, Actor::System, ""),
            AuditError::InvalidField {
                field: DraftField::Action,
                value: String::new(),
            },
        ),
        (
            AuditDraft::new(at, Actor::System, &"a".repeat(MAX_CODE_BYTES + 1)),
            AuditError::InvalidField {
                field: DraftField::Action,
                value: "a".repeat(MAX_CODE_BYTES),
            },
        ),
        (
            AuditDraft::new(at, Actor::System, "matter approve"),
            AuditError::InvalidField {
                field: DraftField::Action,
                value: "matter approve".into(),
            },
        ),
        (
            AuditDraft::new(at, Actor::System, ".matter"),
            AuditError::InvalidField {
                field: DraftField::Action,
                value: ".matter".into(),
            },
        ),
        (
            AuditDraft::new(at, Actor::System, "matter.read").on(ObjectRef::new("密件", 1)),
            AuditError::InvalidField {
                field: DraftField::ObjectKind,
                value: "密件".into(),
            },
        ),
        (
            AuditDraft::new(at, Actor::System, "matter.read").on(ObjectRef::new("matter", "")),
            AuditError::InvalidField {
                field: DraftField::ObjectId,
                value: String::new(),
            },
        ),
        (
            AuditDraft::new(at, Actor::System, "matter.read").on(ObjectRef::new("file", "a\nb")),
            AuditError::InvalidField {
                field: DraftField::ObjectId,
                value: "a\nb".into(),
            },
        ),
        (
            AuditDraft::new(at, Actor::System, "matter.read")
                .on(ObjectRef::new("file", "x".repeat(MAX_OBJECT_ID_BYTES + 1))),
            AuditError::InvalidField {
                field: DraftField::ObjectId,
                value: "x".repeat(MAX_OBJECT_ID_BYTES),
            },
        ),
        (
            AuditDraft::new(at, Actor::System, "matter.read").outcome(Outcome::Denied {
                reason: "no scope".into(),
            }),
            AuditError::InvalidField {
                field: DraftField::DeniedReason,
                value: "no scope".into(),
            },
        ),
        (
            AuditDraft::new(at, Actor::System, "matter.read").outcome(Outcome::Failed {
                error: String::new(),
            }),
            AuditError::InvalidField {
                field: DraftField::FailureCode,
                value: String::new(),
            },
        ),
        (
            AuditDraft::new(at, Actor::System, "matter.read")
                .detail("x".repeat(MAX_DETAIL_BYTES + 1)),
            AuditError::DetailTooLong {
                length: MAX_DETAIL_BYTES + 1,
                max: MAX_DETAIL_BYTES,
            },
        ),
    ];
    for (draft, expected) in cases {
        assert_eq!(head.append(draft).unwrap_err(), expected);
        assert_eq!(head, before_long, "a refused draft must not move the head");
        assert_eq!(expected.rule().0, "R13.2");
        assert!(!expected.describe(Lang::Zh).is_empty());
    }

    // Boundaries that are allowed.
    let ok = AuditDraft::new(at, Actor::System, "matter.read")
        .on(ObjectRef::new("file", "x".repeat(MAX_OBJECT_ID_BYTES)))
        .detail("x".repeat(MAX_DETAIL_BYTES));
    assert!(head.append(ok).is_ok());
    assert_eq!(head.seq, before_long.seq + 1);
}

#[test]
fn r13_2_append_refuses_when_sequence_exhausted() {
    let mut head = ChainHead {
        algorithm: HashAlgorithm::Sha256,
        seq: u64::MAX,
        hash: Digest([1; 32]),
    };
    let before = head;
    let err = head
        .append(AuditDraft::new(
            ts("2026-01-01T00:00:00Z"),
            Actor::System,
            "x",
        ))
        .unwrap_err();
    assert_eq!(err, AuditError::SequenceExhausted);
    assert_eq!(head, before);
}

// ---------------------------------------------------------------- verification

#[test]
fn r13_2_sha256_and_sm3_chains_verify() {
    for algorithm in HashAlgorithm::ALL {
        let (entries, head) = chain(algorithm);
        let v = verify(algorithm, &entries).unwrap();
        assert_eq!(v.count, 7);
        assert_eq!(v.head, head);
        let v = verify_against_checkpoint(&head.checkpoint(ts("2026-03-04T00:00:00Z")), &entries)
            .unwrap();
        assert_eq!(v.head, head);
    }
}

#[test]
fn r13_2_empty_log_verifies_to_the_genesis_head() {
    let v = verify(HashAlgorithm::Sm3, &[]).unwrap();
    assert_eq!(v.count, 0);
    assert_eq!(v.head, ChainHead::genesis(HashAlgorithm::Sm3));
}

#[test]
fn r13_2_the_two_algorithms_give_different_chains() {
    let (sha, _) = chain(HashAlgorithm::Sha256);
    let (sm3, _) = chain(HashAlgorithm::Sm3);
    assert_ne!(sha[0].hash, sm3[0].hash);
    // Same fields, but the algorithm name is part of the hash input (domain separation).
    assert_ne!(
        sha[0].canonical_bytes(HashAlgorithm::Sha256),
        sha[0].canonical_bytes(HashAlgorithm::Sm3)
    );
}

#[test]
fn r13_2_switching_algorithm_is_detected() {
    let (entries, head) = chain(HashAlgorithm::Sha256);
    let b = broken(verify(HashAlgorithm::Sm3, &entries));
    assert_eq!((b.index, b.seq), (0, 1));
    assert!(matches!(b.kind, BreakKind::HashMismatch { .. }));

    // A chain that switches algorithm half way.
    let mut mixed = entries[..3].to_vec();
    let mut sm3_head = ChainHead {
        algorithm: HashAlgorithm::Sm3,
        ..ChainHead::of_entry(HashAlgorithm::Sha256, &mixed[2])
    };
    for d in drafts().into_iter().skip(3) {
        mixed.push(sm3_head.append(d).unwrap());
    }
    let b = broken(verify(HashAlgorithm::Sha256, &mixed));
    assert_eq!((b.index, b.seq), (3, 4));
    assert!(matches!(b.kind, BreakKind::HashMismatch { .. }));

    // A checkpoint for the other algorithm is refused.
    let cp = Checkpoint {
        algorithm: HashAlgorithm::Sm3,
        ..head.checkpoint(ts("2026-03-04T00:00:00Z"))
    };
    let err = ChainVerifier::genesis(HashAlgorithm::Sha256)
        .with_checkpoint(cp)
        .unwrap_err();
    assert_eq!(
        err.kind,
        BreakKind::CheckpointAlgorithm {
            chain: HashAlgorithm::Sha256,
            checkpoint: HashAlgorithm::Sm3
        }
    );
}

#[test]
fn r13_2_edited_middle_entry_is_detected_at_that_entry() {
    let (mut entries, _) = chain(HashAlgorithm::Sm3);
    let stored = entries[3].hash;
    entries[3].actor = Actor::Person(PersonId(99));
    let b = broken(verify(HashAlgorithm::Sm3, &entries));
    assert_eq!((b.index, b.seq), (3, 4));
    assert_eq!(
        b.kind,
        BreakKind::HashMismatch {
            stored,
            computed: entries[3].compute_hash(HashAlgorithm::Sm3)
        }
    );
    assert_eq!(b.rule().0, "R13.2");
    assert!(b.describe(Lang::Zh).contains("第 4 条"));
    assert!(b.describe(Lang::En).contains("entry 4"));

    // Every field counts.
    let (orig, _) = chain(HashAlgorithm::Sha256);
    let edits: Vec<fn(&mut AuditEntry)> = vec![
        |e| e.at += jiff::SignedDuration::from_micros(1),
        |e| e.action = "matter.delete".into(),
        |e| e.object = None,
        |e| e.outcome = Outcome::Success,
        |e| e.detail.push(' '),
        |e| e.hash.0[31] ^= 1,
    ];
    for edit in edits {
        let mut entries = orig.clone();
        edit(&mut entries[4]);
        let b = broken(verify(HashAlgorithm::Sha256, &entries));
        assert_eq!(b.index, 4);
        assert!(matches!(b.kind, BreakKind::HashMismatch { .. }), "{b}");
    }
}

#[test]
fn r13_2_edited_and_rehashed_entry_is_detected_at_the_next_entry() {
    let (mut entries, _) = chain(HashAlgorithm::Sha256);
    entries[2].detail = "改写".into();
    entries[2].hash = entries[2].compute_hash(HashAlgorithm::Sha256);
    let b = broken(verify(HashAlgorithm::Sha256, &entries));
    assert_eq!((b.index, b.seq), (3, 4));
    assert_eq!(
        b.kind,
        BreakKind::PrevHashMismatch {
            expected: entries[2].hash,
            found: entries[3].prev_hash
        }
    );
}

#[test]
fn r13_2_rewritten_suffix_is_detected_only_with_a_checkpoint() {
    let (entries, head) = chain(HashAlgorithm::Sm3);
    let cp = head.checkpoint(ts("2026-03-04T00:00:00Z"));
    // Rewrite entry 3 and recompute everything after it: internally consistent.
    let mut forged = entries[..2].to_vec();
    let mut h = ChainHead::of_entry(HashAlgorithm::Sm3, &forged[1]);
    for (i, mut d) in drafts().into_iter().enumerate().skip(2) {
        if i == 2 {
            d.actor = Actor::Person(PersonId(1));
        }
        forged.push(h.append(d).unwrap());
    }
    assert!(verify(HashAlgorithm::Sm3, &forged).is_ok());
    let b = broken(verify_against_checkpoint(&cp, &forged));
    assert_eq!((b.index, b.seq), (6, 7));
    assert_eq!(
        b.kind,
        BreakKind::CheckpointMismatch {
            checkpoint_hash: head.hash,
            entry_hash: forged[6].hash
        }
    );
}

#[test]
fn r13_2_deleted_middle_entry_is_detected_where_it_was() {
    let (mut entries, _) = chain(HashAlgorithm::Sha256);
    entries.remove(2);
    let b = broken(verify(HashAlgorithm::Sha256, &entries));
    assert_eq!((b.index, b.seq), (2, 3));
    assert_eq!(b.kind, BreakKind::SequenceGap { found: 4 });

    // Deleting and renumbering the rest does not help.
    for e in entries.iter_mut().skip(2) {
        e.seq -= 1;
    }
    let b = broken(verify(HashAlgorithm::Sha256, &entries));
    assert_eq!((b.index, b.seq), (2, 3));
    assert!(matches!(b.kind, BreakKind::PrevHashMismatch { .. }));
}

#[test]
fn r13_2_deleted_first_entry_is_not_genesis() {
    let (entries, _) = chain(HashAlgorithm::Sm3);
    let b = broken(verify(HashAlgorithm::Sm3, &entries[1..]));
    assert_eq!((b.index, b.seq), (0, 1));
    assert_eq!(
        b.kind,
        BreakKind::NotGenesis {
            found_seq: 2,
            found_prev: entries[0].hash
        }
    );
    // A first entry numbered 1 but pointing elsewhere is not genesis either.
    let mut first = entries[0].clone();
    first.prev_hash = Digest([9; 32]);
    let b = broken(verify(HashAlgorithm::Sm3, [&first]));
    assert!(matches!(b.kind, BreakKind::NotGenesis { found_seq: 1, .. }));
}

#[test]
fn r13_2_reordered_entries_are_detected() {
    let (mut entries, _) = chain(HashAlgorithm::Sha256);
    entries.swap(3, 4);
    let b = broken(verify(HashAlgorithm::Sha256, &entries));
    assert_eq!((b.index, b.seq), (3, 4));
    assert_eq!(b.kind, BreakKind::SequenceGap { found: 5 });

    // Swapping the contents but keeping the numbers in order is caught by the links.
    let (mut entries, _) = chain(HashAlgorithm::Sha256);
    entries.swap(3, 4);
    entries[3].seq = 4;
    entries[4].seq = 5;
    let b = broken(verify(HashAlgorithm::Sha256, &entries));
    assert_eq!(b.index, 3);
    assert!(matches!(b.kind, BreakKind::PrevHashMismatch { .. }));
}

#[test]
fn r13_2_duplicated_entry_is_detected() {
    let (mut entries, _) = chain(HashAlgorithm::Sha256);
    let dup = entries[2].clone();
    entries.insert(3, dup);
    let b = broken(verify(HashAlgorithm::Sha256, &entries));
    assert_eq!((b.index, b.seq), (3, 4));
    assert_eq!(b.kind, BreakKind::SequenceBackwards { found: 3 });
}

#[test]
fn r13_2_truncated_tail_is_detected_only_with_a_checkpoint() {
    let (entries, head) = chain(HashAlgorithm::Sm3);
    let cp = head.checkpoint(ts("2026-03-04T00:00:00Z"));
    let short = &entries[..5];
    // Without a checkpoint a shorter log is a valid log.
    assert_eq!(verify(HashAlgorithm::Sm3, short).unwrap().count, 5);
    let b = broken(verify_against_checkpoint(&cp, short));
    assert_eq!((b.index, b.seq), (5, 6));
    assert_eq!(
        b.kind,
        BreakKind::Truncated {
            last_seq: 5,
            checkpoint_seq: 7
        }
    );
    // Everything removed.
    let b = broken(verify_against_checkpoint(&cp, &[]));
    assert_eq!(
        b.kind,
        BreakKind::Truncated {
            last_seq: 0,
            checkpoint_seq: 7
        }
    );
    // A log that grew after an older checkpoint is fine.
    let old =
        ChainHead::of_entry(HashAlgorithm::Sm3, &entries[4]).checkpoint(ts("2026-03-02T12:00:00Z"));
    assert_eq!(verify_against_checkpoint(&old, &entries).unwrap().count, 7);
    // An empty checkpoint covers an empty log.
    let empty = ChainHead::genesis(HashAlgorithm::Sm3).checkpoint(ts("2026-01-01T00:00:00Z"));
    assert!(verify_against_checkpoint(&empty, &[]).is_ok());
}

#[test]
fn r13_2_incremental_verification_from_a_trusted_head() {
    let (entries, head) = chain(HashAlgorithm::Sha256);
    let trusted = verify(HashAlgorithm::Sha256, &entries[..4]).unwrap().head;
    let v = verify_from(&trusted, &entries[4..]).unwrap();
    assert_eq!(v.count, 3);
    assert_eq!(v.head, head);
    // Nothing new is fine.
    assert_eq!(verify_from(&head, &[]).unwrap().head, head);

    // A suffix that does not follow the trusted head.
    let b = broken(verify_from(&trusted, &entries[5..]));
    assert_eq!((b.index, b.seq), (0, 5));
    assert_eq!(b.kind, BreakKind::SequenceGap { found: 6 });
    let wrong = ChainHead {
        hash: Digest([7; 32]),
        ..trusted
    };
    let b = broken(verify_from(&wrong, &entries[4..]));
    assert_eq!(
        b.kind,
        BreakKind::PrevHashMismatch {
            expected: Digest([7; 32]),
            found: entries[4].prev_hash
        }
    );

    // Checkpoints with a trusted head.
    let cp = head.checkpoint(ts("2026-03-04T00:00:00Z"));
    let mut v = ChainVerifier::from_trusted(trusted)
        .with_checkpoint(cp)
        .unwrap();
    for e in &entries[4..] {
        v.push(e).unwrap();
    }
    assert_eq!(v.finish().unwrap().head, head);
    let early = ChainHead::of_entry(HashAlgorithm::Sha256, &entries[1]).checkpoint(cp.at);
    assert_eq!(
        ChainVerifier::from_trusted(trusted)
            .with_checkpoint(early)
            .unwrap_err()
            .kind,
        BreakKind::CheckpointBeforeStart {
            checkpoint_seq: 2,
            start_seq: 4
        }
    );
    let same_seq = Checkpoint {
        head_hash: Digest([5; 32]),
        ..trusted.checkpoint(cp.at)
    };
    assert!(matches!(
        ChainVerifier::from_trusted(trusted)
            .with_checkpoint(same_seq)
            .unwrap_err()
            .kind,
        BreakKind::CheckpointMismatch { .. }
    ));
    assert!(ChainVerifier::from_trusted(trusted)
        .with_checkpoint(trusted.checkpoint(cp.at))
        .is_ok());
}

#[test]
fn r13_2_streaming_verifier_refusal_changes_nothing() {
    let (entries, _) = chain(HashAlgorithm::Sm3);
    let mut v = ChainVerifier::genesis(HashAlgorithm::Sm3);
    v.push(&entries[0]).unwrap();
    let before = v.clone();
    let b = v.push(&entries[2]).unwrap_err();
    assert_eq!(b.kind, BreakKind::SequenceGap { found: 3 });
    assert_eq!(v, before);
    v.push(&entries[1]).unwrap();
    assert_eq!(v.head().seq, 2);
}

#[test]
fn r13_2_sequence_exhausted_is_a_break() {
    let head = ChainHead {
        algorithm: HashAlgorithm::Sha256,
        seq: u64::MAX,
        hash: Digest([1; 32]),
    };
    let (entries, _) = chain(HashAlgorithm::Sha256);
    let b = broken(verify_from(&head, &entries[..1]));
    assert_eq!(b.kind, BreakKind::SequenceExhausted);
}

// ---------------------------------------------------------------- encodings

/// An independent implementation of the documented encoding, to prove that "verification needs
/// only the data".
fn spec_text(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn spec_hash_input(alg: &str, e: &AuditEntry) -> Vec<u8> {
    let mut out = Vec::new();
    spec_text(&mut out, "baomi/audit/entry/v1");
    spec_text(&mut out, alg);
    out.extend_from_slice(&e.seq.to_be_bytes());
    let ns = e.at.as_nanosecond();
    out.extend_from_slice(&(ns.div_euclid(1_000_000_000) as i64).to_be_bytes());
    out.extend_from_slice(&(ns.rem_euclid(1_000_000_000) as u32).to_be_bytes());
    match e.actor {
        Actor::Person(p) => {
            out.push(1);
            out.extend_from_slice(&p.0.to_be_bytes());
        }
        Actor::System => out.push(2),
        Actor::Unauthenticated => out.push(3),
    }
    spec_text(&mut out, &e.action);
    match &e.object {
        None => out.push(0),
        Some(o) => {
            out.push(1);
            spec_text(&mut out, &o.kind);
            spec_text(&mut out, &o.id);
        }
    }
    match &e.outcome {
        Outcome::Success => out.push(1),
        Outcome::Denied { reason } => {
            out.push(2);
            spec_text(&mut out, reason);
        }
        Outcome::Failed { error } => {
            out.push(3);
            spec_text(&mut out, error);
        }
    }
    spec_text(&mut out, &e.detail);
    out.extend_from_slice(&e.prev_hash.0);
    out
}

#[test]
fn r13_2_hash_input_follows_the_documented_encoding() {
    for algorithm in HashAlgorithm::ALL {
        let (entries, _) = chain(algorithm);
        for e in &entries {
            let spec = spec_hash_input(algorithm.name(), e);
            assert_eq!(e.canonical_bytes(algorithm), spec);
            assert_eq!(e.hash, algorithm.digest(&spec));
        }
    }
    // Record = record tag, the same fields, then the hash.
    let (entries, _) = chain(HashAlgorithm::Sm3);
    let e = &entries[1];
    let fields = &spec_hash_input("sm3", e)[(8 + 20) + (8 + 3)..];
    let mut record = Vec::new();
    spec_text(&mut record, "baomi/audit/record/v1");
    record.extend_from_slice(fields);
    record.extend_from_slice(&e.hash.0);
    assert_eq!(e.to_record_bytes(), record);
}

#[test]
fn r13_2_time_before_1970_is_encoded_floored() {
    let mut e = chain(HashAlgorithm::Sha256).0.remove(0);
    e.at = ts("1969-12-31T23:59:59.5Z");
    let bytes = e.canonical_bytes(HashAlgorithm::Sha256);
    let time_at = (8 + 20) + (8 + 6) + 8;
    assert_eq!(&bytes[time_at..time_at + 8], &(-1i64).to_be_bytes());
    assert_eq!(
        &bytes[time_at + 8..time_at + 12],
        &500_000_000u32.to_be_bytes()
    );
    assert_eq!(
        AuditEntry::from_record_bytes(&e.to_record_bytes()).unwrap(),
        e
    );
}

#[test]
fn r13_2_checkpoint_signing_bytes_follow_the_documented_encoding() {
    let cp = Checkpoint {
        algorithm: HashAlgorithm::Sm3,
        seq: 7,
        head_hash: Digest([0x11; 32]),
        at: ts("2026-03-04T00:00:00.25Z"),
    };
    let mut expected = Vec::new();
    spec_text(&mut expected, "baomi/audit/checkpoint/v1");
    spec_text(&mut expected, "sm3");
    expected.extend_from_slice(&7u64.to_be_bytes());
    expected.extend_from_slice(&[0x11; 32]);
    expected.extend_from_slice(&cp.at.as_second().to_be_bytes());
    expected.extend_from_slice(&250_000_000u32.to_be_bytes());
    assert_eq!(cp.signing_bytes(), expected);
    let other = Checkpoint { seq: 8, ..cp };
    assert_ne!(other.signing_bytes(), cp.signing_bytes());
}

#[test]
fn r13_2_records_round_trip_and_refuse_damage() {
    let (entries, _) = chain(HashAlgorithm::Sm3);
    for e in &entries {
        assert_eq!(
            &AuditEntry::from_record_bytes(&e.to_record_bytes()).unwrap(),
            e
        );
    }
    let rec = entries[1].to_record_bytes();

    let err = AuditEntry::from_record_bytes(&rec[..rec.len() - 1]).unwrap_err();
    assert_eq!(err.kind, RecordErrorKind::UnexpectedEnd { needed: 1 });
    assert_eq!(err.offset as usize, rec.len() - 32);

    let mut long = rec.clone();
    long.push(0);
    let err = AuditEntry::from_record_bytes(&long).unwrap_err();
    assert_eq!(err.kind, RecordErrorKind::TrailingBytes { count: 1 });

    let mut wrong = rec.clone();
    wrong[8] = b'B';
    assert_eq!(
        AuditEntry::from_record_bytes(&wrong).unwrap_err().kind,
        RecordErrorKind::WrongTag
    );

    // Nanoseconds field (after tag and seq, then 8 bytes of seconds).
    let nanos_at = (8 + 21) + 8 + 8;
    let mut bad = rec.clone();
    bad[nanos_at..nanos_at + 4].copy_from_slice(&1_000_000_000u32.to_be_bytes());
    assert_eq!(
        AuditEntry::from_record_bytes(&bad).unwrap_err().kind,
        RecordErrorKind::NanosecondsOutOfRange {
            nanos: 1_000_000_000
        }
    );
    let mut bad = rec.clone();
    bad[nanos_at - 8..nanos_at].copy_from_slice(&i64::MAX.to_be_bytes());
    assert!(matches!(
        AuditEntry::from_record_bytes(&bad).unwrap_err().kind,
        RecordErrorKind::TimestampOutOfRange { .. }
    ));
    let actor_at = nanos_at + 4;
    let mut bad = rec.clone();
    bad[actor_at] = 9;
    let err = AuditEntry::from_record_bytes(&bad).unwrap_err();
    assert_eq!(err.kind, RecordErrorKind::UnknownActor { tag: 9 });
    assert_eq!(err.offset as usize, actor_at);
    assert_eq!(err.rule().0, "R13.2");
    assert!(err.describe(Lang::Zh).contains("未知的操作者标记"));

    assert_eq!(
        AuditEntry::from_record_bytes(&[]).unwrap_err().kind,
        RecordErrorKind::UnexpectedEnd { needed: 8 }
    );
    let mut huge = rec.clone();
    huge[..8].copy_from_slice(&u64::MAX.to_be_bytes());
    assert_eq!(
        AuditEntry::from_record_bytes(&huge).unwrap_err().kind,
        RecordErrorKind::LengthTooLarge { length: u64::MAX }
    );
}

#[test]
fn r13_2_verify_records_reports_unreadable_records_in_place() {
    let (entries, head) = chain(HashAlgorithm::Sha256);
    let mut records: Vec<Vec<u8>> = entries.iter().map(AuditEntry::to_record_bytes).collect();
    let v = verify_records(HashAlgorithm::Sha256, records.iter().map(Vec::as_slice)).unwrap();
    assert_eq!(v.head, head);
    records[4].truncate(10);
    let b = broken(verify_records(
        HashAlgorithm::Sha256,
        records.iter().map(Vec::as_slice),
    ));
    assert_eq!((b.index, b.seq), (4, 5));
    assert!(matches!(b.kind, BreakKind::Undecodable { .. }));
}

#[test]
fn r13_2_entries_and_breaks_serialise_to_json() {
    let (entries, _) = chain(HashAlgorithm::Sm3);
    for e in &entries {
        let json = serde_json::to_string(e).unwrap();
        assert_eq!(&serde_json::from_str::<AuditEntry>(&json).unwrap(), e);
    }
    let json = serde_json::to_value(&entries[1]).unwrap();
    assert_eq!(
        json["actor"],
        serde_json::json!({"kind": "person", "id": 7})
    );
    assert_eq!(
        json["prev_hash"],
        serde_json::json!(entries[0].hash.to_string())
    );
    let b = broken(verify(HashAlgorithm::Sha256, &entries));
    let json = serde_json::to_string(&b).unwrap();
    assert_eq!(serde_json::from_str::<ChainBreak>(&json).unwrap(), b);
}

#[test]
fn r13_1_people_see_actors_and_outcomes_in_both_languages() {
    assert_eq!(Actor::Person(PersonId(7)).describe(Lang::Zh), "人员 7");
    assert_eq!(Actor::System.describe(Lang::En), "system");
    assert_eq!(
        Outcome::Denied {
            reason: "R3.6:not_approved".into()
        }
        .describe(Lang::Zh),
        "拒绝 (R3.6:not_approved)"
    );
    assert_eq!(HashAlgorithm::Sm3.describe(Lang::Zh), "SM3 国密杂凑算法");
}

// ---------------------------------------------------------------- parallel verification

/// A longer log than `drafts()`: `n` entries.
fn long_chain(algorithm: HashAlgorithm, n: usize) -> Vec<AuditEntry> {
    let mut head = ChainHead::genesis(algorithm);
    let base = drafts();
    (0..n)
        .map(|i| {
            let mut d = base[i % base.len()].clone();
            d.detail = format!("{{\"n\":{i}}}");
            head.append(d).unwrap()
        })
        .collect()
}

/// Verifies `entries` in pieces of `size` on 3 threads.
fn in_pieces(
    verifier: ChainVerifier,
    entries: &[AuditEntry],
    size: usize,
) -> Result<baomi_core::audit::VerifiedChain, ChainBreak> {
    let pieces: Vec<&[AuditEntry]> = entries.chunks(size).collect();
    verify_pieces_parallel(verifier, &pieces, 3)
}

/// The sequential answer for the same entries.
fn one_by_one(
    mut verifier: ChainVerifier,
    entries: &[AuditEntry],
) -> Result<baomi_core::audit::VerifiedChain, ChainBreak> {
    for e in entries {
        verifier.push(e)?;
    }
    verifier.finish()
}

#[test]
fn r13_2_parallel_verification_of_an_intact_log_gives_the_same_head() {
    for algorithm in HashAlgorithm::ALL {
        let entries = long_chain(algorithm, 100);
        let whole = verify(algorithm, &entries).unwrap();
        for size in [1, 7, 10, 33, 100, 1000] {
            let v = in_pieces(ChainVerifier::genesis(algorithm), &entries, size).unwrap();
            assert_eq!(v, whole, "pieces of {size}");
        }
        // No pieces at all: the genesis head.
        let v = verify_pieces_parallel(ChainVerifier::genesis(algorithm), &[], 2).unwrap();
        assert_eq!(v.count, 0);
        assert_eq!(v.head, ChainHead::genesis(algorithm));
    }
}

#[test]
fn r13_2_parallel_break_in_the_middle_of_a_piece_is_found_at_its_seq() {
    let mut entries = long_chain(HashAlgorithm::Sha256, 100);
    entries[44].detail = "forged".into();
    let b = broken(in_pieces(
        ChainVerifier::genesis(HashAlgorithm::Sha256),
        &entries,
        10,
    ));
    assert_eq!((b.index, b.seq), (44, 45));
    assert!(matches!(b.kind, BreakKind::HashMismatch { .. }), "{b}");
    // A second, later break does not hide the first.
    entries[87].detail = "forged too".into();
    let b = broken(in_pieces(
        ChainVerifier::genesis(HashAlgorithm::Sha256),
        &entries,
        10,
    ));
    assert_eq!(b.seq, 45);
}

#[test]
fn r13_2_parallel_break_at_a_piece_boundary_is_found_at_its_seq() {
    let alg = HashAlgorithm::Sm3;
    let orig = long_chain(alg, 100);
    // The first entry of a piece (seq 41 = index 40, pieces of 10) edited: only its own hash
    // shows it.
    let mut entries = orig.clone();
    entries[40].action = "matter.delete".into();
    let b = broken(in_pieces(ChainVerifier::genesis(alg), &entries, 10));
    assert_eq!((b.index, b.seq), (40, 41));
    assert!(matches!(b.kind, BreakKind::HashMismatch { .. }), "{b}");
    // The last entry of a piece edited and rehashed: the next piece's first link shows it.
    let mut entries = orig.clone();
    entries[39].detail = "rewritten".into();
    entries[39].hash = entries[39].compute_hash(alg);
    let b = broken(in_pieces(ChainVerifier::genesis(alg), &entries, 10));
    assert_eq!((b.index, b.seq), (40, 41));
    assert_eq!(
        b.kind,
        BreakKind::PrevHashMismatch {
            expected: entries[39].hash,
            found: entries[40].prev_hash
        }
    );
    // The first entry of a piece missing: a gap at the boundary.
    let mut entries = orig.clone();
    entries.remove(40);
    let b = broken(in_pieces(ChainVerifier::genesis(alg), &entries, 10));
    assert_eq!((b.index, b.seq), (40, 41));
    assert_eq!(b.kind, BreakKind::SequenceGap { found: 42 });
    // A whole piece missing.
    let mut entries = orig.clone();
    entries.drain(20..30);
    let b = broken(in_pieces(ChainVerifier::genesis(alg), &entries, 10));
    assert_eq!((b.index, b.seq), (20, 21));
    assert_eq!(b.kind, BreakKind::SequenceGap { found: 31 });
    // The very first entry missing: not genesis.
    let mut entries = orig.clone();
    entries.remove(0);
    let b = broken(in_pieces(ChainVerifier::genesis(alg), &entries, 10));
    assert_eq!((b.index, b.seq), (0, 1));
    assert!(
        matches!(b.kind, BreakKind::NotGenesis { found_seq: 2, .. }),
        "{b}"
    );
}

#[test]
fn r13_2_parallel_break_in_the_last_piece_and_truncation_are_found() {
    let alg = HashAlgorithm::Sha256;
    let orig = long_chain(alg, 95);
    let mut entries = orig.clone();
    entries[94].outcome = Outcome::Success;
    entries[94].detail.push('!');
    let b = broken(in_pieces(ChainVerifier::genesis(alg), &entries, 10));
    assert_eq!((b.index, b.seq), (94, 95));
    // A checkpoint at the end, the tail cut: truncation, exactly as one by one.
    let cp = Checkpoint {
        algorithm: alg,
        seq: 95,
        head_hash: orig[94].hash,
        at: ts("2026-04-01T00:00:00Z"),
    };
    let with_cp = || ChainVerifier::genesis(alg).with_checkpoint(cp).unwrap();
    let cut = &orig[..90];
    let b = broken(in_pieces(with_cp(), cut, 10));
    assert_eq!(b, broken(one_by_one(with_cp(), cut)));
    assert_eq!(
        b.kind,
        BreakKind::Truncated {
            last_seq: 90,
            checkpoint_seq: 95
        }
    );
    assert!(in_pieces(with_cp(), &orig, 10).is_ok());
}

#[test]
fn r13_2_parallel_incremental_verification_from_a_trusted_head() {
    let alg = HashAlgorithm::Sm3;
    let mut entries = long_chain(alg, 60);
    let trusted = ChainHead::of_entry(alg, &entries[29]);
    // Entries before the trusted head are not read: an edit there goes unseen…
    entries[10].detail = "forged before the checkpoint".into();
    let v = in_pieces(ChainVerifier::from_trusted(trusted), &entries[30..], 7).unwrap();
    assert_eq!((v.count, v.head.seq), (30, 60));
    // …and is found by the whole log.
    assert_eq!(
        broken(in_pieces(ChainVerifier::genesis(alg), &entries, 7)).seq,
        11
    );
    // An edit after it is found at its seq, its index counted from the trusted head.
    entries[45].detail = "forged after".into();
    let b = broken(in_pieces(
        ChainVerifier::from_trusted(trusted),
        &entries[30..],
        7,
    ));
    assert_eq!((b.index, b.seq), (15, 46));
    // The first entry after the trusted head must link to it.
    let other = ChainHead::of_entry(alg, &entries[28]);
    let b = broken(in_pieces(
        ChainVerifier::from_trusted(other),
        &entries[30..],
        7,
    ));
    assert_eq!((b.index, b.seq), (0, 30));
    assert_eq!(b.kind, BreakKind::SequenceGap { found: 31 });
}

// ---------------------------------------------------------------- properties

mod props {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

    fn code() -> impl Strategy<Value = String> {
        "[a-z][a-z0-9_]{0,7}(\\.[a-z][a-z0-9_:-]{0,7}){0,2}"
    }

    fn text() -> impl Strategy<Value = String> {
        "[\\u{4e00}-\\u{9fa5}a-zA-Z0-9 ,.:{}\"★]{0,24}"
    }

    fn actor() -> impl Strategy<Value = Actor> {
        prop_oneof![
            any::<i64>().prop_map(|i| Actor::Person(PersonId(i))),
            Just(Actor::System),
            Just(Actor::Unauthenticated),
        ]
    }

    fn outcome() -> impl Strategy<Value = Outcome> {
        prop_oneof![
            Just(Outcome::Success),
            code().prop_map(|reason| Outcome::Denied { reason }),
            code().prop_map(|error| Outcome::Failed { error }),
        ]
    }

    fn object() -> impl Strategy<Value = Option<ObjectRef>> {
        proptest::option::of(
            (code(), "[0-9a-zA-Z\\u{4e00}-\\u{9fa5}-]{1,20}")
                .prop_map(|(kind, id)| ObjectRef { kind, id }),
        )
    }

    fn draft() -> impl Strategy<Value = AuditDraft> {
        (
            0i64..4_102_444_800,
            0i32..1_000_000_000,
            actor(),
            code(),
            object(),
            outcome(),
            text(),
        )
            .prop_map(
                |(s, n, actor, action, object, outcome, detail)| AuditDraft {
                    at: Timestamp::new(s, n).unwrap(),
                    actor,
                    action,
                    object,
                    outcome,
                    detail,
                },
            )
    }

    /// Any entry at all, including values `append` would refuse and the whole timestamp range:
    /// the record codec must round-trip them all.
    fn any_entry() -> impl Strategy<Value = AuditEntry> {
        let time = (
            Timestamp::MIN.as_second()..=Timestamp::MAX.as_second(),
            -999_999_999i32..=999_999_999,
        )
            .prop_filter_map("in range", |(s, n)| Timestamp::new(s, n).ok());
        (
            any::<u64>(),
            time,
            actor(),
            any::<String>(),
            proptest::option::of((any::<String>(), any::<String>())),
            prop_oneof![
                Just(Outcome::Success),
                any::<String>().prop_map(|reason| Outcome::Denied { reason }),
                any::<String>().prop_map(|error| Outcome::Failed { error }),
            ],
            any::<String>(),
            any::<[u8; 32]>(),
            any::<[u8; 32]>(),
        )
            .prop_map(
                |(seq, at, actor, action, object, outcome, detail, prev, hash)| AuditEntry {
                    seq,
                    at,
                    actor,
                    action,
                    object: object.map(|(kind, id)| ObjectRef { kind, id }),
                    outcome,
                    detail,
                    prev_hash: Digest(prev),
                    hash: Digest(hash),
                },
            )
    }

    fn algorithm() -> impl Strategy<Value = HashAlgorithm> {
        prop_oneof![Just(HashAlgorithm::Sha256), Just(HashAlgorithm::Sm3)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn r13_2_prop_any_single_byte_flip_is_detected_at_that_entry(
            algorithm in algorithm(),
            drafts in proptest::collection::vec(draft(), 1..=30),
            which in any::<Index>(),
            position in any::<Index>(),
            xor in 1u8..=255,
        ) {
            let mut head = ChainHead::genesis(algorithm);
            let entries: Vec<AuditEntry> =
                drafts.into_iter().map(|d| head.append(d).unwrap()).collect();
            let mut records: Vec<Vec<u8>> =
                entries.iter().map(AuditEntry::to_record_bytes).collect();
            let v = verify_records(algorithm, records.iter().map(Vec::as_slice)).unwrap();
            prop_assert_eq!(v.head, head);

            let i = which.index(records.len());
            let p = position.index(records[i].len());
            records[i][p] ^= xor;

            let b = verify_records(algorithm, records.iter().map(Vec::as_slice)).unwrap_err();
            prop_assert_eq!(b.index, i as u64, "{}", b);
            prop_assert_eq!(b.seq, i as u64 + 1);
        }

        #[test]
        fn r13_2_prop_any_chain_verifies(
            algorithm in algorithm(),
            drafts in proptest::collection::vec(draft(), 0..=30),
        ) {
            let mut head = ChainHead::genesis(algorithm);
            let n = drafts.len() as u64;
            let entries: Vec<AuditEntry> =
                drafts.into_iter().map(|d| head.append(d).unwrap()).collect();
            let v = verify(algorithm, &entries).unwrap();
            prop_assert_eq!(v.count, n);
            prop_assert_eq!(v.head, head);
        }

        #[test]
        fn r13_2_prop_parallel_verification_equals_one_by_one(
            algorithm in algorithm(),
            drafts in proptest::collection::vec(draft(), 0..=40),
            damage in 0u8..7,
            which in any::<Index>(),
            other in any::<Index>(),
            size in 1usize..=12,
            threads in 1usize..=4,
            checkpoint_at in proptest::option::of(any::<Index>()),
            trusted_at in proptest::option::of(any::<Index>()),
        ) {
            let mut head = ChainHead::genesis(algorithm);
            let mut entries: Vec<AuditEntry> =
                drafts.into_iter().map(|d| head.append(d).unwrap()).collect();
            let n = entries.len();
            let checkpoint = checkpoint_at.filter(|_| n > 0).map(|i| {
                let e = &entries[i.index(n)];
                Checkpoint { algorithm, seq: e.seq, head_hash: e.hash, at: e.at }
            });
            let start = trusted_at.filter(|_| n > 0).map_or(0, |i| i.index(n));
            let trusted = if start == 0 {
                ChainHead::genesis(algorithm)
            } else {
                ChainHead::of_entry(algorithm, &entries[start - 1])
            };
            if n > 0 {
                let (i, j) = (which.index(n), other.index(n));
                match damage {
                    0 => {}
                    1 => entries[i].detail.push('x'),
                    2 => { entries.remove(i); }
                    3 => { let e = entries[i].clone(); entries.insert(i, e); }
                    4 => entries.swap(i, j),
                    5 => {
                        entries[i].detail.push('y');
                        entries[i].hash = entries[i].compute_hash(algorithm);
                    }
                    _ => entries.truncate(i),
                }
            }
            let tail = entries.get(start..).unwrap_or(&[]);
            let verifier = || {
                let v = ChainVerifier::from_trusted(trusted);
                match checkpoint {
                    Some(cp) => v.with_checkpoint(cp),
                    None => Ok(v),
                }
            };
            let expected = verifier().and_then(|v| one_by_one(v, tail));
            let pieces: Vec<&[AuditEntry]> = tail.chunks(size).collect();
            let got = verifier().and_then(|v| verify_pieces_parallel(v, &pieces, threads));
            prop_assert_eq!(got, expected);
        }

        #[test]
        fn r13_2_prop_record_bytes_round_trip(entry in any_entry()) {
            let bytes = entry.to_record_bytes();
            let back = AuditEntry::from_record_bytes(&bytes).unwrap();
            prop_assert_eq!(&back, &entry);
            prop_assert_eq!(back.to_record_bytes(), bytes);
        }
    }
}
