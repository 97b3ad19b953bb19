//! Issue 19, invariant 2 — the SQL narrows, the core decides: a list's SQL pre-filter (the read
//! index, `ledger::read_index` and `ledger::reader_of`) never omits a record the core's access
//! decision would let the reader read (R1.7 knowledge scope, R2.1 category, R2.4 a category
//! that ended, R1.9 declassified records open to all, R1.8 carriers following their matter's
//! scope), on both backends. Random organisations, people, scopes and records from fixed seeds;
//! and the pre-filter is tight: a candidate the core refuses is only ever one whose reader is
//! named in a group they no longer belong to (the one fact SQL does not check).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use baomi_core::access::{
    decide, Action, KnowledgeScope, Membership, Object, RoleSet, ScopeGroup, ScopeHolder, Subject,
};
use baomi_core::ids::{CarrierId, DepartmentId, MatterId, PersonId, UnitId};
use baomi_core::marks::Level;
use baomi_core::personnel::Category;
use baomi_server::ledger::{read_index, reader_of};
use baomi_store::{RecordFilter, RecordKind, RecordMeta, RecordOrder, Store, Window};
use common::{Backend, TestDb};
use jiff::civil::{date, Date};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet};

/// A small deterministic generator (xorshift64*), so that a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

const TODAY: Date = date(2026, 6, 1);
const PEOPLE: i64 = 14;
const UNITS: i64 = 2;
const DEPARTMENTS: i64 = 5;

fn unit_of_department(d: i64) -> i64 {
    d % UNITS + 1
}

fn random_day(rng: &mut Rng) -> Date {
    // Within a year either side of today.
    TODAY
        .checked_add(jiff::Span::new().days(i64::try_from(rng.below(730)).unwrap() - 365))
        .unwrap()
}

fn random_people(rng: &mut Rng) -> Vec<Subject> {
    (1..=PEOPLE)
        .map(|p| {
            let unit = i64::try_from(rng.below(2)).unwrap() + 1;
            let departments: BTreeSet<DepartmentId> = (1..=DEPARTMENTS)
                .filter(|d| unit_of_department(*d) == unit && rng.chance(50))
                .map(DepartmentId)
                .collect();
            let category = match rng.below(4) {
                0 => None,
                1 => Some(Category::General),
                2 => Some(Category::Important),
                _ => Some(Category::Core),
            };
            Subject {
                membership: Membership {
                    person: PersonId(p),
                    unit: UnitId(unit),
                    departments,
                },
                category,
                category_ends: rng.chance(25).then(|| random_day(rng)),
                roles: RoleSet::default(),
            }
        })
        .collect()
}

fn random_scope(rng: &mut Rng) -> KnowledgeScope {
    let mut persons = BTreeSet::new();
    for _ in 0..rng.below(4) {
        persons.insert(PersonId(
            i64::try_from(rng.below(PEOPLE as u64)).unwrap() + 1,
        ));
    }
    let groups = (0..rng.below(3))
        .map(|_| {
            let holder = if rng.chance(40) {
                ScopeHolder::Unit(UnitId(i64::try_from(rng.below(2)).unwrap() + 1))
            } else {
                ScopeHolder::Department(DepartmentId(
                    i64::try_from(rng.below(DEPARTMENTS as u64)).unwrap() + 1,
                ))
            };
            // Persons drawn from everyone: some of them do not (or no longer) belong to it.
            let persons = (0..=rng.below(3))
                .map(|_| PersonId(i64::try_from(rng.below(PEOPLE as u64)).unwrap() + 1))
                .collect();
            ScopeGroup { holder, persons }
        })
        .collect();
    KnowledgeScope { persons, groups }
}

fn random_level(rng: &mut Rng) -> Level {
    Level::ALL[usize::try_from(rng.below(Level::ALL.len() as u64)).unwrap()]
}

fn rank(level: Level) -> u8 {
    baomi_server::ledger::level_rank(level)
}

/// A record as the core sees it (its access object) and as the store indexes it.
struct Generated {
    kind: RecordKind,
    id: i64,
    object: Object,
    meta: RecordMeta,
}

