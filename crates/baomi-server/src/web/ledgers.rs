//! Every ledger of the service in the browser, described once as data: its list (filters,
//! search, sort, pagination, CSV/XLSX export), its record page (fields, full history, approval
//! chain) and the forms of its workflow actions.
//!
//! A [`Ledger`] names the API endpoints; the pages ask them in process (see the module above),
//! so the page shows exactly what the API lets this person see and a form does exactly what the
//! API allows. When the API refuses an action, the form is shown again with the refusal: its
//! DOMAIN rule id and one-line explanation, in the person's language.

use super::pages::{base, finish, merge, read, refusal_of, who, PageResult};
use super::{day_text, highest, level_name, render, see_other, Web};
use crate::auth::Principal;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use baomi_core::marks::Level;
use baomi_core::Lang;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// How a value is shown in a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Show {
    /// As it is.
    Text,
    /// The record's own words for it: `<key>_zh` / `<key>_en` when the API gives them.
    Words,
    /// A day (`2031年6月30日`).
    Day,
    /// A classification mark: an object `{zh, en, level}`, or a string with `<key>_en` and the
    /// record's `level` beside it.
    Mark,
    /// A level code, as its name.
    Level,
    /// A person id, as the person's name.
    Person,
    /// Person ids, as names.
    Persons,
    /// A unit id, as the unit's name.
    Unit,
    /// Yes or no.
    YesNo,
    /// The title, linked to the record.
    Link,
    /// A list of findings, each with its own words (`text_zh` / `text_en`) and rule.
    Notes,
    /// The length of a list.
    Count,
}

/// A column of a list, or a field of a record page.
#[derive(Debug)]
pub(super) struct Col {
    /// The text key of its label.
    pub label: &'static str,
    /// The key in the API's JSON, or a JSON pointer (`/training_status/compliant`).
    pub at: &'static str,
    /// How it is shown.
    pub show: Show,
}

const fn col(label: &'static str, at: &'static str, show: Show) -> Col {
    Col { label, at, show }
}

/// What a form field asks for.
#[derive(Debug, Clone, Copy)]
pub(super) enum Input {
    /// One line of text.
    Text,
    /// A password (never shown again).
    Password,
    /// A list of words typed in one line, separated by `、`, `，`, `,` or `;` (sent as a list).
    Words,
    /// Several lines.
    Long,
    /// A day.
    Date,
    /// A whole number.
    Number,
    /// A tick box (`true` / `false`).
    Check,
    /// A person of the directory (sent as the id).
    Person,
    /// A knowledge scope of named persons (sent as `{"persons":[…],"groups":[]}`, R1.7).
    Scope,
    /// A unit (sent as the id).
    Unit,
    /// Departments of one's unit (sent as a list of ids).
    Departments,
    /// One department of one's unit (sent as its id).
    Department,
    /// One of the given (value, Chinese, English).
    Choice(&'static [(&'static str, &'static str, &'static str)]),
    /// Any of the given (sent as a list of values).
    Choices(&'static [(&'static str, &'static str, &'static str)]),
}

/// A form field; its `name` may be dotted (`method.kind`) to build a nested JSON body.
#[derive(Debug)]
pub(super) struct Field {
    /// The JSON name.
    pub name: &'static str,
    /// The text key of its label.
    pub label: &'static str,
    /// What it asks for.
    pub input: Input,
    /// Whether the browser insists on it (the API decides in the end).
    pub required: bool,
}

pub(super) const fn field(
    name: &'static str,
    label: &'static str,
    input: Input,
    required: bool,
) -> Field {
    Field {
        name,
        label,
        input,
        required,
    }
}

/// A workflow action (or the registration of a new record).
#[derive(Debug)]
pub(super) struct Action {
    /// Its key in the page's address.
    pub key: &'static str,
    /// The text key of its name.
    pub label: &'static str,
    /// The API path; `{id}` is replaced by the record's id.
    pub api: &'static str,
    /// Its fields.
    pub fields: &'static [Field],
    /// Statuses in which it is offered (empty: always).
    pub when: &'static [&'static str],
}

/// Where a record's history comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum History {
    /// The audit trail about the record (`/api/v1/records/{kind}/{id}/history`) and the
    /// record's own history lines.
    Trail(&'static str),
    /// Only the record's own history lines.
    Own,
}

/// A ledger, as the browser sees it.
#[derive(Debug)]
pub(super) struct Ledger {
    /// Its address (`/carriers`) and the navigation's key.
    pub key: &'static str,
    /// The API's list (and, with `/{id}`, record) endpoint.
    pub api: &'static str,
    /// Whether the API has `{api}/export`.
    pub export: bool,
    /// The text key of its name.
    pub title: &'static str,
    /// Whether it has a level filter.
    pub levels: bool,
    /// Status codes for the filter (the API's codes), with their names.
    pub statuses: &'static [(&'static str, &'static str, &'static str)],
    /// Sort keys the API accepts.
    pub sorts: &'static [&'static str],
    /// The list's columns.
    pub columns: &'static [Col],
    /// The record page's fields.
    pub fields: &'static [Col],
    /// The registration form.
    pub create: Option<&'static Action>,
    /// The workflow actions on a record.
    pub actions: &'static [Action],
    /// Its history.
    pub history: History,
}

const LEVELS: &[(&str, &str, &str)] = &[
    ("unclassified", "非密", "Unclassified"),
    ("internal", "内部", "Internal"),
    ("secret", "秘密", "Secret"),
    ("confidential", "机密", "Confidential"),
    ("top_secret", "绝密", "Top secret"),
];

const CARRIER_KINDS: &[(&str, &str, &str)] = &[
    ("paper_document", "文件", "document"),
    ("drawing", "图纸", "drawing"),
    ("book", "书刊", "book"),
    ("optical_disc", "光盘", "optical disc"),
    ("usb_disk", "U盘", "USB disk"),
    ("portable_drive", "移动硬盘", "portable drive"),
    ("hard_disk", "硬盘", "hard disk"),
    ("tape", "磁带", "tape"),
    ("floppy", "软盘", "floppy disk"),
    ("equipment", "设备", "equipment"),
    ("product", "产品", "product"),
];

const DEVICE_KINDS: &[(&str, &str, &str)] = &[
    ("desktop_computer", "台式计算机", "desktop computer"),
    ("laptop", "便携式计算机", "laptop"),
    ("server", "服务器", "server"),
    ("usb_disk", "U盘", "USB disk"),
    ("portable_drive", "移动硬盘", "portable drive"),
    ("optical_disc", "光盘", "optical disc"),
    ("memory_card", "存储卡", "memory card"),
    ("printer", "打印机", "printer"),
    ("copier", "复印机", "copier"),
    ("scanner", "扫描仪", "scanner"),
    ("fax", "传真机", "fax"),
    ("multifunction", "多功能一体机", "multifunction device"),
    ("network_device", "网络设备", "network device"),
    ("mobile_phone", "手机", "mobile phone"),
    ("other", "其他", "other"),
];

const CATEGORIES: &[(&str, &str, &str)] = &[
    ("core", "核心涉密人员", "core"),
    ("important", "重要涉密人员", "important"),
    ("general", "一般涉密人员", "general"),
];

const CHECKLIST: &[(&str, &str, &str)] = &[
    ("nationality", "具有中华人民共和国国籍", "PRC nationality"),
    ("loyalty", "政治可靠", "loyalty"),
    ("reliability", "品行良好", "reliability"),
    ("competence", "具有胜任岗位的能力", "competence"),
    ("personnel_review", "人事部门审查", "personnel review"),
    (
        "confidentiality_review",
        "保密工作机构审查",
        "confidentiality review",
    ),
    ("commitment_signed", "已签订保密承诺书", "commitment signed"),
];

const EARLY_GROUNDS: &[(&str, &str, &str)] = &[
    (
        "catalogue_changed",
        "保密事项范围调整，不再属于国家秘密",
        "the catalogue changed",
    ),
    (
        "no_longer_harmful",
        "公开后不会损害国家安全和利益",
        "disclosure would no longer harm",
    ),
];

const DESTINATIONS: &[(&str, &str, &str)] = &[
    ("domestic", "境内", "domestic"),
    (
        "foreign_related_activity",
        "涉外活动",
        "foreign-related activity",
    ),
    ("abroad", "出境", "abroad"),
];

const CHANNELS: &[(&str, &str, &str)] = &[
    (
        "confidential_transport",
        "机要交通",
        "confidential transport",
    ),
    (
        "confidential_communication",
        "机要通信",
        "confidential communication",
    ),
    ("dedicated_courier", "专人递送", "dedicated courier"),
    ("exchange_station", "机要文件交换站", "exchange station"),
    ("ordinary_post", "普通邮政", "ordinary post"),
    ("express", "快递", "express delivery"),
];

const DESTRUCTION: &[(&str, &str, &str)] = &[
    (
        "designated_body",
        "送指定销毁机构",
        "designated destruction body",
    ),
    ("in_house", "本单位自行销毁", "in-house"),
];

const DISPOSALS: &[(&str, &str, &str)] = &[
    ("give_away", "赠送", "give away"),
    ("sell", "出售", "sell"),
    ("discard", "丢弃", "discard"),
];

const REPAIRS: &[(&str, &str, &str)] = &[
    ("in_house", "本单位技术人员维修", "by the unit's own staff"),
    (
        "on_site",
        "外单位人员现场维修（全程监督）",
        "on site, supervised",
    ),
    (
        "sent_out",
        "送指定维修单位",
        "sent to a designated repairer",
    ),
];

