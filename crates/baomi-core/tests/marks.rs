//! Marks, levels and periods: DOMAIN R1.1–R1.3 (and the R1.2 limits).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::marks::{
    add_years, LegalBasis, Level, Mark, MarkErrorKind, Term, TradeSecretLevel, TradeSecretPeriod,
};
use baomi_core::{Describe, Lang};
use jiff::civil::{date, Date};
use proptest::prelude::*;

fn parse(text: &str) -> Mark {
    Mark::parse(text).unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn error(text: &str) -> MarkErrorKind {
    match Mark::parse(text) {
        Ok(m) => panic!("{text:?} should be refused, parsed as {m:?}"),
        Err(e) => e.kind,
    }
}

#[test]
fn r1_1_levels_are_ordered_highest_first_and_named() {
    assert!(Level::TopSecret > Level::Confidential);
    assert!(Level::Confidential > Level::Secret);
    assert!(Level::Secret > Level::Internal);
    assert!(Level::Internal > Level::Unclassified);
    assert_eq!(
        Level::STATE_SECRETS.map(Level::zh),
        ["绝密", "机密", "秘密"]
    );
    assert_eq!(
        Level::STATE_SECRETS.map(Level::en),
        ["TOP SECRET", "CONFIDENTIAL", "SECRET"]
    );
    assert!(!Level::Internal.is_state_secret());
    for l in Level::ALL {
        assert_eq!(Level::from_code(l.code()), Some(l));
    }
}

#[test]
fn r1_1_trade_secret_levels_are_a_separate_type() {
    assert!(TradeSecretLevel::Core > TradeSecretLevel::Important);
    assert!(TradeSecretLevel::Important > TradeSecretLevel::Ordinary);
    assert_eq!(TradeSecretLevel::Core.zh(), "核心商密");
    assert_eq!(TradeSecretPeriod::LongTerm.zh(), "长期");
    // A trade-secret period is not a state-secret period.
    assert!(matches!(
        error("机密★长期"),
        MarkErrorKind::NotAStateSecretPeriod { .. }
    ));
    assert!(matches!(
        error("秘密★永久"),
        MarkErrorKind::NotAStateSecretPeriod { .. }
    ));
}

#[test]
fn r1_1_work_secret_is_marked_internal_without_star_or_period() {
    assert_eq!(parse("内部"), Mark::internal());
    assert_eq!(parse("INTERNAL"), Mark::internal());
    assert_eq!(Mark::internal().to_zh(), "内部");
    assert_eq!(Mark::internal().to_en(), "INTERNAL");
    assert_eq!(error("内部★5年"), MarkErrorKind::InternalTakesNoPeriod);
    assert_eq!(error("INTERNAL//5Y"), MarkErrorKind::InternalTakesNoPeriod);
    assert_eq!(
        Mark::new(Level::Internal, Term::Years { years: 1 })
            .unwrap_err()
            .kind,
        MarkErrorKind::InternalTakesNoPeriod
    );
    assert_eq!(
        Mark::new(Level::Unclassified, Term::Default)
            .unwrap_err()
            .kind,
        MarkErrorKind::UnclassifiedHasNoMark
    );
}

#[test]
fn r1_2_longest_periods() {
    assert_eq!(Level::TopSecret.longest_period_years(), Some(30));
    assert_eq!(Level::Confidential.longest_period_years(), Some(20));
    assert_eq!(Level::Secret.longest_period_years(), Some(10));
    assert_eq!(Level::Internal.longest_period_years(), None);
}

#[test]
fn r1_2_term_beyond_longest_is_refused_unless_overridden() {
    assert_eq!(parse("秘密★10年").term(), &Term::Years { years: 10 });
    let e = Mark::parse("秘密★11年").unwrap_err();
    assert_eq!(
        e.kind,
        MarkErrorKind::TermExceedsLongest {
            level: Level::Secret,
            years: 11,
            longest: 10
        }
    );
    assert_eq!(e.rule().0, "R1.2");
    assert_eq!(e.column, 4, "points at the period");
    assert!(matches!(
        error("CONFIDENTIAL//21Y"),
        MarkErrorKind::TermExceedsLongest { longest: 20, .. }
    ));
    let basis = LegalBasis::new("《某法》第十条").unwrap();
    let m = Mark::parse_with_override("秘密★15年", &basis).unwrap();
    assert_eq!(m.term(), &Term::Years { years: 15 });
    assert_eq!(
        Mark::new(Level::TopSecret, Term::Years { years: 31 })
            .unwrap_err()
            .kind,
        MarkErrorKind::TermExceedsLongest {
            level: Level::TopSecret,
            years: 31,
            longest: 30
        }
    );
    assert!(Mark::new_with_override(Level::TopSecret, Term::Years { years: 31 }, &basis).is_ok());
    // A blank basis is no basis.
    assert!(LegalBasis::new("  ").is_none());
    // Even an override cannot turn a typo into a period.
    assert!(matches!(
        Mark::parse_with_override("秘密★2031年", &basis)
            .unwrap_err()
            .kind,
        MarkErrorKind::YearsOutOfRange { years: 2031 }
    ));
}

#[test]
fn r1_2_date_period_is_checked_against_the_classification_day() {
    let m = parse("秘密★2031年6月30日");
    let basis = LegalBasis::new("special law").unwrap();
    assert!(m
        .check_against_classification_date(date(2021, 6, 30), None)
        .is_ok());
    assert!(matches!(
        m.check_against_classification_date(date(2021, 6, 29), None)
            .unwrap_err()
            .kind,
        MarkErrorKind::DateBeyondLongest { longest: 10, .. }
    ));
    assert!(m
        .check_against_classification_date(date(2021, 6, 29), Some(&basis))
        .is_ok());
    assert!(matches!(
        m.check_against_classification_date(date(2031, 6, 30), None)
            .unwrap_err()
            .kind,
        MarkErrorKind::EndsBeforeClassification { .. }
    ));
}

#[test]
fn r1_3_chinese_forms_parse() {
    let m = parse("机密★10年");
    assert_eq!(m.level(), Level::Confidential);
    assert_eq!(m.term(), &Term::Years { years: 10 });

    let m = parse("秘密★2031年6月30日");
    assert_eq!(m.level(), Level::Secret);
    assert_eq!(
        m.term(),
        &Term::Until {
            date: date(2031, 6, 30)
        }
    );

    let m = parse("机密★工程竣工后");
    assert_eq!(
        m.term(),
        &Term::Condition {
            text: "工程竣工后".into()
        }
    );
    assert_eq!(m.to_zh(), "机密★工程竣工后");

    let m = parse("绝密★");
    assert_eq!(m.level(), Level::TopSecret);
    assert_eq!(m.term(), &Term::Default);
}

#[test]
fn r1_3_tolerates_full_width_digits_hollow_star_and_spaces() {
    assert_eq!(parse("  机密★１０年 "), parse("机密★10年"));
    assert_eq!(parse("机密☆10年"), parse("机密★10年"));
    assert_eq!(
        parse("\u{3000}秘密 ★ ２０３１年０６月３０日\u{3000}"),
        parse("秘密★2031年6月30日")
    );
    assert_eq!(parse("机密 ★ 10 年"), parse("机密★10年"));
    assert_eq!(parse("绝密☆ "), parse("绝密★"));
    assert_eq!(parse("ｔｏｐ ｓｅｃｒｅｔ／／３０Ｙ"), parse("绝密★30年"));
}

#[test]
fn r1_3_english_forms_parse() {
    assert_eq!(parse("TOP SECRET//30Y"), parse("绝密★30年"));
    assert_eq!(parse("SECRET//2031-06-30"), parse("秘密★2031年6月30日"));
    assert_eq!(
        parse("CONFIDENTIAL//UNTIL 工程竣工后"),
        parse("机密★工程竣工后")
    );
    assert_eq!(parse("TOP SECRET"), parse("绝密★"));
    assert_eq!(parse("top  secret // 30 years"), parse("绝密★30年"));
    assert_eq!(parse("Secret//5y"), parse("秘密★5年"));
    let m = parse("CONFIDENTIAL//UNTIL the project is completed");
    assert_eq!(m.to_en(), "CONFIDENTIAL//UNTIL the project is completed");
    assert_eq!(m.to_zh(), "机密★the project is completed");
}

#[test]
fn r1_3_canonical_printing() {
    let cases = [
        ("机密★10年", "CONFIDENTIAL//10Y"),
        ("秘密★2031年6月30日", "SECRET//2031-06-30"),
        ("机密★工程竣工后", "CONFIDENTIAL//UNTIL 工程竣工后"),
        ("绝密★", "TOP SECRET"),
        ("内部", "INTERNAL"),
    ];
    for (zh, en) in cases {
        let from_zh = parse(zh);
        let from_en = parse(en);
        assert_eq!(from_zh, from_en, "{zh} and {en} are the same mark");
        assert_eq!(from_zh.to_zh(), zh);
        assert_eq!(from_zh.to_en(), en);
    }
    // Non-canonical input prints canonically.
    assert_eq!(parse("秘密★2031年06月03日").to_zh(), "秘密★2031年6月3日");
    assert_eq!(parse("秘密★2031年06月03日").to_en(), "SECRET//2031-06-03");
}

#[test]
fn r1_3_rejects_anything_else_with_a_clear_error() {
    assert_eq!(error(""), MarkErrorKind::Empty);
    assert_eq!(error("   "), MarkErrorKind::Empty);
    assert!(matches!(
        error("保密★10年"),
        MarkErrorKind::UnknownLevel { .. }
    ));
    assert!(matches!(
        error("机密10年"),
        MarkErrorKind::MissingStar { .. }
    ));
    assert!(matches!(error("机密"), MarkErrorKind::MissingStar { .. }));
    assert!(matches!(
        error("机密★10"),
        MarkErrorKind::MissingYearUnit { .. }
    ));
    assert!(matches!(
        error("机密★10月"),
        MarkErrorKind::MissingYearUnit { .. }
    ));
    assert_eq!(error("机密★0年"), MarkErrorKind::ZeroYears);
    assert!(matches!(
        error("秘密★2031年2月30日"),
        MarkErrorKind::InvalidDate { .. }
    ));
    assert!(matches!(
        error("秘密★2031年13月1日"),
        MarkErrorKind::InvalidDate { .. }
    ));
    assert!(matches!(
        error("秘密★2031年6月"),
        MarkErrorKind::InvalidDate { .. }
    ));
    assert!(matches!(
        error("秘密★2031年6月30日以后"),
        MarkErrorKind::TrailingText { .. }
    ));
    assert!(matches!(
        error("秘密★★10年"),
        MarkErrorKind::InvalidCharacter { found: '★' }
    ));
    assert!(matches!(
        error("SECRET 10Y"),
        MarkErrorKind::MissingSlashes { .. }
    ));
    assert_eq!(error("SECRET//"), MarkErrorKind::EmptyCondition);
    assert_eq!(error("SECRET//UNTIL  "), MarkErrorKind::EmptyCondition);
    assert!(matches!(
        error("SECRET//2031-6-310"),
        MarkErrorKind::InvalidDate { .. }
    ));
    assert!(matches!(
        error("SECRET//10Y extra"),
        MarkErrorKind::TrailingText { .. }
    ));
    assert!(matches!(
        error("SECRET//soon"),
        MarkErrorKind::MissingYearUnit { .. }
    ));
    assert!(matches!(
        error("机密★99999999999999999999999年"),
        MarkErrorKind::YearsOutOfRange { .. }
    ));
}

#[test]
fn r1_3_period_in_chinese_numerals_is_refused_not_read_as_a_condition() {
    for text in [
        "机密★十年",
        "秘密★二〇三一年六月三十日",
        "秘密★二零三一年六月三十日",
        "绝密★三十年",
        "机密★两年",
        "机密★ 十 年 ",
        "CONFIDENTIAL//UNTIL 十年",
        "机密★十年解密",
    ] {
        assert!(
            matches!(error(text), MarkErrorKind::ChineseNumeralPeriod { .. }),
            "{text}"
        );
    }
    let e = Mark::parse("机密★十年").unwrap_err();
    assert_eq!(
        e.kind,
        MarkErrorKind::ChineseNumeralPeriod {
            found: "十年".into()
        }
    );
    assert_eq!(e.rule().0, "R1.3");
    assert_eq!(e.column, 4, "points at the period");
    assert!(e.to_string().contains("10年"));
    assert!(e.describe(Lang::Zh).contains("阿拉伯数字"));
    assert!(e.describe(Lang::En).contains("digits"));
    // A condition that merely contains numerals, or numerals without a unit, stays a condition.
    assert_eq!(
        parse("机密★三期工程竣工后").term(),
        &Term::Condition {
            text: "三期工程竣工后".into()
        }
    );
    assert_eq!(
        parse("机密★十年后经批准解密").term(),
        &Term::Condition {
            text: "十年后经批准解密".into()
        }
    );
    // Digits are the way to write it.
    assert_eq!(parse("机密★10年").term(), &Term::Years { years: 10 });
}

#[test]
fn r1_3_errors_say_where_in_both_languages() {
    let e = Mark::parse("机密★10月").unwrap_err();
    assert_eq!(e.column, 6, "the character after the number");
    assert_eq!(
        e.to_string(),
        "invalid mark at character 6: expected a unit after the number (年 or Y), found \"月\""
    );
    assert!(e.describe(Lang::Zh).contains("第 6 个字符"));
    assert!(e.describe(Lang::Zh).contains("年"));
    assert_eq!(e.rule().0, "R1.3");
    let e = Mark::parse("  保密").unwrap_err();
    assert_eq!(e.column, 3);
}

#[test]
fn r1_2_declassification_dates() {
    let on = date(2024, 2, 29);
    assert_eq!(
        parse("秘密★").declassifies_on(on),
        Some(date(2034, 2, 28)),
        "29 February falls back to 28 February"
    );
    assert_eq!(parse("绝密★").declassifies_on(on), Some(date(2054, 2, 28)));
    assert_eq!(
        parse("机密★5年").declassifies_on(on),
        Some(date(2029, 2, 28))
    );
    assert_eq!(
        parse("机密★2030年1月1日").declassifies_on(on),
        Some(date(2030, 1, 1))
    );
    assert_eq!(parse("机密★工程竣工后").declassifies_on(on), None);
    assert_eq!(Mark::internal().declassifies_on(on), None);
    assert_eq!(add_years(date(9999, 1, 1), 10), Date::MAX);
}

#[test]
fn r1_3_json_shape() {
    let m = parse("秘密★2031年6月30日");
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"level": "secret", "term": {"kind": "until", "date": "2031-06-30"}})
    );
    let back: Mark = serde_json::from_value(json).unwrap();
    assert_eq!(back, m);
    // Deserialising checks the form too.
    let bad = serde_json::json!({"level": "internal", "term": {"kind": "years", "years": 3}});
    assert!(serde_json::from_value::<Mark>(bad).is_err());
}

