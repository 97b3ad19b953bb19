//! The text generator shared by the benchmark examples (gen_corpus, gen_office): a
//! deterministic stream of mixed Chinese/English lines (some full-width, some spaced out, a few
//! classification marks) and the keyword list whose planted terms occur in them. Kept in one
//! place so that the plain-text corpus and the office folder draw from the same words and the
//! same `terms.txt`.
#![allow(dead_code)]

use std::collections::HashSet;

/// 500 frequent Chinese characters (simplified).
pub const HANZI: &str = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞";

/// Words of a confidentiality office's documents.
pub const DOMAIN: &[&str] = &[
    "保密工作",
    "涉密人员",
    "国家秘密",
    "工作秘密",
    "涉密载体",
    "定密",
    "解密",
    "保密期限",
    "知悉范围",
    "保密检查",
    "网络安全",
    "信息系统",
    "计算机",
    "移动存储介质",
    "会议纪要",
    "通知",
    "单位",
    "部门",
    "领导小组",
    "责任制",
    "培训",
    "审批",
    "登记",
    "销毁",
    "复制",
    "传递",
    "保管",
    "核心技术",
    "科研项目",
    "试验数据",
    "内部资料",
    "专项检查",
    "整改",
];

/// English words, frequent first.
pub const ENGLISH: &[&str] = &[
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "it",
    "as",
    "was",
    "with",
    "be",
    "by",
    "on",
    "not",
    "he",
    "this",
    "are",
    "or",
    "his",
    "from",
    "at",
    "which",
    "but",
    "have",
    "an",
    "had",
    "they",
    "you",
    "were",
    "their",
    "one",
    "all",
    "we",
    "can",
    "her",
    "has",
    "there",
    "been",
    "if",
    "more",
    "when",
    "will",
    "would",
    "who",
    "so",
    "no",
    "report",
    "system",
    "data",
    "security",
    "network",
    "project",
    "office",
    "review",
    "document",
    "meeting",
    "policy",
    "access",
    "control",
    "training",
    "storage",
    "device",
    "record",
    "approval",
    "classified",
    "material",
    "inspection",
    "program",
    "analysis",
    "budget",
    "contract",
    "supplier",
    "engineering",
    "design",
    "prototype",
    "test",
    "result",
    "schedule",
    "committee",
    "department",
    "minutes",
    "draft",
    "version",
    "annex",
    "appendix",
    "figure",
    "table",
    "section",
    "chapter",
    "summary",
    "background",
    "objective",
    "method",
    "finding",
    "recommendation",
    "conclusion",
    "reference",
    "quarterly",
    "annual",
    "internal",
    "external",
    "partner",
    "customer",
    "vendor",
    "laboratory",
    "facility",
    "satellite",
    "antenna",
    "frequency",
    "payload",
    "orbit",
    "launch",
    "sensor",
    "encryption",
    "protocol",
    "firmware",
    "hardware",
    "software",
    "database",
    "server",
    "cluster",
    "backup",
    "archive",
    "audit",
    "compliance",
    "incident",
    "response",
    "threat",
    "vulnerability",
    "patch",
    "upgrade",
];

pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.next() % 1000 < per_mille
    }
    /// Roughly Zipf: small indexes much more often.
    pub fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) - 1.0) as usize % n.max(1)
    }
}

pub struct Vocab {
    pub zh_words: Vec<String>,
    pub planted: Vec<String>,
}

pub fn zh_word(rng: &mut Rng, chars: &[char], len: usize) -> String {
    (0..len).map(|_| chars[rng.zipf(chars.len())]).collect()
}

pub fn fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
            ' ' => '\u{3000}',
            _ => c,
        })
        .collect()
}

pub fn sentence_zh(rng: &mut Rng, v: &Vocab, out: &mut String) {
    let words = 4 + rng.below(14);
    for i in 0..words {
        if rng.chance(1) && !v.planted.is_empty() {
            out.push_str(&v.planted[rng.below(v.planted.len())]);
        } else if rng.chance(60) {
            out.push_str(DOMAIN[rng.below(DOMAIN.len())]);
        } else {
            out.push_str(&v.zh_words[rng.zipf(v.zh_words.len())]);
        }
        if i + 1 < words && rng.chance(120) {
            out.push('，');
        }
    }
    out.push(if rng.chance(900) { '。' } else { '；' });
}

pub fn sentence_en(rng: &mut Rng, v: &Vocab, out: &mut String) {
    let words = 6 + rng.below(14);
    for i in 0..words {
        if i > 0 {
            out.push(' ');
        }
        if rng.chance(1) && !v.planted.is_empty() {
            out.push_str(&v.planted[rng.below(v.planted.len())]);
        } else {
            let w = ENGLISH[rng.zipf(ENGLISH.len())];
            if i == 0 {
                let mut cs = w.chars();
                if let Some(f) = cs.next() {
                    out.extend(f.to_uppercase());
                    out.push_str(cs.as_str());
                }
            } else {
                out.push_str(w);
            }
        }
    }
    out.push_str(". ");
}