/// R3.8: how a carrier or device is repaired — the arrangement's fields per variant.
const REPAIR_FIELDS: &[Field] = &[
    field(
        "arrangement.kind",
        "repair_arrangement",
        Input::Choice(REPAIRS),
        true,
    ),
    field(
        "arrangement.technician@in_house",
        "technician",
        Input::Person,
        false,
    ),
    field(
        "arrangement.technician@on_site",
        "outside_technician",
        Input::Text,
        false,
    ),
    field(
        "arrangement.supervisor@on_site",
        "supervisor_on_site",
        Input::Person,
        false,
    ),
    field(
        "arrangement.repairer@sent_out",
        "repairer",
        Input::Text,
        false,
    ),
    field(
        "arrangement.designation@sent_out",
        "designation",
        Input::Text,
        false,
    ),
    field(
        "arrangement.storage_removed@sent_out",
        "storage_removed",
        Input::Check,
        false,
    ),
    REASON,
];

const SECOND_FACTORS: &[(&str, &str, &str)] = &[
    ("ic_card", "IC卡", "IC card"),
    ("usb_key", "USB Key", "USB key"),
    ("biometric", "生物特征", "biometric"),
];

const REASON: Field = field("reason", "reason", Input::Long, false);

static MATTERS: Ledger = Ledger {
    key: "matters",
    api: "/api/v1/matters",
    export: true,
    title: "matters",
    levels: true,
    statuses: &[
        ("in_force", "有效", "in force"),
        ("declassified", "已解密", "declassified"),
        ("not_yet_classified", "尚未定密", "not yet classified"),
    ],
    sorts: &["id", "title", "level", "status", "due", "updated"],
    columns: &[
        col("id", "id", Show::Text),
        col("title", "title", Show::Link),
        col("mark", "mark", Show::Mark),
        col("status", "status", Show::Words),
        col("classified_on", "classified_on", Show::Day),
        col("declassifies_on", "declassifies_on", Show::Day),
    ],
    fields: &[
        col("id", "id", Show::Text),
        col("mark", "mark", Show::Mark),
        col("level", "level", Show::Level),
        col("status", "status", Show::Words),
        col("classified_on", "classified_on", Show::Day),
        col("declassifies_on", "declassifies_on", Show::Day),
        col("next_review", "next_review_due", Show::Day),
        col("basis", "basis", Show::Text),
        col("subject_area", "subject_area", Show::Text),
        col("unit", "unit", Show::Unit),
        col("classifier", "classifier", Show::Person),
        col("proposer", "proposer", Show::Person),
        col("scope", "/scope/persons", Show::Persons),
    ],
    create: None,
    actions: &[
        Action {
            key: "review",
            label: "act_review",
            api: "/api/v1/matters/{id}/review",
            fields: &[field("reason", "reason", Input::Long, true)],
            when: &["in_force"],
        },
        Action {
            key: "extend",
            label: "act_extend",
            api: "/api/v1/matters/{id}/extend",
            fields: &[
                field("mark", "new_mark", Input::Text, true),
                field("period_override", "period_override", Input::Text, false),
                field("reason", "reason", Input::Long, true),
            ],
            when: &["in_force"],
        },
        Action {
            key: "declassify",
            label: "act_declassify",
            api: "/api/v1/matters/{id}/declassify",
            fields: &[
                field("ground", "ground", Input::Choice(EARLY_GROUNDS), true),
                field("reason", "reason", Input::Long, true),
            ],
            when: &["in_force"],
        },
        Action {
            key: "condition-met",
            label: "act_condition_met",
            api: "/api/v1/matters/{id}/condition-met",
            fields: &[field("reason", "reason", Input::Long, true)],
            when: &["in_force"],
        },
        Action {
            key: "change",
            label: "act_change",
            api: "/api/v1/matters/{id}/change",
            fields: &[
                field("mark", "new_mark", Input::Text, false),
                field("scope", "scope", Input::Scope, false),
                field("reason", "reason", Input::Long, true),
            ],
            when: &["in_force"],
        },
    ],
    history: History::Trail("matter"),
};

static PROPOSALS: Ledger = Ledger {
    key: "proposals",
    api: "/api/v1/proposals",
    export: false,
    title: "proposals",
    levels: true,
    statuses: &[
        ("pending", "待审批", "pending"),
        ("approved", "已批准", "approved"),
        ("rejected", "不予批准", "rejected"),
    ],
    sorts: &["id", "title", "level", "status", "updated"],
    columns: &[
        col("id", "id", Show::Text),
        col("title", "title", Show::Link),
        col("mark", "mark", Show::Mark),
        col("status", "status", Show::Words),
        col("proposer", "proposer", Show::Person),
        col("proposed_on", "proposed_on", Show::Day),
    ],
    fields: &[
        col("id", "id", Show::Text),
        col("mark", "mark", Show::Mark),
        col("status", "status", Show::Words),
        col("proposer", "proposer", Show::Person),
        col("proposed_on", "proposed_on", Show::Day),
        col("basis", "basis", Show::Text),
        col("subject_area", "subject_area", Show::Text),
        col("unit", "unit", Show::Unit),
        col("scope", "/scope/persons", Show::Persons),
    ],
    create: Some(&Action {
        key: "new",
        label: "act_propose",
        api: "/api/v1/proposals",
        fields: &[
            field("title", "title", Input::Text, true),
            field("mark", "mark_input", Input::Text, true),
            field("scope", "scope", Input::Scope, true),
            field("basis", "basis", Input::Long, true),
            field("subject_area", "subject_area", Input::Text, true),
        ],
        when: &[],
    }),
    actions: &[],
    history: History::Own,
};

static CARRIERS: Ledger = Ledger {
    key: "carriers",
    api: "/api/v1/carriers",
    export: true,
    title: "carriers",
    levels: true,
    statuses: &[
        ("registered", "已登记", "registered"),
        ("in_custody", "在库保管", "in custody"),
        ("lent", "借出", "lent"),
        ("carried_out", "携带外出", "carried out"),
        ("in_transit", "传递中", "in transit"),
        ("in_repair", "维修中", "in repair"),
        ("destroyed", "已销毁", "destroyed"),
        ("declassified", "已解密", "declassified"),
        ("released", "已解除管理", "released"),
    ],
    sorts: &["id", "number", "title", "level", "status", "due", "updated"],
    columns: &[
        col("number", "number", Show::Link),
        col("copy_no", "copy", Show::Text),
        col("title", "title", Show::Text),
        col("mark", "marking", Show::Mark),
        col("carrier_kind", "kind", Show::Words),
        col("status", "status", Show::Words),
        col("holder", "holder", Show::Person),
        col("due", "due", Show::Day),
    ],
    fields: &[
        col("number", "number", Show::Text),
        col("copy_no", "copy", Show::Text),
        col("mark", "marking", Show::Mark),
        col("carrier_kind", "kind", Show::Words),
        col("status", "status", Show::Words),
        col("location", "location", Show::Text),
        col("holder", "holder", Show::Person),
        col("due", "due", Show::Day),
        col("matter", "matter", Show::Text),
        col("unit", "unit", Show::Unit),
        col("registered_by", "registered_by", Show::Person),
        col("registered_on", "registered_on", Show::Day),
        col("scope", "/scope/persons", Show::Persons),
    ],
    create: Some(&Action {
        key: "new",
        label: "act_register_carrier",
        api: "/api/v1/carriers",
        fields: &[
            field("number", "number", Input::Text, true),
            field("copy", "copy_no", Input::Number, false),
            field("kind", "carrier_kind", Input::Choice(CARRIER_KINDS), true),
            field("title", "title", Input::Text, true),
            field("marking", "mark_input", Input::Text, false),
            field("matter", "matter_id", Input::Number, false),
            field("scope", "scope", Input::Scope, false),
            field("location", "location", Input::Text, true),
            field("custodian", "custodian", Input::Person, false),
        ],
        when: &[],
    }),
    actions: &[
        Action {
            key: "take-into-custody",
            label: "act_custody",
            api: "/api/v1/carriers/{id}/take-into-custody",
            fields: &[
                field("holder", "holder", Input::Person, false),
                field("location", "location", Input::Text, true),
            ],
            when: &["registered"],
        },
        Action {
            key: "copy",
            label: "act_copy",
            api: "/api/v1/carriers/{id}/copy",
            fields: &[
                field("number", "copy_number", Input::Text, true),
                field("copy", "copy_no", Input::Number, false),
                field("kind", "carrier_kind", Input::Choice(CARRIER_KINDS), false),
                field("holder", "holder", Input::Person, false),
                field("location", "location", Input::Text, true),
                REASON,
            ],
            when: &["in_custody"],
        },
        Action {
            key: "lend",
            label: "act_lend",
            api: "/api/v1/carriers/{id}/lend",
            fields: &[
                field("to", "borrower", Input::Person, true),
                field("due", "due", Input::Date, true),
                REASON,
            ],
            when: &["in_custody"],
        },
        Action {
            key: "return",
            label: "act_return",
            api: "/api/v1/carriers/{id}/return",
            fields: &[
                field("received_by", "received_by", Input::Person, false),
                field("face_to_face", "face_to_face", Input::Check, false),
                field(
                    "inventory_matches",
                    "inventory_matches",
                    Input::Check,
                    false,
                ),
            ],
            when: &["lent", "carried_out", "in_repair"],
        },
        Action {
            key: "carry-out",
            label: "act_carry_out",
            api: "/api/v1/carriers/{id}/carry-out",
            fields: &[
                field("by", "carried_by", Input::Person, false),
                field("due", "due", Input::Date, true),
                field(
                    "destination",
                    "destination",
                    Input::Choice(DESTINATIONS),
                    true,
                ),
                field("escort", "escort", Input::Person, false),
                REASON,
            ],
            when: &["in_custody"],
        },
        Action {
            key: "transmit",
            label: "act_transmit",
            api: "/api/v1/carriers/{id}/transmit",
            fields: &[
                field("channel.kind", "channel", Input::Choice(CHANNELS), true),
                field("channel.courier", "courier", Input::Person, false),
                field("channel.safe_route", "safe_route", Input::Check, false),
                field("channel.within_city", "within_city", Input::Check, false),
                field("to", "to_unit", Input::Unit, true),
            ],
            when: &["in_custody"],
        },
        Action {
            key: "receive",
            label: "act_receive",
            api: "/api/v1/carriers/{id}/receive",
            fields: &[
                field("by", "received_by", Input::Person, false),
                field("location", "location", Input::Text, true),
                field("face_to_face", "face_to_face", Input::Check, false),
                field(
                    "inventory_matches",
                    "inventory_matches",
                    Input::Check,
                    false,
                ),
            ],
            when: &["in_transit"],
        },
        Action {
            key: "repair",
            label: "act_repair",
            api: "/api/v1/carriers/{id}/repair",
            fields: REPAIR_FIELDS,
            when: &["in_custody"],
        },
        Action {
            key: "destroy",
            label: "act_destroy",
            api: "/api/v1/carriers/{id}/destroy",
            fields: &[
                field(
                    "method.kind",
                    "destruction_method",
                    Input::Choice(DESTRUCTION),
                    true,
                ),
                field(
                    "method.body@designated_body",
                    "destruction_body",
                    Input::Text,
                    false,
                ),
                field(
                    "method.packed@designated_body",
                    "packed",
                    Input::Check,
                    false,
                ),
                field(
                    "method.transported_safely@designated_body",
                    "transported_safely",
                    Input::Check,
                    false,
                ),
                field(
                    "method.supervisor@designated_body",
                    "supervisor",
                    Input::Person,
                    false,
                ),
                field("method.equipment@in_house", "equipment", Input::Text, false),
                field(
                    "method.meets_national_standard@in_house",
                    "meets_standard",
                    Input::Check,
                    false,
                ),
                field("method.operator@in_house", "operator", Input::Person, false),
                REASON,
            ],
            when: &["in_custody", "registered"],
        },
        Action {
            key: "remark",
            label: "act_remark",
            api: "/api/v1/carriers/{id}/remark",
            fields: &[field("marking", "mark_input", Input::Text, false)],
            when: &["in_custody", "registered"],
        },
        Action {
            key: "release",
            label: "act_release",
            api: "/api/v1/carriers/{id}/release",
            fields: &[REASON],
            when: &["declassified"],
        },
    ],
    history: History::Trail("carrier"),
};