fn random_records(rng: &mut Rng) -> Vec<Generated> {
    let mut out = Vec::new();
    let mut scopes: BTreeMap<i64, KnowledgeScope> = BTreeMap::new();
    for id in 1..=120 {
        let level = random_level(rng);
        let scope = random_scope(rng);
        // Open from a day in the past (declassified), in the future (a period still running)
        // or never foreseen.
        let open_from = match rng.below(3) {
            0 => None,
            _ => Some(random_day(rng)),
        };
        let mut object = Object::matter(MatterId(id), level, scope.clone());
        if open_from.is_some_and(|d| d <= TODAY) {
            object = object.declassified();
        }
        let read = read_index((RecordKind::Matter, id), &scope, level, open_from);
        scopes.insert(id, scope);
        out.push(Generated {
            kind: RecordKind::Matter,
            id,
            object,
            meta: RecordMeta {
                about: None,
                parties: None,
                level: Some(rank(level)),
                status: "x".to_owned(),
                title: format!("m{id}"),
                remind_on: None,
                read: Some(read),
                ..RecordMeta::default()
            },
        });
    }
    for id in 1..=200 {
        let level = random_level(rng);
        let own = random_scope(rng);
        // R1.8: a carrier of a matter follows the matter's scope; others have their own.
        let matter = rng
            .chance(70)
            .then(|| i64::try_from(rng.below(120)).unwrap() + 1);
        let governing = match matter {
            Some(m) => scopes[&m].clone(),
            None => own.clone(),
        };
        let open = rng.chance(20);
        let mut object = Object::carrier(CarrierId(id), level, governing);
        if open {
            object = object.declassified();
        }
        let scope_of = matter.map_or((RecordKind::Carrier, id), |m| (RecordKind::Matter, m));
        let read = read_index(scope_of, &own, level, open.then(baomi_store::always_open));
        out.push(Generated {
            kind: RecordKind::Carrier,
            id,
            object,
            meta: RecordMeta {
                about: None,
                parties: None,
                level: Some(rank(level)),
                status: "x".to_owned(),
                title: format!("c{id}"),
                remind_on: None,
                read: Some(read),
                ..RecordMeta::default()
            },
        });
    }
    out
}

async fn candidates(store: &Store, kind: RecordKind, subject: &Subject) -> BTreeSet<i64> {
    let reader = reader_of(subject, TODAY);
    let mut tx = store.read().await.unwrap();
    let rows = tx
        .list_page(
            kind,
            &RecordFilter::default(),
            Some(&reader),
            RecordOrder::Id,
            false,
            Window {
                offset: 0,
                after: None,
                limit: 10_000,
            },
        )
        .await
        .unwrap();
    let count = tx
        .count_records(kind, &RecordFilter::default(), Some(&reader), 10_000)
        .await
        .unwrap();
    tx.finish().await.unwrap();
    assert_eq!(count, rows.len() as u64, "the count agrees with the list");
    rows.into_iter().map(|r| r.id).collect()
}

