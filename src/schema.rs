//! The front-matter schema: which kinds exist, which fields each requires, and what type
//! every field has. It turns the loose YAML values of a page into typed [`FieldValue`]s.
//!
//! The built-in schema requires only `title` and checks the types of the fields that are
//! present, so an existing folder of Markdown builds as it is; a site tightens it, or adds
//! its own fields (培训对象, 层级 …), in `site.toml` (read by [`crate::config`]).

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// The three kinds of training material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Case,
    Guide,
    Policy,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Case, Kind::Guide, Kind::Policy];

    pub fn parse(name: &str) -> Option<Kind> {
        match name {
            "case" | "案例" => Some(Kind::Case),
            "guide" | "操作指南" | "指南" => Some(Kind::Guide),
            "policy" | "政策摘编" | "政策" => Some(Kind::Policy),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Case => "case",
            Kind::Guide => "guide",
            Kind::Policy => "policy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Case => "案例",
            Kind::Guide => "操作指南",
            Kind::Policy => "政策摘编",
        }
    }

    /// The fields shown in a page's metadata panel, in display order.
    pub fn panel_fields(self) -> &'static [&'static str] {
        match self {
            Kind::Policy => &["issuer", "doc_number", "issued", "effective", "status"],
            Kind::Case => &["region", "date", "topics"],
            Kind::Guide => &["audience", "steps", "duration"],
        }
    }
}

/// A calendar date as editors write it: `2024-03-01`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

impl Date {
    /// Today's date where the editor is: the system's local time zone (`TZ` when set). UTC
    /// would date a page made in China before 08:00 the day before.
    pub fn today() -> Date {
        Date::of(chrono::Local::now().date_naive())
    }

    /// A calendar day as the schema holds dates.
    pub fn of(day: chrono::NaiveDate) -> Date {
        use chrono::Datelike;
        Date {
            year: u16::try_from(day.year()).unwrap_or_default(),
            month: day.month() as u8,
            day: day.day() as u8,
        }
    }