static PEOPLE: Ledger = Ledger {
    key: "people",
    api: "/api/v1/people",
    export: true,
    title: "people",
    levels: false,
    statuses: &[
        ("active", "在岗", "on post"),
        ("in_detachment", "脱密期", "in detachment"),
        ("left", "已离岗", "left"),
    ],
    sorts: &["id", "title", "status", "updated"],
    columns: &[
        col("id", "id", Show::Text),
        col("name", "name", Show::Link),
        col("post", "post", Show::Text),
        col("category", "category", Show::Words),
        col("status", "status", Show::Words),
        col("training_ok", "/training_status/compliant", Show::YesNo),
        col("commitment", "commitment_signed_on", Show::Day),
    ],
    fields: &[
        col("id", "id", Show::Text),
        col("name", "name", Show::Text),
        col("post", "post", Show::Text),
        col("unit", "unit", Show::Unit),
        col("category", "category", Show::Words),
        col("status", "status", Show::Words),
        col("commitment", "commitment_signed_on", Show::Day),
        col("training_ok", "/training_status/compliant", Show::YesNo),
        col("training_minutes", "/training_status/minutes", Show::Text),
        col(
            "training_required",
            "/training_status/required_minutes",
            Show::Text,
        ),
        col("detachment_ends", "/detachment/ends_on", Show::Day),
    ],
    create: Some(&Action {
        key: "new",
        label: "act_register_person",
        api: "/api/v1/people",
        fields: &[
            field("name", "name", Input::Text, true),
            field("departments", "department", Input::Departments, false),
            field("post", "post", Input::Text, false),
            field("category", "category", Input::Choice(CATEGORIES), false),
            field("checklist", "checklist", Input::Choices(CHECKLIST), false),
            field("commitment_signed_on", "commitment", Input::Date, false),
        ],
        when: &[],
    }),
    actions: &[
        Action {
            key: "training",
            label: "act_training",
            api: "/api/v1/people/{id}/training",
            fields: &[
                field("on", "training_on", Input::Date, true),
                field("minutes", "minutes", Input::Number, true),
                field("topic", "topic", Input::Text, true),
            ],
            when: &["active"],
        },
        Action {
            key: "commitment",
            label: "act_commitment",
            api: "/api/v1/people/{id}/commitment",
            fields: &[field("signed_on", "signed_on", Input::Date, false)],
            when: &["active"],
        },
        Action {
            key: "leave",
            label: "act_leave",
            api: "/api/v1/people/{id}/leave",
            fields: &[
                field("left_on", "left_on", Input::Date, false),
                field("months", "months", Input::Number, false),
                field("basis", "basis", Input::Text, false),
                field(
                    "exit_commitment_signed",
                    "exit_commitment",
                    Input::Check,
                    false,
                ),
            ],
            when: &["active"],
        },
    ],
    history: History::Trail("person"),
};

static DEVICES: Ledger = Ledger {
    key: "devices",
    api: "/api/v1/devices",
    export: true,
    title: "devices",
    levels: true,
    statuses: &[
        ("registered", "已登记", "registered"),
        ("in_use", "在用", "in use"),
        ("in_repair", "维修中", "in repair"),
        ("carried_out", "携带外出", "carried out"),
        (
            "in_security_processing",
            "保密技术处理中",
            "in security processing",
        ),
        ("retired", "已退出涉密使用", "retired"),
        ("scrapped", "已报废", "scrapped"),
        ("disposed", "已处置", "disposed of"),
    ],
    sorts: &["id", "number", "title", "level", "status", "due", "updated"],
    columns: &[
        col("number", "number", Show::Link),
        col("device_name", "name", Show::Text),
        col("device_kind", "kind", Show::Words),
        col("level", "level", Show::Level),
        col("status", "status", Show::Words),
        col("holder", "holder", Show::Person),
        col("password_state", "password_status", Show::Words),
    ],
    fields: &[
        col("number", "number", Show::Text),
        col("device_name", "name", Show::Text),
        col("device_kind", "kind", Show::Words),
        col("level", "level", Show::Level),
        col("status", "status", Show::Words),
        col("serial", "serial", Show::Text),
        col("location", "location", Show::Text),
        col("holder", "holder", Show::Person),
        col("unit", "unit", Show::Unit),
        col("password_state", "password_status", Show::Words),
        col("password_due", "password_due", Show::Day),
        col("security_tested", "security_tested", Show::YesNo),
        col("registered_on", "registered_on", Show::Day),
    ],
    create: Some(&Action {
        key: "new",
        label: "act_register_device",
        api: "/api/v1/devices",
        fields: &[
            field("kind", "device_kind", Input::Choice(DEVICE_KINDS), true),
            field("level", "level", Input::Choice(LEVELS), true),
            field("number", "number", Input::Text, true),
            field("serial", "serial", Input::Text, true),
            field("name", "device_name", Input::Text, true),
            field("holder", "holder", Input::Person, false),
            field("location", "location", Input::Text, true),
        ],
        when: &[],
    }),
    actions: &[
        Action {
            key: "commission",
            label: "act_commission",
            api: "/api/v1/devices/{id}/commission",
            fields: &[
                field("security_test.on", "tested_on", Input::Date, false),
                field("security_test.by", "tested_by", Input::Text, false),
                field(
                    "security_test.reference",
                    "test_reference",
                    Input::Text,
                    false,
                ),
            ],
            when: &["registered"],
        },
        Action {
            key: "assign",
            label: "act_assign",
            api: "/api/v1/devices/{id}/assign",
            fields: &[
                field("holder", "holder", Input::Person, false),
                field("department", "department", Input::Department, false),
                field("location", "location", Input::Text, false),
            ],
            when: &[],
        },
        Action {
            key: "password",
            label: "act_password",
            api: "/api/v1/devices/{id}/password",
            fields: &[
                field("changed_on", "changed_on", Input::Date, false),
                field(
                    "second_factor",
                    "second_factor",
                    Input::Choice(SECOND_FACTORS),
                    false,
                ),
            ],
            when: &["in_use"],
        },
        Action {
            key: "carry_out",
            label: "act_carry_out",
            api: "/api/v1/devices/{id}/carry_out",
            fields: &[
                field("by", "carried_by", Input::Person, false),
                field("due", "due", Input::Date, true),
                field("destination", "destination_text", Input::Text, true),
                field("encrypted", "encrypted", Input::Check, false),
                field("authenticated", "authenticated", Input::Check, false),
                REASON,
            ],
            when: &["in_use"],
        },
        Action {
            key: "return_from_carry_out",
            label: "act_return",
            api: "/api/v1/devices/{id}/return_from_carry_out",
            fields: &[],
            when: &["carried_out"],
        },
        Action {
            key: "send_for_repair",
            label: "act_repair",
            api: "/api/v1/devices/{id}/send_for_repair",
            fields: REPAIR_FIELDS,
            when: &["in_use"],
        },
        Action {
            key: "return_from_repair",
            label: "act_return_from_repair",
            api: "/api/v1/devices/{id}/return_from_repair",
            fields: &[],
            when: &["in_repair"],
        },
        Action {
            key: "send_for_security_processing",
            label: "act_security_processing",
            api: "/api/v1/devices/{id}/send_for_security_processing",
            fields: &[REASON],
            when: &["in_use", "registered"],
        },
        Action {
            key: "complete_security_processing",
            label: "act_security_done",
            api: "/api/v1/devices/{id}/complete_security_processing",
            fields: &[],
            when: &["in_security_processing"],
        },
        Action {
            key: "declassify",
            label: "act_declassify_device",
            api: "/api/v1/devices/{id}/declassify",
            fields: &[
                field("storage_removed", "storage_removed", Input::Check, false),
                REASON,
            ],
            when: &["registered", "in_use", "retired"],
        },
        Action {
            key: "dispose",
            label: "act_dispose",
            api: "/api/v1/devices/{id}/dispose",
            fields: &[
                field("disposal", "disposal", Input::Choice(DISPOSALS), true),
                REASON,
            ],
            when: &["retired"],
        },
        Action {
            key: "scrap",
            label: "act_scrap",
            api: "/api/v1/devices/{id}/scrap",
            fields: &[
                field("destruction_body", "destruction_body", Input::Text, true),
                REASON,
            ],
            when: &["in_security_processing", "retired"],
        },
    ],
    history: History::Trail("device"),
};

