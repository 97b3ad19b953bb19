//! The matching engine: normalisation with offsets that map back exactly (R13.5), marks found
//! and parsed (R1.3), keywords with ripgrep's counting semantics, regex rules, keyword lists.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use baomi_core::marks::{Level, Mark, Term};
use baomi_scan::matcher::{
    parse_keyword_list, Hit, HitKind, Keyword, KeywordEngine, MatchOptions, Matcher, MatcherConfig,
    RegexRule, RuleError, Rules, Severity,
};
use baomi_scan::normalize::{normalize, traditional_to_simplified_char, Normalizer};
use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

fn kw(term: &str) -> Keyword {
    Keyword {
        term: term.to_owned(),
        severity: Severity::High,
        category: None,
    }
}

fn keywords(terms: &[&str]) -> Matcher {
    Matcher::new(
        Rules {
            marks: false,
            keywords: terms.iter().map(|t| kw(t)).collect(),
            regexes: vec![],
        },
        MatchOptions::default(),
    )
    .unwrap()
}

fn marks_only() -> Matcher {
    Matcher::new(
        Rules {
            marks: true,
            ..Rules::default()
        },
        MatchOptions::default(),
    )
    .unwrap()
}

fn find(m: &Matcher, text: &str) -> Vec<Hit> {
    let mut hits = Vec::new();
    m.find(text, &mut hits);
    hits
}

/// (original slice, kind) of every hit: what a report would show.
fn shown<'t>(text: &'t str, hits: &[Hit]) -> Vec<(&'t str, HitKind)> {
    hits.iter()
        .map(|h| (&text[h.start..h.end], h.kind.clone()))
        .collect()
}