    /// Accepts `YYYY-MM-DD` (one-digit month and day too) optionally followed by a time,
    /// and rejects dates that do not exist, such as 2023-02-30.
    pub fn parse(text: &str) -> Option<Date> {
        let date_part = text.trim().split(['T', ' ']).next()?;
        let mut parts = date_part.split('-');
        let year: u16 = parts.next()?.parse().ok()?;
        let month: u8 = parts.next()?.parse().ok()?;
        let day: u8 = parts.next()?.parse().ok()?;
        if parts.next().is_some() || !(1000..=9999).contains(&year) {
            return None;
        }
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days_in_month = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days_in_month)
            .contains(&day)
            .then_some(Date { year, month, day })
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for Date {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldType {
    Text,
    Date,
    List,
    Enum(Vec<String>),
    /// The slug of another page.
    Ref,
    /// A list of slugs of other pages.
    Refs,
    Int,
    Bool,
}

impl FieldType {
    fn describe(&self) -> String {
        match self {
            FieldType::Text => "文字".into(),
            FieldType::Date => "日期（如 2024-03-01）".into(),
            FieldType::List => "列表（如 [甲, 乙]）".into(),
            FieldType::Enum(values) => format!("以下取值之一：{}", values.join("、")),
            FieldType::Ref => "另一页面的 slug".into(),
            FieldType::Refs => "页面 slug 的列表".into(),
            FieldType::Int => "整数".into(),
            FieldType::Bool => "true 或 false".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub ty: FieldType,
    /// The Chinese label shown to readers.
    pub label: String,
    /// Whether the field appears in the metadata panel when present.
    pub shown: bool,
}

/// A front-matter value after type checking.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    Text(String),
    Date(Date),
    List(Vec<String>),
    Int(i64),
    Bool(bool),
}

impl FieldValue {
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[String] {
        match self {
            FieldValue::List(items) => items,
            _ => &[],
        }
    }

    /// Written but empty: `""`, spaces only, or a list with nothing in it. Such a value
    /// does not fill a required field.
    pub fn is_blank(&self) -> bool {
        match self {
            FieldValue::Text(s) => s.trim().is_empty(),
            FieldValue::List(items) => items.iter().all(|item| item.trim().is_empty()),
            _ => false,
        }
    }

    /// The value as one line of text for the metadata panel.
    pub fn display(&self) -> String {
        match self {
            FieldValue::Text(s) => s.clone(),
            FieldValue::Date(d) => d.to_string(),
            FieldValue::List(items) => items.join("、"),
            FieldValue::Int(n) => n.to_string(),
            FieldValue::Bool(true) => "是".into(),
            FieldValue::Bool(false) => "否".into(),
        }
    }
}

/// Why a value does not fit its field; the caller adds the position.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    pub invalid_date: bool,
    pub invalid_enum: bool,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct Schema {
    fields: BTreeMap<String, FieldSpec>,
    /// Fields declared beyond the built-in ones, in name order.
    custom: Vec<String>,
    required_all: Vec<String>,
    required_by_kind: BTreeMap<Kind, Vec<String>>,
    /// Fields read without a type of their own: the taxonomies' names beyond the built-in
    /// ones (a site's `[taxonomies] 专题 = "专题"`).
    untyped: Vec<String>,
}

/// A policy's status (效力), the built-in values of the `status` field. A site may declare
/// other values for the field; those have no `Status`: they are shown as written, with the
/// badge class `other`, and listed after these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Current,
    Revised,
    Repealed,
}

impl Status {
    /// In the order the schema's message, status views and badges follow.
    pub const ALL: [Status; 3] = [Status::Current, Status::Revised, Status::Repealed];

    /// As editors write it in front matter and readers see it.
    pub fn label(self) -> &'static str {
        match self {
            Status::Current => "现行有效",
            Status::Revised => "已修订",
            Status::Repealed => "已废止",
        }
    }

    /// The badge's class (`sy-status-current`), which also names the status view's file
    /// and reaches the browser's search results through every page
    /// (`<meta name="shuyuan-statuses">`).
    pub fn class(self) -> &'static str {
        match self {
            Status::Current => "current",
            Status::Revised => "revised",
            Status::Repealed => "repealed",
        }
    }

    pub fn from_label(text: &str) -> Option<Status> {
        Status::ALL
            .into_iter()
            .find(|status| status.label() == text)
    }
}

impl Schema {
    pub fn builtin() -> Schema {
        use FieldType::*;
        let mut schema = Schema {
            fields: BTreeMap::new(),
            custom: Vec::new(),
            required_all: vec!["title".into()],
            required_by_kind: BTreeMap::new(),
            untyped: Vec::new(),
        };
        let statuses = Enum(Status::ALL.iter().map(|s| s.label().to_string()).collect());
        let builtin: [(&str, FieldType, &str, bool); 22] = [
            ("title", Text, "标题", false),
            ("kind", Text, "类型", false),
            ("summary", Text, "摘要", false),
            ("date", Date, "日期", true),
            ("updated", Date, "更新日期", false),
            ("tags", List, "标签", false),
            ("topics", List, "专题", true),
            ("region", Text, "地区", true),
            ("weight", Int, "排序权重", false),
            ("draft", Bool, "草稿", false),
            ("slug", Text, "slug", false),
            ("aliases", List, "旧地址", false),
            ("issuer", Text, "发文机关", true),
            ("doc_number", Text, "文号", true),
            ("issued", Date, "发布日期", true),
            ("effective", Date, "施行日期", true),
            ("status", statuses, "状态", true),
            ("superseded_by", Ref, "替代文件", false),
            ("cites", Refs, "引用政策", false),
            ("audience", List, "适用对象", true),
            ("steps", Int, "步骤数", true),
            ("duration", Text, "所需时间", true),
        ];
        for (name, ty, label, shown) in builtin {
            let label = label.to_string();
            schema
                .fields
                .insert(name.to_string(), FieldSpec { ty, label, shown });
        }
        schema
    }