const ESCALATION_LEVELS: &[(&str, &str, &str)] = &[
    ("secret", "秘密", "Secret"),
    ("confidential", "机密", "Confidential"),
    ("top_secret", "绝密", "Top secret"),
    ("unclassified", "不属于国家秘密", "not a state secret"),
];

const STEP_FIELDS: &[Field] = &[
    field("level", "level", Input::Choice(ESCALATION_LEVELS), false),
    field("reason", "reason", Input::Long, true),
];

const fn step(key: &'static str, label: &'static str, api: &'static str) -> Action {
    Action {
        key,
        label,
        api,
        fields: STEP_FIELDS,
        when: &[],
    }
}

static ESCALATIONS: Ledger = Ledger {
    key: "escalations",
    api: "/api/v1/escalations",
    export: false,
    title: "escalations",
    levels: false,
    statuses: &[],
    sorts: &["id", "title", "status", "due", "updated"],
    columns: &[
        col("id", "id", Show::Text),
        col("title", "title", Show::Link),
        col("escalation_kind", "kind", Show::Words),
        col("stage", "stage", Show::Words),
        col("protected_level", "protected_level", Show::Level),
        col("deadline", "deadline", Show::Day),
    ],
    fields: &[
        col("id", "id", Show::Text),
        col("escalation_kind", "kind", Show::Words),
        col("stage", "stage", Show::Words),
        col("protected_level", "protected_level", Show::Level),
        col("deadline", "deadline", Show::Day),
        col("opened_by", "opened_by", Show::Person),
        col("unit", "unit", Show::Unit),
        col("final_level", "/detail/final_level", Show::Level),
    ],
    create: None,
    actions: &[
        step("submit", "step_submit", "/api/v1/escalations/{id}/submit"),
        step(
            "forward",
            "step_forward",
            "/api/v1/escalations/{id}/forward",
        ),
        step("decide", "step_decide", "/api/v1/escalations/{id}/decide"),
        step("answer", "step_answer", "/api/v1/escalations/{id}/answer"),
        step("accept", "step_accept", "/api/v1/escalations/{id}/accept"),
        step(
            "escalate",
            "step_escalate",
            "/api/v1/escalations/{id}/escalate",
        ),
    ],
    history: History::Own,
};

static INVENTORIES: Ledger = Ledger {
    key: "inventories",
    api: "/api/v1/inventories",
    export: false,
    title: "inventories",
    levels: false,
    statuses: &[("open", "进行中", "open"), ("closed", "已结束", "closed")],
    sorts: &["id", "status", "updated"],
    columns: &[
        col("id", "id", Show::Link),
        col("status", "status", Show::Words),
        col("started_on", "started_on", Show::Day),
        col("started_by", "started_by", Show::Person),
        col("expected", "expected", Show::Count),
        col("found", "found", Show::Count),
        col("discrepancies", "discrepancies", Show::Count),
        col("closed_on", "closed_on", Show::Day),
    ],
    fields: &[
        col("id", "id", Show::Text),
        col("status", "status", Show::Words),
        col("unit", "unit", Show::Unit),
        col("started_on", "started_on", Show::Day),
        col("started_by", "started_by", Show::Person),
        col("expected", "expected", Show::Count),
        col("found", "observations", Show::Count),
        col("closed_on", "closed_on", Show::Day),
        col("closed_by", "closed_by", Show::Person),
        col("discrepancies", "discrepancies", Show::Notes),
    ],
    create: Some(&Action {
        key: "new",
        label: "act_start_inventory",
        api: "/api/v1/inventories",
        fields: &[],
        when: &[],
    }),
    actions: &[
        Action {
            key: "observations",
            label: "act_observe",
            api: "/api/v1/inventories/{id}/observations",
            fields: &[
                field("found[].number", "number", Input::Text, true),
                field("found[].copy", "copy_no", Input::Number, false),
                field("found[].holder", "holder", Input::Person, false),
                field("found[].location", "location", Input::Text, true),
            ],
            when: &["open"],
        },
        Action {
            key: "close",
            label: "act_close_inventory",
            api: "/api/v1/inventories/{id}/close",
            fields: &[],
            when: &["open"],
        },
    ],
    history: History::Own,
};

/// Every ledger the web UI shows, in the navigation's order.
pub(super) static LEDGERS: [&Ledger; 7] = [
    &MATTERS,
    &PROPOSALS,
    &CARRIERS,
    &PEOPLE,
    &DEVICES,
    &ESCALATIONS,
    &INVENTORIES,
];

/// The routes of every ledger: `/{key}`, `/{key}/new`, `/{key}/{id}`, `/{key}/{id}/{action}`.
pub(super) fn routes() -> Router<Web> {
    let mut router = Router::new();
    for ledger in LEDGERS {
        let key = ledger.key;
        router = router
            .route(
                &format!("/{key}"),
                get(
                    move |State(web): State<Web>, headers: HeaderMap, uri: Uri| async move {
                        finish(list(&web, ledger, &headers, &uri).await)
                    },
                ),
            )
            .route(
                &format!("/{key}/{{id}}"),
                get(
                    move |State(web): State<Web>,
                          headers: HeaderMap,
                          Path(id): Path<i64>,
                          uri: Uri| async move {
                        let done = query_value(&uri, "done");
                        finish(record(&web, ledger, &headers, id, done.as_deref(), None).await)
                    },
                ),
            )
            .route(
                &format!("/{key}/{{id}}/{{action}}"),
                post(
                    move |State(web): State<Web>,
                          headers: HeaderMap,
                          Path((id, action)): Path<(i64, String)>,
                          Form(form): Form<Vec<(String, String)>>| async move {
                        finish(act(&web, ledger, &headers, id, &action, &form).await)
                    },
                ),
            );
        if ledger.create.is_some() {
            router = router.route(
                &format!("/{key}/new"),
                get(
                    move |State(web): State<Web>, headers: HeaderMap| async move {
                        finish(new_form(&web, ledger, &headers, None, &[], StatusCode::OK).await)
                    },
                )
                .post(
                    move |State(web): State<Web>,
                          headers: HeaderMap,
                          Form(form): Form<Vec<(String, String)>>| async move {
                        finish(create(&web, ledger, &headers, &form).await)
                    },
                ),
            );
        }
    }
    router
}

/// One value of a query string.
pub(super) fn query_value(uri: &Uri, key: &str) -> Option<String> {
    uri.query()?.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key && !v.is_empty()).then(|| v.to_owned())
    })
}

/// Names of people and units, for showing ids as names. Names are not classified; only ids the
/// API already answered are looked up.
#[derive(Debug, Default)]
pub(super) struct Directory {
    /// Person id → (name, unit).
    pub people: BTreeMap<i64, (String, Option<i64>)>,
    /// Unit id → name, with its departments (id, name).
    pub units: BTreeMap<i64, (String, Vec<(i64, String)>)>,
}

impl Directory {
    /// Reads the directory from the store.
    pub(super) async fn load(web: &Web) -> Result<Directory, crate::error::ApiError> {
        let mut tx = web.state.store.read().await?;
        // Names only: no person's record is read for a page's labels.
        let people = tx
            .list_names(
                baomi_store::RecordKind::Person,
                &baomi_store::RecordFilter::default(),
            )
            .await?;
        let mut units = BTreeMap::new();
        for unit in tx.list_units().await? {
            let departments = tx
                .list_departments(unit.id)
                .await?
                .into_iter()
                .map(|d| (d.id.0, d.name))
                .collect();
            units.insert(unit.id.0, (unit.name, departments));
        }
        tx.finish().await?;
        Ok(Directory {
            people: people
                .into_iter()
                .map(|(id, name, unit)| (id, (name, unit)))
                .collect(),
            units,
        })
    }