fn level_strategy() -> impl Strategy<Value = Level> {
    prop_oneof![
        Just(Level::TopSecret),
        Just(Level::Confidential),
        Just(Level::Secret),
        Just(Level::Internal),
    ]
}

fn term_strategy(level: Level) -> BoxedStrategy<Term> {
    if level == Level::Internal {
        return Just(Term::Default).boxed();
    }
    let longest = level.longest_period_years().unwrap_or(10);
    prop_oneof![
        (1..=longest).prop_map(|years| Term::Years { years }),
        (1000i16..=9999, 1i8..=12, 1i8..=28).prop_map(|(y, m, d)| Term::Until {
            date: date(y, m, d)
        }),
        // Conditions: a word first, then anything printable, Chinese included.
        ("[a-zA-Z\u{4e00}-\u{9fa5}][a-zA-Z0-9 \u{4e00}-\u{9fa5}，。/:-]{0,30}")
            .prop_filter("not a trade-secret period", |t| {
                let b = t.trim().trim_end_matches("解密");
                !["长期", "永久", "短期", "长久"].contains(&b)
            })
            .prop_filter("not a period in Chinese numerals", |t| {
                let b = t.trim().trim_end_matches("解密");
                let numeral = |c: char| "〇零一二两三四五六七八九十百千".contains(c);
                let unit = |c: char| "年月日".contains(c);
                !(b.chars().all(|c| c == ' ' || numeral(c) || unit(c))
                    && b.chars().any(numeral)
                    && b.chars().any(unit))
            })
            .prop_map(|text| Term::Condition { text }),
        Just(Term::Default),
    ]
    .boxed()
}