async fn check_seed(backend: Backend, seed: u64) {
    let db = TestDb::new(backend).await;
    let store = Store::open(&db.url).await.unwrap();
    let mut rng = Rng(seed);
    let people = random_people(&mut rng);
    let records = random_records(&mut rng);
    let at = Timestamp::from_second(1_780_000_000).unwrap();
    let mut tx = store.write().await.unwrap();
    for r in &records {
        tx.insert_record(r.kind, r.id, &r.meta, "{}", at)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    // Half the records changed once: the index is rewritten with the row.
    let mut tx = store.write().await.unwrap();
    for r in records.iter().filter(|r| r.id % 2 == 0) {
        tx.update_record(r.kind, r.id, 1, &r.meta, "{}", at)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();

    let mut narrowed = 0;
    for subject in &people {
        for kind in [RecordKind::Matter, RecordKind::Carrier] {
            let sql = candidates(&store, kind, subject).await;
            for r in records.iter().filter(|r| r.kind == kind) {
                let allowed = decide(subject, &r.object, Action::Read, TODAY).is_allowed();
                if allowed {
                    assert!(
                        sql.contains(&r.id),
                        "seed {seed}: {kind:?} {} allowed to person {} but not selected",
                        r.id,
                        subject.person().0
                    );
                } else if sql.contains(&r.id) {
                    // The one fact SQL leaves to the core: belonging to a named group.
                    assert!(
                        r.object.scope.named_persons().contains(&subject.person())
                            && !r.object.scope.includes(&subject.membership),
                        "seed {seed}: {kind:?} {} selected for person {} whom the core refuses \
                         for a reason SQL should have seen",
                        r.id,
                        subject.person().0
                    );
                } else {
                    narrowed += 1;
                }
            }
        }
    }
    assert!(narrowed > 0, "seed {seed}: the pre-filter narrowed nothing");
    store.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn r1_7_r2_1_sql_never_omits_what_the_core_allows_sqlite() {
    for seed in [1, 7, 42, 2026] {
        check_seed(Backend::Sqlite, seed).await;
    }
}

#[tokio::test]
async fn r1_7_r2_1_sql_never_omits_what_the_core_allows_postgres() {
    for seed in [1, 7, 42, 2026] {
        check_seed(Backend::Postgres, seed).await;
    }
}

async fn search(store: &Store, text: &str) -> BTreeSet<i64> {
    let mut tx = store.read().await.unwrap();
    let rows = tx
        .list_page(
            RecordKind::Carrier,
            &RecordFilter {
                text: Some(text.to_owned()),
                ..RecordFilter::default()
            },
            None,
            RecordOrder::Id,
            false,
            Window {
                offset: 0,
                after: None,
                limit: 100,
            },
        )
        .await
        .unwrap();
    tx.finish().await.unwrap();
    rows.into_iter().map(|r| r.id).collect()
}

async fn check_search(backend: Backend) {
    let db = TestDb::new(backend).await;
    let store = Store::open(&db.url).await.unwrap();
    let at = Timestamp::from_second(1_780_000_000).unwrap();
    let titles = [
        ("涉密载体管理办法（试行）", "JM-2026-001"),
        ("东区地块征收补偿测算方案", "MM-2026-002"),
        ("载体清查记录 100%", "JM-2025-003"),
        ("Radar \"test\" plan_v2", "NB-2026-004"),
    ];
    let mut tx = store.write().await.unwrap();
    for (i, (title, number)) in titles.iter().enumerate() {
        let id = i64::try_from(i).unwrap() + 1;
        let meta = RecordMeta {
            status: "in_custody".to_owned(),
            title: (*title).to_owned(),
            number: Some((*number).to_owned()),
            place: None,
            ..RecordMeta::default()
        };
        tx.insert_record(RecordKind::Carrier, id, &meta, "{}", at)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    // Three characters and more go through the trigram index; fewer are scanned.
    assert_eq!(search(&store, "载体管理").await, BTreeSet::from([1]));
    assert_eq!(search(&store, "载体").await, BTreeSet::from([1, 3]));
    assert_eq!(search(&store, "征").await, BTreeSet::from([2]));
    assert_eq!(search(&store, "2026-00").await, BTreeSet::from([1, 2, 4]));
    assert_eq!(search(&store, "JM-2025").await, BTreeSet::from([3]));
    // Characters that mean something to FTS5 or LIKE are only text.
    assert_eq!(search(&store, "\"test\"").await, BTreeSet::from([4]));
    assert_eq!(search(&store, "100%").await, BTreeSet::from([3]));
    assert_eq!(search(&store, "n_v").await, BTreeSet::from([4]));
    assert_eq!(search(&store, "0%").await, BTreeSet::from([3]));
    assert!(search(&store, "不存在的标题").await.is_empty());
    // Letters match in any case, on both backends.
    assert_eq!(search(&store, "radar").await, BTreeSet::from([4]));
    assert_eq!(search(&store, "jm-2025").await, BTreeSet::from([3]));
    // A changed title is found by its new words only.
    let mut tx = store.write().await.unwrap();
    let meta = RecordMeta {
        about: None,
        parties: None,
        status: "in_custody".to_owned(),
        title: "改名后的载体".to_owned(),
        number: Some("JM-2026-001".to_owned()),
        place: None,
        ..RecordMeta::default()
    };
    tx.update_record(RecordKind::Carrier, 1, 1, &meta, "{}", at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(search(&store, "载体管理").await.is_empty());
    assert_eq!(search(&store, "改名后").await, BTreeSet::from([1]));

    // Where it is kept, and who holds it (a person's name, long or short), are found too.
    let mut tx = store.write().await.unwrap();
    for (id, name) in [(7, "欧阳明远"), (8, "李娜")] {
        let person = RecordMeta {
            status: "active".to_owned(),
            title: name.to_owned(),
            ..RecordMeta::default()
        };
        tx.insert_record(RecordKind::Person, id, &person, "{}", at)
            .await
            .unwrap();
    }
    for (id, place, holder) in [(5, "保密室 3号保密柜", 7), (6, "档案室 A-12", 8)] {
        let meta = RecordMeta {
            status: "in_custody".to_owned(),
            title: format!("会议材料 {id}"),
            number: Some(format!("JM-2026-10{id}")),
            place: Some(place.to_owned()),
            holder: Some(holder),
            ..RecordMeta::default()
        };
        tx.insert_record(RecordKind::Carrier, id, &meta, "{}", at)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(search(&store, "3号保密柜").await, BTreeSet::from([5]));
    assert_eq!(search(&store, "a-12").await, BTreeSet::from([6]));
    assert_eq!(search(&store, "欧阳明").await, BTreeSet::from([5]));
    assert_eq!(search(&store, "李娜").await, BTreeSet::from([6]));
    assert_eq!(search(&store, "室").await, BTreeSet::from([5, 6]));

    // A term in more records than the index pays for (SQLite then scans in the list's order)
    // finds the same records as a rare one would.
    let mut tx = store.write().await.unwrap();
    for id in 100..1_200 {
        let meta = RecordMeta {
            status: "in_custody".to_owned(),
            title: format!("综合管廊工程 {id}"),
            number: Some(format!("ZH-{id}")),
            ..RecordMeta::default()
        };
        tx.insert_record(RecordKind::Carrier, id, &meta, "{}", at)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(
        search(&store, "综合管廊").await,
        (100..200).collect::<BTreeSet<i64>>(),
        "the first page of a common term, in id order"
    );
    assert_eq!(
        search(&store, "管廊工程 1199").await,
        BTreeSet::from([1199])
    );
    assert_eq!(search(&store, "3号保密柜").await, BTreeSet::from([5]));
    store.close().await;
    db.cleanup().await;
}

/// Issue 19.2: search that finds Chinese — substrings of titles, numbers and places, and the
/// holder's name, on both backends.
#[tokio::test]
async fn search_finds_chinese_substrings_sqlite() {
    check_search(Backend::Sqlite).await;
}

#[tokio::test]
async fn search_finds_chinese_substrings_postgres() {
    check_search(Backend::Postgres).await;
}

/// Issue 19.1: keyset paging over the API — following `next_after` visits every carrier the
/// reader may read exactly once, in id order, as page numbers do; `after` is refused where it
/// cannot apply (another sort order, a list that pages by number only).
async fn keyset_pages_agree_with_page_numbers(server: common::TestServer) {
    use reqwest::StatusCode;
    let li_na = server.login("li.na").await;
    let (status, all) = li_na.get("/api/v1/carriers?per_page=500").await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let expected: Vec<i64> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    assert!(expected.len() > 3, "the demo holds carriers li.na reads");
    let mut seen = Vec::new();
    let mut path = "/api/v1/carriers?per_page=2".to_owned();
    loop {
        let (status, page) = li_na.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap()),
        );
        match page["next_after"].as_i64() {
            Some(after) => path = format!("/api/v1/carriers?per_page=2&after={after}"),
            None => break,
        }
        assert!(seen.len() <= expected.len(), "paging does not repeat");
    }
    assert_eq!(seen, expected);
    let (status, _) = li_na
        .get("/api/v1/carriers?per_page=2&after=1&sort=title")
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = li_na.get("/api/v1/approvals?after=1").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

both_backends!(keyset_paging, |server| async move {
    keyset_pages_agree_with_page_numbers(server).await;
});