    /// A person's name, or `#id`.
    pub(super) fn person(&self, id: i64) -> String {
        self.people
            .get(&id)
            .map_or_else(|| format!("#{id}"), |(name, _)| name.clone())
    }

    /// A unit's name, or `#id`.
    pub(super) fn unit(&self, id: i64) -> String {
        self.units
            .get(&id)
            .map_or_else(|| format!("#{id}"), |(name, _)| name.clone())
    }
}

/// The value at `at` (a key or a JSON pointer).
fn value_at<'a>(record: &'a Value, at: &str) -> Option<&'a Value> {
    if at.starts_with('/') {
        record.pointer(at)
    } else {
        record.get(at)
    }
    .filter(|v| !v.is_null())
}

fn words_of(record: &Value, at: &str, lang: Lang) -> Option<String> {
    let suffix = match lang {
        Lang::Zh => "_zh",
        Lang::En => "_en",
    };
    if !at.starts_with('/') {
        if let Some(text) = record.get(format!("{at}{suffix}")).and_then(Value::as_str) {
            return Some(text.to_owned());
        }
    }
    let raw = value_at(record, at)?;
    let code = raw.as_str().map_or_else(|| raw.to_string(), str::to_owned);
    Some(
        lang.pick(&code_words(&code).0, &code_words(&code).1)
            .to_owned(),
    )
}

/// Names of the status and kind codes the API gives without words of their own.
fn code_words(code: &str) -> (String, String) {
    let tables: [&[(&str, &str, &str)]; 2] = [
        &[
            ("in_force", "有效", "in force"),
            ("declassified", "已解密", "declassified"),
            ("not_yet_classified", "尚未定密", "not yet classified"),
            ("pending", "待审批", "pending"),
            ("approved", "已批准", "approved"),
            ("refused", "不予批准", "refused"),
            ("rejected", "不予批准", "rejected"),
            ("withdrawn", "已撤回", "withdrawn"),
            ("ok", "符合", "compliant"),
            ("expired", "已过期", "expired"),
            ("due_soon", "即将到期", "due soon"),
            ("not_applicable", "不适用", "not applicable"),
            (
                "second_factor_missing",
                "缺少第二因子",
                "second factor missing",
            ),
            ("not_recorded", "未登记", "not recorded"),
            ("unclear", "不明确事项", "unclear matter"),
            ("dispute", "定密争议", "dispute"),
            ("open", "进行中", "open"),
            ("closed", "已结束", "closed"),
            ("core", "核心涉密人员", "core"),
            ("important", "重要涉密人员", "important"),
            ("general", "一般涉密人员", "general"),
        ],
        LEVELS,
    ];
    tables
        .iter()
        .flat_map(|t| t.iter())
        .find(|(c, _, _)| *c == code)
        .map_or_else(
            || (code.to_owned(), code.to_owned()),
            |(_, zh, en)| ((*zh).to_owned(), (*en).to_owned()),
        )
}

/// A cell: its text, and the level code it shows (for the mark's colour and the banner).
fn cell(record: &Value, col: &Col, lang: Lang, dir: &Directory) -> (String, Option<String>) {
    let value = value_at(record, col.at);
    let id_of = |v: &Value| v.as_i64();
    match col.show {
        Show::Text | Show::Link => (
            value.map_or_else(String::new, |v| {
                v.as_str().map_or_else(|| v.to_string(), str::to_owned)
            }),
            None,
        ),
        Show::Words => (words_of(record, col.at, lang).unwrap_or_default(), None),
        Show::Day => (
            value
                .and_then(Value::as_str)
                .map(|d| day_text(d, lang))
                .unwrap_or_default(),
            None,
        ),
        Show::Mark => match value {
            Some(Value::Object(mark)) => {
                let text = mark
                    .get(match lang {
                        Lang::Zh => "zh",
                        Lang::En => "en",
                    })
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                let level = mark.get("level").and_then(Value::as_str).map(str::to_owned);
                (text, level)
            }
            Some(Value::String(zh)) => {
                let en = record
                    .get(format!("{}_en", col.at))
                    .and_then(Value::as_str)
                    .unwrap_or(zh);
                let level = record
                    .get("level")
                    .and_then(Value::as_str)
                    .map(str::to_owned);
                (lang.pick(zh, en).to_owned(), level)
            }
            _ => (String::new(), None),
        },
        Show::Level => {
            let code = value.and_then(Value::as_str).unwrap_or_default();
            let text = Level::from_code(code)
                .map_or_else(|| code.to_owned(), |l| level_name(l, lang).to_owned());
            (text, Level::from_code(code).map(|l| l.code().to_owned()))
        }
        Show::Person => (
            value
                .and_then(id_of)
                .map(|id| dir.person(id))
                .unwrap_or_default(),
            None,
        ),
        Show::Persons => (
            value
                .and_then(Value::as_array)
                .map(|ids| {
                    ids.iter()
                        .filter_map(id_of)
                        .map(|id| dir.person(id))
                        .collect::<Vec<_>>()
                        .join(lang.pick("、", ", "))
                })
                .unwrap_or_default(),
            None,
        ),
        Show::Unit => (
            value
                .and_then(id_of)
                .map(|id| dir.unit(id))
                .unwrap_or_default(),
            None,
        ),
        Show::Notes => (
            value
                .and_then(Value::as_array)
                .map(|lines| {
                    lines
                        .iter()
                        .filter_map(|l| {
                            let text = l.get(lang.pick("text_zh", "text_en"))?.as_str()?;
                            Some(match l.get("rule").and_then(Value::as_str) {
                                Some(rule) => format!("{text} ({rule})"),
                                None => text.to_owned(),
                            })
                        })
                        .collect::<Vec<_>>()
                        .join(lang.pick("；", "; "))
                })
                .unwrap_or_default(),
            None,
        ),
        Show::Count => (
            value
                .map(|v| match v {
                    Value::Array(items) => items.len().to_string(),
                    other => other.to_string(),
                })
                .unwrap_or_default(),
            None,
        ),
        Show::YesNo => (
            value
                .and_then(Value::as_bool)
                .map(|b| {
                    if b {
                        lang.pick("是", "yes")
                    } else {
                        lang.pick("否", "no")
                    }
                    .to_owned()
                })
                .unwrap_or_default(),
            None,
        ),
    }
}

/// The level a record shows (its `level`, or its marking's).
fn record_level(record: &Value) -> Option<&str> {
    record
        .get("level")
        .and_then(Value::as_str)
        .or_else(|| record.pointer("/marking/level").and_then(Value::as_str))
}

fn options(table: &[(&str, &str, &str)], lang: Lang) -> Vec<Value> {
    table
        .iter()
        .map(|(code, zh, en)| json!({ "code": code, "label": lang.pick(zh, en) }))
        .collect()
}

/// The query the list forwards to the API: non-empty parameters the API knows.
fn forwarded_query(uri: &Uri) -> Vec<(String, String)> {
    const KNOWN: [&str; 10] = [
        "q", "status", "level", "unit", "holder", "due_by", "sort", "order", "page", "per_page",
    ];
    uri.query()
        .unwrap_or("")
        .split('&')
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (KNOWN.contains(&k) && !v.is_empty()).then(|| (k.to_owned(), v.to_owned()))
        })
        .collect()
}