pub fn line(rng: &mut Rng, v: &Vocab, out: &mut String) {
    let r = rng.below(1000);
    if r < 2 {
        let marks = [
            "机密★10年",
            "绝密★启用前",
            "秘密★5年",
            "机密★2030年12月31日",
            "TOP SECRET//30Y",
            "SECRET//2031-06-30",
        ];
        out.push_str(marks[rng.below(marks.len())]);
        out.push('\n');
        return;
    }
    if r < 20 {
        // Full-width codes and ideographic spaces, as typed in Chinese documents.
        out.push_str("编号：");
        out.push_str(&fullwidth(&format!(
            "{}-{} {}",
            ENGLISH[rng.below(ENGLISH.len())].to_uppercase(),
            rng.below(10_000),
            ENGLISH[rng.below(ENGLISH.len())]
        )));
        out.push('\u{3000}');
        sentence_zh(rng, v, out);
        out.push('\n');
        return;
    }
    if r < 30 {
        // A word spaced out (justified text, or an evasion).
        let w = &v.zh_words[rng.below(v.zh_words.len())];
        let spaced: Vec<String> = w.chars().map(String::from).collect();
        out.push_str("关于");
        out.push_str(&spaced.join(" "));
        out.push_str("的说明");
        sentence_zh(rng, v, out);
        out.push('\n');
        return;
    }
    let kind = rng.below(10);
    let sentences = 1 + rng.below(4);
    for _ in 0..sentences {
        match kind {
            0..=4 => sentence_zh(rng, v, out),
            5..=7 => sentence_en(rng, v, out),
            _ => {
                sentence_zh(rng, v, out);
                sentence_en(rng, v, out);
            }
        }
    }
    out.push('\n');
}

/// Builds the vocabulary and the keyword list from `seed`, and returns the generator in the
/// state the text generation starts from: both examples call it first with the same seed and
/// term count, so the terms planted in the office documents are those of `terms.txt`.
pub fn build(seed: u64, terms_n: usize) -> (Rng, Vocab, Vec<String>) {
    let mut rng = Rng(seed);
    let chars: Vec<char> = HANZI.chars().collect();
    let zh_words: Vec<String> = (0..3000)
        .map(|_| {
            let len = 2 + rng.below(3);
            zh_word(&mut rng, &chars, len)
        })
        .collect();

    // The keyword list, built to look like a unit's list and to hit about as rarely: a tenth
    // are code names planted in the text (about one word in a thousand), the rest are Chinese
    // words of less frequent characters, English phrases of technical words, model codes and
    // a few single technical words, which occur only now and then by chance.
    let mut terms: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let mut planted = Vec::new();
    let mut push = |t: String, terms: &mut Vec<String>| {
        let t = t.trim().to_owned();
        if !t.is_empty() && !t.starts_with('#') && !t.contains('\t') && seen.insert(t.clone()) {
            terms.push(t);
            true
        } else {
            false
        }
    };
    let mid = |rng: &mut Rng, len: usize| -> String {
        (0..len)
            .map(|_| chars[100 + rng.below(chars.len() - 100)])
            .collect()
    };
    let tech = |rng: &mut Rng| ENGLISH[50 + rng.below(ENGLISH.len() - 50)];
    while terms.len() < terms_n {
        let t = match terms.len() % 20 {
            0 | 1 => {
                let t = format!(
                    "{}{}",
                    mid(&mut rng, 2),
                    ["计划", "工程", "项目", "系统", "型号"][rng.below(5)]
                );
                if push(t.clone(), &mut terms) {
                    planted.push(t);
                }
                continue;
            }
            2..=7 => {
                let len = 3 + rng.below(2);
                mid(&mut rng, len)
            }
            8..=11 => mid(&mut rng, 2),
            12..=15 => format!("{} {}", tech(&mut rng), tech(&mut rng)),
            16 => format!("{} {} {}", tech(&mut rng), tech(&mut rng), tech(&mut rng)),
            17 => format!("{}-{}", tech(&mut rng).to_uppercase(), rng.below(100)),
            18 => format!("{}{}型", mid(&mut rng, 2), rng.below(100)),
            _ if terms.len() % 1000 == 19 => tech(&mut rng).to_owned(),
            _ => format!("{}{}", mid(&mut rng, 2), DOMAIN[rng.below(DOMAIN.len())]),
        };
        push(t, &mut terms);
    }
    let vocab = Vocab { zh_words, planted };
    (rng, vocab, terms)
}