    /// Declares a field of the site's own; re-declaring a built-in one changes it in place.
    pub fn declare(&mut self, name: String, spec: FieldSpec) {
        if !self.fields.contains_key(&name) {
            let at = self.custom.binary_search(&name).unwrap_or_else(|at| at);
            self.custom.insert(at, name.clone());
        }
        self.fields.insert(name, spec);
    }

    pub fn require_for_all(&mut self, fields: Vec<String>) {
        for field in fields {
            if !self.required_all.contains(&field) {
                self.required_all.push(field);
            }
        }
    }

    pub fn require_for(&mut self, kind: Kind, fields: Vec<String>) {
        self.required_by_kind
            .entry(kind)
            .or_default()
            .extend(fields);
    }

    /// Declares a field the site reads without a type of its own (a taxonomy's name).
    pub fn declare_untyped(&mut self, name: String) {
        if !self.fields.contains_key(&name) && !self.untyped.contains(&name) {
            self.untyped.push(name);
        }
    }

    /// Whether some part of the site reads the field `name`.
    pub fn is_known(&self, name: &str) -> bool {
        self.fields.contains_key(name) || self.untyped.iter().any(|n| n == name)
    }

    /// Every field the site reads, with its Chinese label where it has one.
    pub fn known_names(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.fields
            .iter()
            .map(|(name, spec)| (name.as_str(), Some(spec.label.as_str())))
            .chain(self.untyped.iter().map(|name| (name.as_str(), None)))
    }

    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.get(name)
    }

    /// Site-declared fields beyond the built-in ones, in name order.
    pub fn custom_fields(&self) -> impl Iterator<Item = (&str, &FieldSpec)> {
        self.custom
            .iter()
            .filter_map(|name| self.fields.get_key_value(name))
            .map(|(name, spec)| (name.as_str(), spec))
    }

    pub fn required(&self, kind: Option<Kind>) -> Vec<&str> {
        let mut fields: Vec<&str> = self.required_all.iter().map(String::as_str).collect();
        if let Some(list) = kind.and_then(|k| self.required_by_kind.get(&k)) {
            fields.extend(list.iter().map(String::as_str));
        }
        fields.dedup();
        fields
    }

    pub fn all_required(&self) -> Vec<String> {
        let mut all = self.required_all.clone();
        all.extend(self.required_by_kind.values().flatten().cloned());
        all
    }

    /// Checks one YAML value against its field's type. Fields the schema does not know are
    /// kept as text or lists when they are simple, and otherwise ignored.
    pub fn check(
        &self,
        name: &str,
        value: &serde_json::Value,
    ) -> Result<Option<FieldValue>, FieldError> {
        let Some(spec) = self.fields.get(name) else {
            return Ok(loose(value));
        };
        check_type(&spec.ty, value).map(Some)
    }
}

fn loose(value: &serde_json::Value) -> Option<FieldValue> {
    use serde_json::Value as J;
    match value {
        J::String(s) => Some(FieldValue::Text(without_controls(s))),
        J::Number(n) => Some(FieldValue::Text(n.to_string())),
        J::Bool(b) => Some(FieldValue::Bool(*b)),
        J::Array(items) => items
            .iter()
            .map(scalar_text)
            .collect::<Option<Vec<_>>>()
            .map(FieldValue::List),
        _ => None,
    }
}

/// `text` without control characters other than line breaks and tabs. YAML escapes
/// (`"\u0000"`, `"\u000b"`) put them in a title or summary, and from there they went raw
/// into `<title>`, `<meta name="description">` and every list showing the page.
fn without_controls(text: &str) -> String {
    text.chars()
        .filter(|&c| !c.is_control() || c == '\n' || c == '\t')
        .collect()
}

fn scalar_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(without_controls(s)),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn type_error(ty: &FieldType, value: &serde_json::Value) -> FieldError {
    let found = match value {
        serde_json::Value::Null => "空值",
        serde_json::Value::Bool(_) => "布尔值",
        serde_json::Value::Number(_) => "数字",
        serde_json::Value::String(_) => "文字",
        serde_json::Value::Array(_) => "列表",
        serde_json::Value::Object(_) => "键值表",
    };
    FieldError {
        invalid_date: false,
        invalid_enum: false,
        message: format!("应为{}，实际是{found}", ty.describe()),
    }
}