fn query_string(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

pub(super) fn decoded(value: &str) -> String {
    let bytes = value.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes.get(i), bytes.get(i + 1), bytes.get(i + 2)) {
            (Some(b'%'), Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                let byte = hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0);
                out.push(u8::try_from(byte).unwrap_or(b'?'));
                i += 3;
            }
            (Some(&b), _, _) => {
                out.push(b);
                i += 1;
            }
            _ => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn list(web: &Web, ledger: &'static Ledger, headers: &HeaderMap, uri: &Uri) -> PageResult {
    let principal = who(web, headers, ledger.api).await?;
    let lang = principal.lang;
    let pairs = forwarded_query(uri);
    let raw = query_string(&pairs);
    let body = read(web, &principal, headers, &format!("{}?{raw}", ledger.api)).await?;
    let dir = Directory::load(web)
        .await
        .map_err(|e| super::pages::error_page(web, &e, lang))?;
    let items: Vec<Value> = super::items_of(&body);
    let mut levels_shown: Vec<String> = Vec::new();
    let rows: Vec<Value> = items
        .iter()
        .map(|item| {
            if let Some(level) = record_level(item) {
                levels_shown.push(level.to_owned());
            }
            let id = item.get("id").cloned().unwrap_or(Value::Null);
            let cells: Vec<Value> = ledger
                .columns
                .iter()
                .map(|c| {
                    let (text, level) = cell(item, c, lang, &dir);
                    json!({ "text": text, "level": level, "link": c.show == Show::Link })
                })
                .collect();
            json!({ "id": id, "cells": cells })
        })
        .collect();
    let banner = highest(
        levels_shown.iter().map(String::as_str),
        web.state.config.system_level,
    );
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| decoded(v))
    };
    let page = body.get("page").and_then(Value::as_u64).unwrap_or(1);
    let per_page = body.get("per_page").and_then(Value::as_u64).unwrap_or(50);
    let total = body.get("total").and_then(Value::as_u64).unwrap_or(0);
    // Past 10,000 the API stops counting: there are more pages than the count shows.
    let total_capped = body
        .get("total_capped")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let link_to = |p: u64| {
        let mut kept: Vec<(String, String)> =
            pairs.iter().filter(|(k, _)| k != "page").cloned().collect();
        kept.push(("page".into(), p.to_string()));
        format!("/{}?{}", ledger.key, query_string(&kept))
    };
    let filters: Vec<(String, String)> = pairs
        .iter()
        .filter(|(k, _)| k != "page" && k != "per_page")
        .cloned()
        .collect();
    let export = ledger.export.then(|| {
        let q = query_string(&filters);
        json!({
            "csv": format!("{}/export?{q}&format=csv", ledger.api),
            "xlsx": format!("{}/export?{q}&format=xlsx", ledger.api),
        })
    });
    let context = json!({
        "ledger": {
            "key": ledger.key,
            "title": ledger.title,
            "levels": ledger.levels,
            "create": ledger.create.map(|a| a.label),
        },
        "columns": ledger.columns.iter().map(|c| c.label).collect::<Vec<_>>(),
        "rows": rows,
        "page": page,
        "pages": total.div_ceil(per_page.max(1)).max(1),
        "total": total,
        "total_capped": total_capped,
        "prev": (page > 1).then(|| link_to(page - 1)),
        "next": (page * per_page < total || total_capped).then(|| link_to(page + 1)),
        "levels": options(LEVELS, lang),
        "statuses": options(ledger.statuses, lang),
        "sorts": ledger.sorts,
        "export": export,
        "query": {
            "q": get("q"),
            "level": get("level"),
            "status": get("status"),
            "sort": get("sort"),
            "order": get("order"),
            "per_page": get("per_page").unwrap_or_else(|| "50".into()),
        },
    });
    let path = format!("/{}?{raw}", ledger.key);
    Ok(render(
        "ledger.html",
        StatusCode::OK,
        lang,
        banner,
        merge(base(web, &principal, &path, ledger.key), context),
    ))
}

/// The form fields of `action` for the template, with the options they need.
pub(super) fn form_fields(
    action: &Action,
    lang: Lang,
    dir: &Directory,
    principal: &Principal,
) -> Vec<Value> {
    let own_unit = dir
        .people
        .get(&principal.id().0)
        .and_then(|(_, unit)| *unit);
    let people: Vec<Value> = dir
        .people
        .iter()
        .filter(|(_, (_, unit))| own_unit.is_none() || *unit == own_unit)
        .map(|(id, (name, _))| json!({ "code": id.to_string(), "label": name }))
        .collect();
    let units: Vec<Value> = dir
        .units
        .iter()
        .map(|(id, (name, _))| json!({ "code": id.to_string(), "label": name }))
        .collect();
    let departments: Vec<Value> = dir
        .units
        .iter()
        .filter(|(id, _)| own_unit.is_none() || Some(**id) == own_unit)
        .flat_map(|(_, (_, deps))| deps.iter())
        .map(|(id, name)| json!({ "code": id.to_string(), "label": name }))
        .collect();
    action
        .fields
        .iter()
        .map(|f| {
            let (kind, opts) = match f.input {
                Input::Text => ("text", Vec::new()),
                Input::Password => ("password", Vec::new()),
                Input::Words => ("text", Vec::new()),
                Input::Long => ("long", Vec::new()),
                Input::Date => ("date", Vec::new()),
                Input::Number => ("number", Vec::new()),
                Input::Check => ("check", Vec::new()),
                Input::Person => ("choice", people.clone()),
                Input::Scope => ("multi", people.clone()),
                Input::Unit => ("choice", units.clone()),
                Input::Departments => ("multi", departments.clone()),
                Input::Department => ("choice", departments.clone()),
                Input::Choice(t) => ("choice", options(t, lang)),
                Input::Choices(t) => ("checks", options(t, lang)),
            };
            json!({
                "name": f.name,
                "id": format!(
                    "{}-{}",
                    action.key,
                    f.name.replace("[]", "").replace(['.', '@'], "-")
                ),
                "label": f.label,
                "kind": kind,
                "options": opts,
                "required": f.required,
            })
        })
        .collect()
}

/// The JSON body of a submitted form: each field converted by its kind; empty fields left out.
pub(super) fn form_body(action: &Action, form: &[(String, String)]) -> Value {
    let mut body = Map::new();
    for f in action.fields {
        // `arrangement.technician@on_site`: sent as `arrangement.technician`, and only when
        // the form's `arrangement.kind` is `on_site` (a tagged variant's own field).
        let (name, variant) = match f.name.split_once('@') {
            Some((name, variant)) => (name, Some(variant)),
            None => (f.name, None),
        };
        if let Some(variant) = variant {
            let kind_field = match name.rsplit_once('.') {
                Some((prefix, _)) => format!("{prefix}.kind"),
                None => "kind".to_owned(),
            };
            let chosen = form
                .iter()
                .find(|(k, _)| *k == kind_field)
                .map(|(_, v)| v.trim());
            if chosen != Some(variant) {
                continue;
            }
        }
        let given: Vec<&str> = form
            .iter()
            .filter(|(k, _)| k == f.name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
            .collect();
        let value = match f.input {
            Input::Check => Some(Value::Bool(
                given.iter().any(|v| *v == "on" || *v == "true"),
            )),
            Input::Departments => Some(Value::Array(
                given
                    .iter()
                    .filter_map(|v| v.parse::<i64>().ok())
                    .map(Value::from)
                    .collect(),
            )),
            Input::Scope => {
                let persons: Vec<Value> = given
                    .iter()
                    .filter_map(|v| v.parse::<i64>().ok())
                    .map(Value::from)
                    .collect();
                // No one named: no scope sent (a carrier then takes its matter's).
                (!persons.is_empty()).then(|| json!({ "persons": persons, "groups": [] }))
            }
            Input::Words => Some(Value::Array(
                given
                    .iter()
                    .flat_map(|v| v.split(['、', '，', ',', ';', '；']))
                    .map(str::trim)
                    .filter(|w| !w.is_empty())
                    .map(Value::from)
                    .collect(),
            )),
            Input::Choices(_) => Some(Value::Array(
                given.iter().map(|v| Value::from(*v)).collect(),
            )),
            Input::Number | Input::Person | Input::Unit | Input::Department => {
                given.first().map(|v| {
                    v.parse::<i64>()
                        .map_or_else(|_| Value::from(*v), Value::from)
                })
            }
            Input::Text | Input::Password | Input::Long | Input::Date | Input::Choice(_) => {
                given.first().map(|v| Value::from(*v))
            }
        };
        // A variant's own text left empty is sent empty, so that the core refuses it with its
        // rule (an unnamed destruction body, R3.9) rather than the body failing to parse.
        let value = match (value, f.input, variant) {
            (None, Input::Text, Some(_)) => Some(Value::from("")),
            (value, _, _) => value,
        };
        let Some(value) = value else {
            continue;
        };
        insert_at(&mut body, name, value);
    }
    Value::Object(body)
}

/// A form's fields filled with the record's current values where the record has a plain
/// value of the same name (a device's holder, department and location on "assign"): a form
/// that replaces what it names must not silently clear what the user left untouched.
fn current_values(action: &Action, record: &Value) -> Value {
    let mut values = Map::new();
    for f in action.fields {
        // Only where a thing is and who has it; never numbers, marks or reasons.
        if !matches!(f.name, "holder" | "department" | "location") {
            continue;
        }
        let text = match record.get(f.name) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            _ => continue,
        };
        values.insert(f.name.to_owned(), json!([text]));
    }
    Value::Object(values)
}

/// Puts `value` at the dotted `name` (`method.kind`) in `body`, making the objects on the way.
fn insert_at(body: &mut Map<String, Value>, name: &str, value: Value) {
    match name.split_once('.') {
        None => {
            body.insert(name.to_owned(), value);
        }
        // `found[].number`: the fields of the one line of a list (`{"found":[{…}]}`).
        Some((head, rest)) if head.ends_with("[]") => {
            let list = body
                .entry(head.trim_end_matches("[]").to_owned())
                .or_insert_with(|| json!([{}]));
            if !matches!(list.get(0), Some(Value::Object(_))) {
                *list = json!([{}]);
            }
            if let Some(Value::Object(line)) = list.get_mut(0) {
                insert_at(line, rest, value);
            }
        }
        Some((head, rest)) => {
            let entry = body
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            if let Value::Object(inner) = entry {
                insert_at(inner, rest, value);
            }
        }
    }
}

/// The submitted values, to fill the form again after a refusal.
fn kept_values(form: &[(String, String)]) -> Value {
    let mut kept: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (k, v) in form {
        if k != "csrf" {
            kept.entry(k.as_str()).or_default().push(v.as_str());
        }
    }
    json!(kept)
}

pub(super) fn csrf_of(form: &[(String, String)]) -> &str {
    form.iter()
        .find(|(k, _)| k == "csrf")
        .map_or("", |(_, v)| v.as_str())
}