fn mark_strategy() -> impl Strategy<Value = Mark> {
    level_strategy()
        .prop_flat_map(|l| (Just(l), term_strategy(l)))
        .prop_map(|(l, t)| Mark::new(l, t).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// R1.3: printing and parsing round-trip exactly, in Chinese and in English.
    #[test]
    fn r1_3_marks_round_trip(mark in mark_strategy()) {
        let zh = mark.to_zh();
        let en = mark.to_en();
        prop_assert_eq!(Mark::parse(&zh), Ok(mark.clone()), "zh {}", zh);
        prop_assert_eq!(Mark::parse(&en), Ok(mark.clone()), "en {}", en);
        prop_assert_eq!(Mark::parse(&zh).unwrap().to_zh(), zh);
        prop_assert_eq!(Mark::parse(&en).unwrap().to_en(), en);
    }

    /// R1.3: the parser never panics and either refuses or yields a mark that round-trips.
    #[test]
    fn r1_3_any_text_is_refused_or_round_trips(text in "\\PC{0,40}") {
        if let Ok(mark) = Mark::parse(&text) {
            prop_assert_eq!(Mark::parse(&mark.to_zh()), Ok(mark.clone()));
            prop_assert_eq!(Mark::parse(&mark.to_en()), Ok(mark));
        }
    }
}