fn check_type(ty: &FieldType, value: &serde_json::Value) -> Result<FieldValue, FieldError> {
    use serde_json::Value as J;
    match (ty, value) {
        (FieldType::Text | FieldType::Ref, v) => scalar_text(v)
            .map(FieldValue::Text)
            .ok_or_else(|| type_error(ty, v)),
        (FieldType::Date, J::String(s)) => Date::parse(s).map(FieldValue::Date).ok_or(FieldError {
            invalid_date: true,
            invalid_enum: false,
            message: format!("日期 `{s}` 无效：应写成 2024-03-01 这样的格式，且是真实存在的日期"),
        }),
        // A single value where a list is expected is what editors mean by a one-item list.
        (FieldType::List | FieldType::Refs, J::String(s)) => Ok(FieldValue::List(vec![s.clone()])),
        (FieldType::List | FieldType::Refs, J::Array(items)) => items
            .iter()
            .map(scalar_text)
            .collect::<Option<Vec<_>>>()
            .map(FieldValue::List)
            .ok_or_else(|| FieldError {
                invalid_date: false,
                invalid_enum: false,
                message: "列表中的每一项都应是文字".into(),
            }),
        (FieldType::Enum(allowed), J::String(s)) => {
            if allowed.contains(s) {
                Ok(FieldValue::Text(s.clone()))
            } else {
                Err(FieldError {
                    invalid_date: false,
                    invalid_enum: true,
                    message: format!("取值 `{s}` 不在允许范围内：{}", allowed.join("、")),
                })
            }
        }
        (FieldType::Int, J::Number(n)) if n.is_i64() => {
            Ok(FieldValue::Int(n.as_i64().unwrap_or_default()))
        }
        (FieldType::Bool, J::Bool(b)) => Ok(FieldValue::Bool(*b)),
        (ty, v) => Err(type_error(ty, v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_a_real_date() {
        let d = Date::today();
        assert!(d.year >= 2024 && Date::parse(&d.to_string()).is_some());
    }

    #[test]
    fn impossible_dates_are_rejected() {
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2023-13-01").is_none());
        assert!(Date::parse("2023-04-31").is_none());
        assert_eq!(Date::parse("2023-4-1").unwrap().to_string(), "2023-04-01");
        assert_eq!(Date::parse("2023-04-01T08:00:00").unwrap().day, 1);
    }

    #[test]
    fn a_single_tag_counts_as_a_list() {
        let schema = Schema::builtin();
        let value = schema.check("tags", &serde_json::json!("社区")).unwrap();
        assert_eq!(value, Some(FieldValue::List(vec!["社区".into()])));
    }

    #[test]
    fn enum_values_are_checked() {
        let schema = Schema::builtin();
        let err = schema
            .check("status", &serde_json::json!("有效"))
            .unwrap_err();
        assert!(err.invalid_enum);
        assert!(err.message.contains("现行有效"));
    }

    #[test]
    fn the_status_field_accepts_exactly_the_statuses_in_their_order() {
        let schema = Schema::builtin();
        let Some(FieldSpec {
            ty: FieldType::Enum(values),
            ..
        }) = schema.field("status")
        else {
            panic!("status is not an enum field");
        };
        let labels: Vec<&str> = Status::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(values, &labels);
        for status in Status::ALL {
            assert_eq!(Status::from_label(status.label()), Some(status));
            let value = schema.check("status", &serde_json::json!(status.label()));
            assert_eq!(
                value.unwrap(),
                Some(FieldValue::Text(status.label().into()))
            );
        }
        let mut classes: Vec<&str> = Status::ALL.iter().map(|s| s.class()).collect();
        classes.sort_unstable();
        classes.dedup();
        assert_eq!(classes.len(), Status::ALL.len(), "classes must differ");
        assert_eq!(Status::from_label("有效"), None);
    }
}