/// Normalises a record's own history lines (matters, proposals, carriers, devices write them
/// differently) to when / who / what / note.
fn own_history(record: &Value, lang: Lang, dir: &Directory) -> Vec<Value> {
    let Some(lines) = record.get("history").and_then(Value::as_array) else {
        return Vec::new();
    };
    lines
        .iter()
        .map(|line| {
            let when = line
                .get("at")
                .or_else(|| line.get("on"))
                .and_then(Value::as_str)
                .map(|d| day_text(d, lang))
                .unwrap_or_default();
            let by = line
                .get("by")
                .and_then(Value::as_i64)
                .map(|id| dir.person(id));
            let pick = |zh: &str, en: &str| {
                line.get(lang.pick(zh, en))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let what = pick("action_zh", "action_en")
                .or_else(|| pick("command_zh", "command_en"))
                .or_else(|| {
                    line.get("action").and_then(Value::as_str).map(|a| {
                        let (zh, en) = action_words(a);
                        lang.pick(&zh, &en).to_owned()
                    })
                })
                .unwrap_or_default();
            let mut note = line
                .get("reason")
                .or_else(|| line.get("note"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            if let Some(approver) = line.get("approved_by").and_then(Value::as_i64) {
                let approved = lang.pick("批准人", "approved by");
                note = format!("{note} {approved}: {}", dir.person(approver))
                    .trim()
                    .to_owned();
            }
            let rule = line
                .get("rule")
                .or_else(|| line.pointer("/refusal/rule"))
                .cloned()
                .unwrap_or(Value::Null);
            json!({ "when": when, "who": by, "what": what, "note": note, "rule": rule })
        })
        .collect()
}

/// Words for the action codes of history lines and audit entries (`carrier.lend` → 借出).
fn action_words(code: &str) -> (String, String) {
    const WORDS: &[(&str, &str, &str)] = &[
        ("register", "登记", "registered"),
        ("read", "查看", "read"),
        ("list", "查看列表", "listed"),
        ("history", "查看历史", "history read"),
        ("export", "导出", "exported"),
        ("take_into_custody", "签收保管", "taken into custody"),
        ("lend", "借出", "lent"),
        ("return", "归还", "returned"),
        ("transmit", "传递", "transmitted"),
        ("receive", "接收", "received"),
        ("carry_out", "携带外出", "carried out"),
        ("carry-out", "携带外出", "carried out"),
        ("repair", "维修", "sent for repair"),
        ("destroy", "销毁", "destroyed"),
        ("declassify", "解密", "declassified"),
        ("remark", "变更标志", "re-marked"),
        ("release", "解除管理", "released"),
        ("copy", "复制", "copied"),
        ("copied", "复制", "copied"),
        ("approve", "批准", "approved"),
        ("refuse", "不予批准", "refused"),
        ("request", "提出申请", "requested"),
        ("training", "登记培训", "training recorded"),
        ("commitment", "签订保密承诺书", "commitment signed"),
        ("leave", "离岗", "left the post"),
        ("roles", "设置角色", "roles set"),
        ("commission", "启用", "commissioned"),
        ("assign", "分配", "assigned"),
        ("password", "更换口令", "password changed"),
        ("scrap", "报废", "scrapped"),
        ("review", "审核", "reviewed"),
        ("extend", "延长保密期限", "extended"),
        ("change", "变更", "changed"),
        ("propose", "提出定密意见", "proposed"),
        ("file", "提出定密意见", "proposed"),
    ];
    let last = code.rsplit('.').next().unwrap_or(code);
    WORDS.iter().find(|(c, _, _)| *c == last).map_or_else(
        || (code.to_owned(), code.to_owned()),
        |(_, zh, en)| ((*zh).to_owned(), (*en).to_owned()),
    )
}

/// The approval chain of a record (its `approvals`), names and words resolved.
fn approval_chain(record: &Value, lang: Lang, dir: &Directory) -> Vec<Value> {
    let Some(requests) = record.get("approvals").and_then(Value::as_array) else {
        return Vec::new();
    };
    requests
        .iter()
        .map(|r| {
            let steps: Vec<Value> = r
                .get("steps")
                .and_then(Value::as_array)
                .map(|steps| {
                    steps
                        .iter()
                        .map(|s| {
                            let outcome = s.get("outcome").and_then(Value::as_str).unwrap_or("");
                            let (zh, en) = code_words(outcome);
                            json!({
                                "when": s.get("at").and_then(Value::as_str).map(|d| day_text(d, lang)),
                                "who": s.get("by").and_then(Value::as_i64).map(|id| dir.person(id)),
                                "outcome": lang.pick(&zh, &en),
                                "reason": s.get("reason"),
                                "rule": s.get("rule"),
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            let status = r.get("status").and_then(Value::as_str).unwrap_or("");
            let (zh, en) = code_words(status);
            json!({
                "id": r.get("id"),
                "title": r.get("title"),
                "status": lang.pick(&zh, &en),
                "requested_by": r.get("requested_by").and_then(Value::as_i64).map(|id| dir.person(id)),
                "requested_at": r.get("requested_at").and_then(Value::as_str).map(|d| day_text(d, lang)),
                "steps": steps,
            })
        })
        .collect()
}

/// The audit trail about a record as the API lets this person see it (R13.2).
async fn trail(
    web: &Web,
    principal: &Principal,
    headers: &HeaderMap,
    kind: &str,
    id: i64,
) -> Result<Vec<Value>, Response> {
    let body = read(
        web,
        principal,
        headers,
        &format!("/api/v1/records/{kind}/{id}/history"),
    )
    .await?;
    let lang = principal.lang;
    Ok(super::items_of(&body)
        .iter()
        .map(|e| {
            let action = e.get("action").and_then(Value::as_str).unwrap_or("");
            let (zh, en) = action_words(action);
            let outcome = e.get("outcome").and_then(Value::as_str).unwrap_or("");
            json!({
                "seq": e.get("seq"),
                "when": e.get("at_local"),
                "who": e.pointer("/actor/name"),
                "what": lang.pick(&zh, &en),
                "code": action,
                "outcome": outcome,
                "reason": e.get("reason"),
            })
        })
        .collect())
}

async fn record(
    web: &Web,
    ledger: &'static Ledger,
    headers: &HeaderMap,
    id: i64,
    done: Option<&str>,
    refusal: Option<(Value, &str, Value, StatusCode)>,
) -> PageResult {
    let principal = who(web, headers, ledger.api).await?;
    let lang = principal.lang;
    let body = read(web, &principal, headers, &format!("{}/{id}", ledger.api)).await?;
    let dir = Directory::load(web)
        .await
        .map_err(|e| super::pages::error_page(web, &e, lang))?;
    let history = match ledger.history {
        History::Trail(kind) => trail(web, &principal, headers, kind, id).await?,
        History::Own => Vec::new(),
    };
    let fields: Vec<Value> = ledger
        .fields
        .iter()
        .filter_map(|c| {
            let (text, level) = cell(&body, c, lang, &dir);
            (!text.is_empty()).then(|| json!({ "label": c.label, "text": text, "level": level }))
        })
        .collect();
    let status = body.get("status").and_then(Value::as_str).unwrap_or("");
    let (failed_action, failed_status) = match &refusal {
        Some((_, action, _, status)) => (Some(*action), *status),
        None => (None, StatusCode::OK),
    };
    let actions: Vec<Value> = ledger
        .actions
        .iter()
        .filter(|a| a.when.is_empty() || a.when.contains(&status) || failed_action == Some(a.key))
        .map(|a| {
            let failed = failed_action == Some(a.key);
            json!({
                "key": a.key,
                "label": a.label,
                "fields": form_fields(a, lang, &dir, &principal),
                "open": failed,
                "refusal": refusal.as_ref().filter(|_| failed).map(|r| r.0.clone()),
                "values": refusal
                    .as_ref()
                    .filter(|_| failed)
                    .map_or_else(|| current_values(a, &body), |r| r.2.clone()),
            })
        })
        .collect();
    let title = ["title", "name", "number"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_str))
        .unwrap_or_default();
    let banner = highest(record_level(&body), web.state.config.system_level);
    let done = done.map(|d| {
        let (zh, en) = action_words(d);
        lang.pick(&zh, &en).to_owned()
    });
    let context = json!({
        "ledger": { "key": ledger.key, "title": ledger.title },
        "id": id,
        "title": title,
        "level": record_level(&body),
        "fields": fields,
        "own_history": own_history(&body, lang, &dir),
        "history": history,
        "trail": matches!(ledger.history, History::Trail(_)),
        "approvals": approval_chain(&body, lang, &dir),
        "has_loan": body
            .get("history")
            .and_then(Value::as_array)
            .is_some_and(|lines| lines.iter().any(|l| l.get("action") == Some(&json!("lend")))),
        "actions": actions,
        "done": done,
    });
    let path = format!("/{}/{id}", ledger.key);
    Ok(render(
        "record.html",
        failed_status,
        lang,
        banner,
        merge(base(web, &principal, &path, ledger.key), context),
    ))
}

async fn act(
    web: &Web,
    ledger: &'static Ledger,
    headers: &HeaderMap,
    id: i64,
    action: &str,
    form: &[(String, String)],
) -> PageResult {
    let Some(spec) = ledger.actions.iter().find(|a| a.key == action) else {
        return Err(StatusCode::NOT_FOUND.into_response());
    };
    let body = form_body(spec, form);
    let answer = web
        .call(
            Method::POST,
            &spec.api.replace("{id}", &id.to_string()),
            headers,
            Some(csrf_of(form)),
            Some(body),
        )
        .await
        .map_err(|e| super::pages::error_page(web, &e, e.lang))?;
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(see_other("/login"));
    }
    if answer.ok() {
        // An action that waits for approval answers 202 with its request.
        let done = if answer.status == StatusCode::ACCEPTED {
            "request"
        } else {
            spec.key
        };
        return Ok(see_other(&format!("/{}/{id}?done={done}", ledger.key)));
    }
    record(
        web,
        ledger,
        headers,
        id,
        None,
        Some((
            refusal_of(&answer),
            spec.key,
            kept_values(form),
            answer.status,
        )),
    )
    .await
}

async fn new_form(
    web: &Web,
    ledger: &'static Ledger,
    headers: &HeaderMap,
    refusal: Option<Value>,
    form: &[(String, String)],
    status: StatusCode,
) -> PageResult {
    let Some(spec) = ledger.create else {
        return Err(StatusCode::NOT_FOUND.into_response());
    };
    let principal = who(web, headers, ledger.api).await?;
    let lang = principal.lang;
    let dir = Directory::load(web)
        .await
        .map_err(|e| super::pages::error_page(web, &e, lang))?;
    let context = json!({
        "ledger": { "key": ledger.key, "title": ledger.title },
        "action": {
            "key": spec.key,
            "label": spec.label,
            "fields": form_fields(spec, lang, &dir, &principal),
            "refusal": refusal,
            "values": kept_values(form),
        },
    });
    let path = format!("/{}/new", ledger.key);
    Ok(render(
        "new.html",
        status,
        lang,
        web.state.config.system_level,
        merge(base(web, &principal, &path, ledger.key), context),
    ))
}

async fn create(
    web: &Web,
    ledger: &'static Ledger,
    headers: &HeaderMap,
    form: &[(String, String)],
) -> PageResult {
    let Some(spec) = ledger.create else {
        return Err(StatusCode::NOT_FOUND.into_response());
    };
    let answer = web
        .call(
            Method::POST,
            spec.api,
            headers,
            Some(csrf_of(form)),
            Some(form_body(spec, form)),
        )
        .await
        .map_err(|e| super::pages::error_page(web, &e, e.lang))?;
    if answer.status == StatusCode::UNAUTHORIZED {
        return Err(see_other("/login"));
    }
    if answer.ok() {
        // The new record's id: at the top (`{"id":…}`) or in the record answered beside its
        // approval request (`{"proposal":{"id":…},"approval":…}`).
        let id = answer.body.get("id").and_then(Value::as_i64).or_else(|| {
            answer
                .body
                .as_object()?
                .values()
                .find_map(|v| v.get("id").and_then(Value::as_i64))
        });
        if let Some(id) = id {
            return Ok(see_other(&format!("/{}/{id}?done=register", ledger.key)));
        }
        return Ok(see_other(&format!("/{}", ledger.key)));
    }
    new_form(
        web,
        ledger,
        headers,
        Some(refusal_of(&answer)),
        form,
        answer.status,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn action(key: &str, ledger: &Ledger) -> &'static Action {
        let found = LEDGERS
            .iter()
            .find(|l| l.key == ledger.key)
            .and_then(|l| l.actions.iter().find(|a| a.key == key));
        match found {
            Some(a) => a,
            None => unreachable!("no action {key}"),
        }
    }

    /// R3.9: the destruction form builds the tagged method the API expects; unticked boxes
    /// are `false`, empty fields are left out, numbers are numbers.
    #[test]
    fn r3_9_destruction_form_builds_the_nested_method() {
        let destroy = action("destroy", &CARRIERS);
        let body = form_body(
            destroy,
            &form(&[
                ("csrf", "x"),
                ("method.kind", "designated_body"),
                ("method.body@designated_body", "市保密局销毁中心"),
                ("method.packed@designated_body", "on"),
                ("method.supervisor@designated_body", "2"),
                ("method.equipment@in_house", "不该出现"),
                ("reason", "  已过保存期  "),
            ]),
        );
        assert_eq!(
            body,
            json!({
                "method": {
                    "kind": "designated_body",
                    "body": "市保密局销毁中心",
                    "packed": true,
                    "transported_safely": false,
                    "supervisor": 2,
                },
                "reason": "已过保存期",
            })
        );
        // The body left empty is sent empty: the core refuses it by its rule (R3.9), not the
        // parser.
        let body = form_body(destroy, &form(&[("method.kind", "designated_body")]));
        assert_eq!(body["method"]["body"], "");
    }

    /// R3.8: a repair sends only the chosen arrangement's own fields, under their real names.
    #[test]
    fn r3_8_repair_form_sends_the_chosen_variant_only() {
        let repair = action("repair", &CARRIERS);
        let body = form_body(
            repair,
            &form(&[
                ("arrangement.kind", "on_site"),
                ("arrangement.technician@in_house", "3"),
                ("arrangement.technician@on_site", "某公司 王工"),
                ("arrangement.supervisor@on_site", "2"),
                ("arrangement.repairer@sent_out", "不该出现"),
                ("reason", "打印机卡纸"),
            ]),
        );
        assert_eq!(
            body,
            json!({
                "arrangement": { "kind": "on_site", "technician": "某公司 王工", "supervisor": 2 },
                "reason": "打印机卡纸",
            })
        );
    }

    /// R1.7: a scope of named persons is sent whole (persons and no groups); none named sends
    /// no scope at all.
    #[test]
    fn r1_7_scope_field_sends_persons_and_groups() {
        let register = match CARRIERS.create {
            Some(a) => a,
            None => unreachable!(),
        };
        let body = form_body(
            register,
            &form(&[("scope", "2"), ("scope", "5"), ("number", "X-1")]),
        );
        assert_eq!(body["scope"], json!({ "persons": [2, 5], "groups": [] }));
        let body = form_body(register, &form(&[("number", "X-1")]));
        assert!(body.get("scope").is_none(), "{body}");
    }

    /// Every label a ledger, column, field or action names has words in both languages.
    #[test]
    fn every_label_has_words_in_both_languages() {
        let zh = super::super::texts(Lang::Zh);
        let en = super::super::texts(Lang::En);
        let mut labels: Vec<&str> = Vec::new();
        for ledger in LEDGERS {
            labels.push(ledger.title);
            labels.extend(ledger.columns.iter().map(|c| c.label));
            labels.extend(ledger.fields.iter().map(|c| c.label));
            for a in ledger.create.iter().copied().chain(ledger.actions.iter()) {
                labels.push(a.label);
                labels.extend(a.fields.iter().map(|f| f.label));
            }
            labels.extend(ledger.sorts.iter().map(|s| match *s {
                "id" => "sort_id",
                "title" => "sort_title",
                "level" => "sort_level",
                "status" => "sort_status",
                "due" => "sort_due",
                "updated" => "sort_updated",
                "number" => "sort_number",
                other => other,
            }));
        }
        use super::super::consoles::{AUTHORISE, GRANT, NEW_ACCOUNT};
        for a in [&NEW_ACCOUNT, &GRANT, &AUTHORISE] {
            labels.push(a.label);
            labels.extend(a.fields.iter().map(|f| f.label));
        }
        for label in labels {
            assert!(zh.get(label).is_some(), "no Chinese for {label}");
            assert!(en.get(label).is_some(), "no English for {label}");
        }
    }

    /// Every option a form offers is a code the API accepts: each is read back as the core's
    /// own type (R3.1 carrier kinds and states, R4.1 device kinds, R2.1 categories, R2.2
    /// conditions, R1.9 grounds, R3.6 destinations, R4.7 disposals, R1.1 levels, R5.3 roles).
    #[test]
    fn r3_1_r4_1_form_options_are_the_cores_codes() {
        use baomi_core::{access, carriers, determination, devices, marks, personnel};
        fn all<T: serde::de::DeserializeOwned>(table: &[(&str, &str, &str)]) {
            for (code, _, _) in table {
                assert!(
                    serde_json::from_value::<T>(json!(code)).is_ok(),
                    "{code} is not a {}",
                    std::any::type_name::<T>()
                );
            }
        }
        all::<carriers::CarrierKind>(CARRIER_KINDS);
        all::<carriers::CarrierStatus>(CARRIERS.statuses);
        all::<carriers::CarryDestination>(DESTINATIONS);
        all::<devices::DeviceKind>(DEVICE_KINDS);
        all::<devices::Disposal>(DISPOSALS);
        all::<personnel::Category>(CATEGORIES);
        all::<personnel::AppointmentCondition>(CHECKLIST);
        all::<determination::EarlyGround>(EARLY_GROUNDS);
        all::<marks::Level>(LEVELS);
        all::<access::Role>(super::super::consoles::ROLES);
        // And every role is on the form (the API replaces the whole set).
        for role in [
            access::Role::SystemAdministrator,
            access::Role::SecurityAdministrator,
            access::Role::SecurityAuditor,
            access::Role::ConfidentialityOfficer,
            access::Role::UnitHead,
            access::Role::Classifier,
        ] {
            let code = serde_json::to_value(role).unwrap_or_default();
            assert!(
                super::super::consoles::ROLES
                    .iter()
                    .any(|(c, _, _)| code == json!(c)),
                "{role:?} missing from the roles form"
            );
        }
        all::<carriers::ApproverRole>(super::super::consoles::APPROVER_ROLES);
    }

    #[test]
    fn query_values_are_decoded() {
        assert_eq!(decoded("%E7%AE%A1%E7%BD%91+a%2Fb"), "管网 a/b");
        assert_eq!(decoded("100%"), "100%");
    }
}