fn mark_hits(text: &str) -> Vec<(&str, Level, Option<Mark>)> {
    find(&marks_only(), text)
        .into_iter()
        .map(|h| match h.kind {
            HitKind::Mark { level, mark } => (&text[h.start..h.end], level, mark),
            other => panic!("not a mark: {other:?}"),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Normalisation
// ---------------------------------------------------------------------------------------------

#[test]
fn r13_5_fullwidth_folds_to_halfwidth_and_offsets_map_back() {
    let text = "密级：ＴＯＰ　ＳＥＣＲＥＴ，１０年";
    let n = normalize(text);
    assert_eq!(n.as_str(), "密级:TOP SECRET,10年");
    // "SECRET" in the normalised text is the full-width ＳＥＣＲＥＴ in the original.
    let s = n.as_str().find("SECRET").unwrap();
    let (a, b) = n.original_range(s, s + "SECRET".len());
    assert_eq!(&text[a..b], "ＳＥＣＲＥＴ");
    let s = n.as_str().find("10").unwrap();
    let (a, b) = n.original_range(s, s + 2);
    assert_eq!(&text[a..b], "１０");
}

#[test]
fn r13_5_spaces_inside_cjk_words_are_removed_and_english_spaces_stay() {
    assert_eq!(normalize("机 密").as_str(), "机密");
    assert_eq!(normalize("机　密").as_str(), "机密");
    assert_eq!(normalize("机 \t　 密文件").as_str(), "机密文件");
    assert_eq!(normalize("TOP SECRET").as_str(), "TOP SECRET");
    assert_eq!(normalize("机密 file").as_str(), "机密 file");
    assert_eq!(normalize("file 机密").as_str(), "file 机密");
    // A zero-width space between CJK characters is an evasion too.
    assert_eq!(normalize("机\u{200B}密").as_str(), "机密");
    // Line breaks are never removed: lines matter for header marks and reports.
    assert_eq!(normalize("机\n密").as_str(), "机\n密");
    // An ideographic space elsewhere is a space.
    assert_eq!(normalize("A　B").as_str(), "A B");
}

#[test]
fn r13_5_removed_spaces_map_to_the_characters_around_them() {
    let text = "甲机 　密乙";
    let n = normalize(text);
    assert_eq!(n.as_str(), "甲机密乙");
    let s = n.as_str().find("机密").unwrap();
    let (a, b) = n.original_range(s, s + "机密".len());
    assert_eq!(&text[a..b], "机 　密");
    let s = n.as_str().find("密").unwrap();
    let (a, b) = n.original_range(s, s + "密".len());
    assert_eq!(&text[a..b], "密");
    let (a, b) = n.original_range(0, "甲机".len());
    assert_eq!(&text[a..b], "甲机");
    assert!(n.map().gap_at("甲机".len()));
    assert!(!n.map().gap_at("甲".len()));
}

#[test]
fn r13_5_text_that_needs_no_change_is_borrowed_with_an_identity_map() {
    let text = "关于印发《保密工作要点》的通知\nThe quick brown fox, “引号”、顿号。★\n";
    let n = normalize(text);
    assert!(n.map().is_identity());
    assert!(matches!(n.into_text(), std::borrow::Cow::Borrowed(_)));
}

#[test]
fn r13_5_map_is_sparse_one_breakpoint_per_run_not_per_byte() {
    // 10,000 full-width letters in a row are one run of 3→1 units.
    let text: String = "前言".to_owned() + &"Ａ".repeat(10_000) + "结语";
    let n = normalize(&text);
    assert_eq!(n.as_str().len(), "前言".len() + 10_000 + "结语".len());
    assert!(n.map().breakpoints() <= 3, "{}", n.map().breakpoints());
    let s = "前言".len() + 5_000;
    let (a, b) = n.original_range(s, s + 1);
    assert_eq!((a, b), ("前言".len() + 15_000, "前言".len() + 15_003));
}

#[test]
fn r13_5_compatibility_characters_follow_nfkc() {
    assert_eq!(normalize("①号文件").as_str(), "1号文件");
    assert_eq!(normalize("㈱").as_str(), "(株)");
    assert_eq!(normalize("ﬁle").as_str(), "file");
    assert_eq!(normalize("e\u{301}").as_str(), "\u{e9}");
    assert_eq!(normalize("ｶﾞ").as_str(), "ガ");
    assert_eq!(normalize("\u{F900}").as_str(), "\u{8C48}");
}

#[test]
fn r13_5_a_hostile_run_of_combining_marks_is_bounded() {
    let text = "a".to_owned() + &"\u{301}".repeat(100_000) + "机密";
    let n = normalize(&text);
    assert!(n.as_str().ends_with("机密"));
    let m = keywords(&["机密"]);
    let hits = find(&m, &text);
    assert_eq!(shown(&text, &hits).len(), 1);
    assert_eq!(&text[hits[0].start..hits[0].end], "机密");
}

#[test]
fn r13_5_traditional_to_simplified_is_optional_and_maps_back() {
    assert_eq!(traditional_to_simplified_char('機'), Some('机'));
    assert_eq!(traditional_to_simplified_char('絕'), Some('绝'));
    assert_eq!(traditional_to_simplified_char('机'), None);
    let t2s = Normalizer::new(true, true);
    let n = t2s.normalize("本件屬於絕密檔案");
    assert_eq!(n.as_str(), "本件属于绝密档案");
    let plain = Normalizer::new(true, false);
    assert_eq!(plain.normalize("絕密").as_str(), "絕密");

    let m = Matcher::new(
        Rules {
            marks: true,
            keywords: vec![kw("绝密档案")],
            regexes: vec![],
        },
        MatchOptions {
            normalize: true,
            traditional_to_simplified: true,
        },
    )
    .unwrap();
    let text = "本件屬於絕密檔案。機密★１０年";
    let hits = find(&m, text);
    let got = shown(text, &hits);
    assert_eq!(got[0], ("絕密檔案", HitKind::Keyword { index: 0 }));
    assert_eq!(
        got[1],
        (
            "機密★１０年",
            HitKind::Mark {
                level: Level::Confidential,
                mark: Some(Mark::parse("机密★10年").unwrap())
            }
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Keywords
// ---------------------------------------------------------------------------------------------

#[test]
fn r13_5_keyword_found_through_fullwidth_and_spaces_at_original_offsets() {
    let m = keywords(&["机密文件", "TOP SECRET"]);
    let text = "这是机 密文件，也是ＴＯＰ　ＳＥＣＲＥＴ。";
    let hits = find(&m, text);
    assert_eq!(
        shown(text, &hits),
        vec![
            ("机 密文件", HitKind::Keyword { index: 0 }),
            ("ＴＯＰ　ＳＥＣＲＥＴ", HitKind::Keyword { index: 1 }),
        ]
    );
}

#[test]
fn r13_5_keyword_terms_are_normalised_like_the_text() {
    // A list written with full-width letters and a space inside a word still matches.
    let m = keywords(&["核 心　技术", "ＡＢＣ"]);
    let text = "核心技术 and ABC";
    let got = shown(text, &find(&m, text));
    assert_eq!(
        got,
        vec![
            ("核心技术", HitKind::Keyword { index: 0 }),
            ("ABC", HitKind::Keyword { index: 1 }),
        ]
    );
}

#[test]
fn r13_5_keyword_severity_and_category_are_carried() {
    let list = parse_keyword_list(
        "核心技术\thigh\t科技\n内部资料\tlow\n# comment\n\nalpha\tmedium\t代号\n",
    )
    .unwrap();
    let m = Matcher::new(
        Rules {
            marks: false,
            keywords: list,
            regexes: vec![],
        },
        MatchOptions::default(),
    )
    .unwrap();
    let text = "alpha 计划涉及核心技术与内部资料";
    let hits = find(&m, text);
    let got: Vec<(&str, Severity, Option<&str>)> = hits
        .iter()
        .map(|h| match h.kind {
            HitKind::Keyword { index } => {
                let k = &m.rules().keywords[index];
                (&text[h.start..h.end], k.severity, k.category.as_deref())
            }
            _ => panic!(),
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("alpha", Severity::Medium, Some("代号")),
            ("核心技术", Severity::High, Some("科技")),
            ("内部资料", Severity::Low, None),
        ]
    );
}

#[test]
fn r13_5_keywords_are_leftmost_first_in_list_order_like_rg() {
    let m = keywords(&["abc", "abcd", "bc", "d"]);
    let text = "abcd bcd";
    let got = shown(text, &find(&m, text));
    assert_eq!(
        got,
        vec![
            ("abc", HitKind::Keyword { index: 0 }),
            ("d", HitKind::Keyword { index: 3 }),
            ("bc", HitKind::Keyword { index: 2 }),
            ("d", HitKind::Keyword { index: 3 }),
        ]
    );
    assert_eq!(m.count(text).keywords, 4);
}

#[test]
fn r13_5_prefix_filter_engine_handles_long_lists_with_short_terms() {
    // 200 terms (the prefix filter's territory) including one-, two- and three-byte ones.
    let mut terms: Vec<String> = (0..190).map(|i| format!("代号{i}工程")).collect();
    terms.extend(
        [
            "x", "ab", "机", "机密", "abc", "代号7", "s e", "Ω", "密★", "q",
        ]
        .map(String::from),
    );
    let rules = Rules {
        marks: false,
        keywords: terms.iter().map(|t| kw(t)).collect(),
        regexes: vec![],
    };
    let text = "代号7工程与代号77工程，机密★，x-ray abc s e ΩΩ q\n代号189工程代号7";
    let mut results = Vec::new();
    for engine in [KeywordEngine::AhoCorasick, KeywordEngine::PrefixFilter] {
        let m = Matcher::with_config(
            rules.clone(),
            MatchOptions::default(),
            MatcherConfig {
                engine,
                ..MatcherConfig::default()
            },
        )
        .unwrap();
        results.push(find(&m, text));
    }
    assert!(results[0] == results[1]);
    let got: Vec<&str> = results[1].iter().map(|h| &text[h.start..h.end]).collect();
    assert_eq!(
        got,
        vec![
            "代号7工程",
            "代号77工程",
            "机",
            "密★",
            "x",
            "ab",
            "s e",
            "Ω",
            "Ω",
            "q",
            "代号189工程",
            "代号7"
        ]
    );
}

#[test]
fn r13_5_ascii_case_insensitive_keywords_on_request() {
    let rules = Rules {
        marks: false,
        keywords: vec![kw("project x")],
        regexes: vec![],
    };
    let exact = Matcher::new(rules.clone(), MatchOptions::default()).unwrap();
    let ci = Matcher::with_config(
        rules,
        MatchOptions::default(),
        MatcherConfig {
            ascii_case_insensitive: true,
            ..MatcherConfig::default()
        },
    )
    .unwrap();
    let text = "PROJECT X and Project X";
    assert_eq!(exact.count(text).keywords, 0);
    assert_eq!(ci.count(text).keywords, 2);
}

#[test]
fn r13_5_large_text_in_parallel_chunks_gives_the_same_hits_as_one_pass() {
    let mut text = String::new();
    for i in 0..20_000 {
        match i % 7 {
            0 => text.push_str("第一段：机 密文件与ＴＯＰ　ＳＥＣＲＥＴ资料。\n"),
            1 => text.push_str("plain English line with secret word and abc\n"),
            2 => text.push_str("机密★10年\n"),
            3 => text.push_str("核心技术在这里，，，abcabc\n"),
            _ => text.push_str("普通的一行文字，没有任何敏感内容。\n"),
        }
    }
    let rules = Rules {
        marks: true,
        keywords: vec![kw("机密文件"), kw("TOP SECRET"), kw("abc"), kw("核心技术")],
        regexes: vec![RegexRule {
            name: "x".into(),
            pattern: "技术".into(),
            severity: Severity::Low,
        }],
    };
    let one = Matcher::with_config(
        rules.clone(),
        MatchOptions::default(),
        MatcherConfig {
            threads: 1,
            chunk_size: 1 << 30,
            ..MatcherConfig::default()
        },
    )
    .unwrap();
    let many = Matcher::with_config(
        rules,
        MatchOptions::default(),
        MatcherConfig {
            threads: 3,
            chunk_size: 64 << 10,
            ..MatcherConfig::default()
        },
    )
    .unwrap();
    assert!(text.len() > 8 * (64 << 10));
    let a = find(&one, &text);
    let b = find(&many, &text);
    assert_eq!(a.len(), b.len());
    assert!(a == b);
    assert_eq!(one.count(&text), many.count(&text));
    assert_eq!(many.count(&text).total(), b.len());
    assert_eq!(many.count_utf8(text.as_bytes()).unwrap(), many.count(&text));
    let mut c = Vec::new();
    many.find_utf8(text.as_bytes(), &mut c).unwrap();
    assert!(c == b);
}

#[test]
fn r13_5_a_line_longer_than_the_chunk_is_cut_with_overlap_and_no_hit_lost_or_doubled() {
    // One 3 MB line: the chunker must cut inside it.
    let unit = "前文机密文件abc ＡＢＣ xyz 普通文字";
    let text = unit.repeat(20_000);
    let rules = Rules {
        marks: false,
        keywords: vec![kw("机密文件"), kw("abc"), kw("ABC xyz")],
        regexes: vec![],
    };
    let one = Matcher::with_config(
        rules.clone(),
        MatchOptions::default(),
        MatcherConfig {
            threads: 1,
            chunk_size: 1 << 30,
            ..MatcherConfig::default()
        },
    )
    .unwrap();
    let many = Matcher::with_config(
        rules,
        MatchOptions::default(),
        MatcherConfig {
            threads: 2,
            chunk_size: 50_003,
            ..MatcherConfig::default()
        },
    )
    .unwrap();
    let a = find(&one, &text);
    let b = find(&many, &text);
    assert_eq!(a.len(), 3 * 20_000);
    assert!(a == b);
}

#[test]
fn r13_5_invalid_utf8_bytes_are_refused_not_guessed() {
    let m = keywords(&["abc"]);
    let mut bytes = b"abc abc\n".repeat(10);
    bytes.extend_from_slice(&[0xFF, 0xFE, b'a']);
    let err = m.count_utf8(&bytes).unwrap_err();
    assert_eq!(err.valid_up_to, 80);
    assert_eq!(m.count_utf8(b"abc\nabc").unwrap().keywords, 2);
}

// ---------------------------------------------------------------------------------------------
// Marks (R1.3)
// ---------------------------------------------------------------------------------------------

#[test]
fn r1_3_chinese_marks_are_found_and_parsed() {
    let text = "正文开始。\n本文件定为机密★10年，请妥善保管。\n绝密★启用前\n秘密★２０３１年６月３０日 以后公开\n";
    let got = mark_hits(text);
    assert_eq!(
        got,
        vec![
            (
                "机密★10年",
                Level::Confidential,
                Some(Mark::parse("机密★10年").unwrap())
            ),
            (
                "绝密★启用前",
                Level::TopSecret,
                Some(Mark::parse("绝密★启用前").unwrap())
            ),
            (
                "秘密★２０３１年６月３０日",
                Level::Secret,
                Some(Mark::parse("秘密★2031年6月30日").unwrap())
            ),
        ]
    );
    assert!(matches!(
        got[2].2.as_ref().unwrap().term(),
        Term::Until { .. }
    ));
}

#[test]
fn r1_3_hollow_star_spaces_and_a_bare_star_are_marks() {
    let text = "机 密 ☆ 5 年\n附件：绝密★\n";
    let got = mark_hits(text);
    assert_eq!(
        got,
        vec![
            (
                "机 密 ☆ 5 年",
                Level::Confidential,
                Some(Mark::parse("机密★5年").unwrap())
            ),
            (
                "绝密★",
                Level::TopSecret,
                Some(Mark::parse("绝密★").unwrap())
            ),
        ]
    );
    assert_eq!(got[1].2.as_ref().unwrap().term(), &Term::Default);
}

#[test]
fn r1_3_mark_followed_by_text_after_a_removed_space_ends_at_the_period() {
    let got = mark_hits("机密★10年 关于开展检查的通知");
    assert_eq!(
        got,
        vec![(
            "机密★10年",
            Level::Confidential,
            Some(Mark::parse("机密★10年").unwrap())
        )]
    );
    // A condition ends where the writer left a space, even though normalisation removed it.
    let got = mark_hits("绝密★启用前 关于开展检查的通知");
    assert_eq!(got[0].0, "绝密★启用前");
}

#[test]
fn r1_3_marks_beyond_the_statutory_period_are_reported_without_a_parsed_mark() {
    let got = mark_hits("秘密★35年\n绝密★长期\n");
    assert_eq!(
        got,
        vec![
            ("秘密★35年", Level::Secret, None),
            ("绝密★长期", Level::TopSecret, None)
        ]
    );
}

#[test]
fn r1_3_english_banners_are_found_and_parsed() {
    let text = "Header: TOP SECRET//30Y\nSECRET//2031-06-30\nCONFIDENTIAL//UNTIL project completion\nSECRET//NOFORN\n";
    let got = mark_hits(text);
    assert_eq!(
        got,
        vec![
            (
                "TOP SECRET//30Y",
                Level::TopSecret,
                Some(Mark::parse("TOP SECRET//30Y").unwrap())
            ),
            (
                "SECRET//2031-06-30",
                Level::Secret,
                Some(Mark::parse("SECRET//2031-06-30").unwrap())
            ),
            (
                "CONFIDENTIAL//UNTIL project completion",
                Level::Confidential,
                Some(Mark::parse("CONFIDENTIAL//UNTIL project completion").unwrap())
            ),
            ("SECRET//NOFORN", Level::Secret, None),
        ]
    );
}

#[test]
fn r1_3_english_banners_need_upper_case_and_word_boundaries() {
    assert!(mark_hits("a secret//30y note; TOPSECRET//30Y; XSECRET//5Y; SECRETS//5Y").is_empty());
    // A full-width banner is folded first.
    let got = mark_hits("ＴＯＰ　ＳＥＣＲＥＴ／／３０Ｙ");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, "ＴＯＰ　ＳＥＣＲＥＴ／／３０Ｙ");
    assert_eq!(got[0].2, Some(Mark::parse("TOP SECRET//30Y").unwrap()));
}

#[test]
fn r1_3_bare_levels_count_only_in_header_position() {
    let got = mark_hits("\n  机密  \n关于某事的报告\n正文提到机密信息与秘密事项。\n");
    assert_eq!(got, vec![("机密", Level::Confidential, None)]);

    let got = mark_hits("某某单位文件\n签发人：张三\nTOP SECRET\n正文\n");
    assert_eq!(
        got,
        vec![(
            "TOP SECRET",
            Level::TopSecret,
            Some(Mark::parse("TOP SECRET").unwrap())
        )]
    );

    // The fourth non-empty line is no longer the header.
    assert!(mark_hits("一\n二\n三\n绝密\n").is_empty());
    // A level inside prose, without ★, is no mark.
    assert!(mark_hits("该文件涉及机密信息，属于国家秘密。").is_empty());
    assert!(mark_hits("机密文件").is_empty());
}

#[test]
fn r1_3_internal_is_a_mark_only_in_header_position() {
    let got = mark_hits("内部\n关于公司内部管理的通知\n");
    assert_eq!(got, vec![("内部", Level::Internal, Some(Mark::internal()))]);
    assert!(mark_hits("关于公司内部管理的通知\n内部会议\n").is_empty());
    assert!(mark_hits("一\n二\n三\n内部\n").is_empty());
}

#[test]
fn r1_3_trade_secret_and_words_containing_a_level_are_not_state_secret_marks() {
    assert!(mark_hits("商业秘密★核心★长期").is_empty());
    assert!(mark_hits("保护商业秘密，注意秘密性与机密性。").is_empty());
    assert!(mark_hits("商业秘密\n").is_empty());
}

#[test]
fn r1_3_marks_keywords_and_regexes_overlapping_are_all_reported_in_order() {
    let m = Matcher::new(
        Rules {
            marks: true,
            keywords: vec![kw("机密")],
            regexes: vec![RegexRule {
                name: "years".into(),
                pattern: r"\d+年".into(),
                severity: Severity::Medium,
            }],
        },
        MatchOptions::default(),
    )
    .unwrap();
    let text = "见机密★１０年";
    let got = shown(text, &find(&m, text));
    assert_eq!(
        got,
        vec![
            ("机密", HitKind::Keyword { index: 0 }),
            (
                "机密★１０年",
                HitKind::Mark {
                    level: Level::Confidential,
                    mark: Some(Mark::parse("机密★10年").unwrap())
                }
            ),
            ("１０年", HitKind::Regex { index: 0 }),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// Regex rules and rule errors
// ---------------------------------------------------------------------------------------------

#[test]
fn r13_5_regex_rules_run_on_normalised_text_and_map_back() {
    let rules: Vec<RegexRule> = (0..5)
        .map(|i| RegexRule {
            name: format!("r{i}"),
            pattern: if i == 3 {
                r"\d{17}[\dX]".to_owned()
            } else {
                format!("never{i}")
            },
            severity: Severity::High,
        })
        .collect();
    let m = Matcher::new(
        Rules {
            marks: false,
            keywords: vec![],
            regexes: rules,
        },
        MatchOptions::default(),
    )
    .unwrap();
    let text = "身份证号：１１０１０１１９９００３０７１２３Ｘ，另 110101199003071234。";
    let got = shown(text, &find(&m, text));
    assert_eq!(
        got,
        vec![
            (
                "１１０１０１１９９００３０７１２３Ｘ",
                HitKind::Regex { index: 3 }
            ),
            ("110101199003071234", HitKind::Regex { index: 3 }),
        ]
    );
}

#[test]
fn r13_5_bad_regex_and_empty_rules_are_typed_errors() {
    let err = Matcher::new(
        Rules {
            marks: false,
            keywords: vec![],
            regexes: vec![RegexRule {
                name: "broken".into(),
                pattern: "(".into(),
                severity: Severity::Low,
            }],
        },
        MatchOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, RuleError::Regex { ref name, .. } if name == "broken"));
    assert_eq!(
        Matcher::new(Rules::default(), MatchOptions::default()).unwrap_err(),
        RuleError::Empty
    );
}

#[test]
fn r13_5_keyword_list_parsing_and_its_errors() {
    let list = parse_keyword_list(
        "\u{FEFF}# 单位关键词\r\n核心技术\tHIGH\t科技\r\n  alpha  \n代号\t中\n低密级\tlow\t\n",
    )
    .unwrap();
    assert_eq!(
        list,
        vec![
            Keyword {
                term: "核心技术".into(),
                severity: Severity::High,
                category: Some("科技".into())
            },
            Keyword {
                term: "alpha".into(),
                severity: Severity::High,
                category: None
            },
            Keyword {
                term: "代号".into(),
                severity: Severity::Medium,
                category: None
            },
            Keyword {
                term: "低密级".into(),
                severity: Severity::Low,
                category: None
            },
        ]
    );
    assert_eq!(
        parse_keyword_list("a\nb\tsevere\n").unwrap_err(),
        RuleError::KeywordLine {
            line: 2,
            reason: "unknown severity \"severe\" (use high, medium or low)".into()
        }
    );
    assert!(matches!(
        parse_keyword_list("a\n\thigh\n").unwrap_err(),
        RuleError::KeywordLine { line: 2, .. }
    ));
    assert!(matches!(
        parse_keyword_list("a\thigh\tcat\textra\n").unwrap_err(),
        RuleError::KeywordLine { line: 1, .. }
    ));
}

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const PIECES: &[&str] = &[
    "机", "密", "文", "件", "核", "心", "A", "b", "c", " ", "　", "Ａ", "ｂ", "，", ",", "\n",
    "機", "①", "1", "\t",
];

fn text_strategy(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..max).prop_map(|v| v.concat())
}

fn term_strategy() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 1..4)
        .prop_map(|v| v.concat())
        .prop_filter("a list term has no outer spaces or line breaks", |t| {
            t.trim() == t && !t.contains('\n') && !t.is_empty()
        })
}

/// Leftmost-first, non-overlapping, list order breaks ties: what `rg -F -f` counts.
fn naive_hits(text: &str, terms: &[String]) -> Vec<(usize, usize, usize)> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    'outer: while i < b.len() {
        for (k, t) in terms.iter().enumerate() {
            if b[i..].starts_with(t.as_bytes()) {
                out.push((i, i + t.len(), k));
                i += t.len();
                continue 'outer;
            }
        }
        i += 1;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn r13_5_every_hit_slice_normalises_to_its_term(
        text in text_strategy(60),
        terms in prop::collection::vec(term_strategy(), 1..6),
    ) {
        let m = keywords(&terms.iter().map(String::as_str).collect::<Vec<_>>());
        let norm = Normalizer::default();
        for h in find(&m, &text) {
            let HitKind::Keyword { index } = h.kind else { panic!() };
            prop_assert!(text.is_char_boundary(h.start) && text.is_char_boundary(h.end));
            let slice = &text[h.start..h.end];
            prop_assert_eq!(norm.normalize_term(slice), norm.normalize_term(&terms[index]));
        }
    }

    #[test]
    fn r13_5_without_normalisation_counts_equal_a_naive_leftmost_first_count(
        text in text_strategy(80),
        terms in prop::collection::vec(term_strategy(), 1..8),
    ) {
        for engine in [KeywordEngine::AhoCorasick, KeywordEngine::PrefixFilter] {
            let m = Matcher::with_config(
                Rules {
                    marks: false,
                    keywords: terms.iter().map(|t| kw(t)).collect(),
                    regexes: vec![],
                },
                MatchOptions { normalize: false, traditional_to_simplified: false },
                MatcherConfig { engine, ..MatcherConfig::default() },
            ).unwrap();
            let expect = naive_hits(&text, &terms);
            prop_assert_eq!(m.count(&text).keywords, expect.len());
            let got: Vec<(usize, usize, usize)> = find(&m, &text)
                .into_iter()
                .map(|h| match h.kind {
                    HitKind::Keyword { index } => (h.start, h.end, index),
                    _ => panic!(),
                })
                .collect();
            prop_assert_eq!(got, expect);
        }
    }

    #[test]
    fn r13_5_both_keyword_engines_agree_with_normalisation_on(
        text in text_strategy(120),
        terms in prop::collection::vec(term_strategy(), 1..40),
    ) {
        let build = |engine| Matcher::with_config(
            Rules {
                marks: false,
                keywords: terms.iter().map(|t| kw(t)).collect(),
                regexes: vec![],
            },
            MatchOptions::default(),
            MatcherConfig { engine, ..MatcherConfig::default() },
        ).unwrap();
        let a = find(&build(KeywordEngine::AhoCorasick), &text);
        let b = find(&build(KeywordEngine::PrefixFilter), &text);
        prop_assert!(a == b);
    }

    #[test]
    fn r13_5_normalisation_is_nfkc_where_no_spaces_are_involved(
        v in prop::collection::vec(prop::sample::select(&[
            "机", "A", "e", "\u{301}", "\u{327}", "ｶ", "ﾞ", "①", "㈱", "ﬁ", "가", "\u{11A8}",
            "\u{1100}", "\u{1161}", "…", "，", "Ａ", "\u{F900}", "Å", "ﾟ", "ハ", "\u{3099}", "。",
            "“", "™", "½", "\u{FE10}", "\u{2F00}",
        ][..]), 0..40),
    ) {
        let text = v.concat();
        let expect: String = text.nfkc().collect();
        let n = normalize(&text);
        prop_assert_eq!(n.as_str(), expect.as_str());
        // Every normalised character boundary maps to original character boundaries, in order.
        let mut last = 0;
        for (i, _) in n.as_str().char_indices() {
            let (a, _) = n.original_range(i, i);
            prop_assert!(text.is_char_boundary(a));
            prop_assert!(a >= last);
            last = a;
        }
    }
}
