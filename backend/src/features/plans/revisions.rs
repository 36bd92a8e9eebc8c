//! Plan revisions (pure): what a plan is at a submission (a snapshot) and what changed between
//! two snapshots — months and items added or removed, the fields of an item that changed, the
//! sections rewritten. No queries, no clock.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use utoipa::ToSchema;
use uuid::Uuid;

/// A plan as submitted. Stored as JSON in `plan_revisions.snapshot`; owners are kept by name
/// too, so a summary still reads when an account is renamed or disabled later.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub title: String,
    pub guiding_ideology: String,
    pub goals_and_priorities: String,
    pub measures: String,
    pub items: Vec<SnapItem>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapItem {
    pub id: Uuid,
    pub month: String,
    pub title: String,
    pub category: String,
    pub owner_id: Option<Uuid>,
    pub owner_name: Option<String>,
    pub due_date: Option<String>,
    pub report_to: Option<String>,
    pub notify: Option<String>,
    pub note: Option<String>,
}

/// A part of a plan's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanSection {
    Title,
    GuidingIdeology,
    GoalsAndPriorities,
    Measures,
}

/// A field of a monthly item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemField {
    Month,
    Title,
    Category,
    Owner,
    DueDate,
    /// 报送.
    ReportTo,
    /// 通报.
    Notify,
    Note,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ItemBrief {
    pub id: Uuid,
    /// `YYYY-MM`.
    pub month: String,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldChange {
    pub field: ItemField,
    /// The value at the earlier submission (the owner by name; a category by its value).
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ItemChange {
    pub id: Uuid,
    /// `YYYY-MM`, as it is now.
    pub month: String,
    /// The title as it is now.
    pub title: String,
    pub fields: Vec<FieldChange>,
}

/// What changed from one snapshot to the next; empty lists when nothing did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Changes {
    /// Months that have items now and had none before (`YYYY-MM`).
    pub months_added: Vec<String>,
    /// Months that had items before and have none now.
    pub months_removed: Vec<String>,
    pub items_added: Vec<ItemBrief>,
    pub items_removed: Vec<ItemBrief>,
    pub items_changed: Vec<ItemChange>,
    pub sections_changed: Vec<PlanSection>,
}

#[cfg(test)]
impl Changes {
    pub fn is_empty(&self) -> bool {
        self.months_added.is_empty()
            && self.months_removed.is_empty()
            && self.items_added.is_empty()
            && self.items_removed.is_empty()
            && self.items_changed.is_empty()
            && self.sections_changed.is_empty()
    }
}

fn brief(i: &SnapItem) -> ItemBrief {
    ItemBrief {
        id: i.id,
        month: i.month.clone(),
        title: i.title.clone(),
    }
}

fn months(s: &Snapshot) -> BTreeSet<&str> {
    s.items.iter().map(|i| i.month.as_str()).collect()
}

/// The fields of one item that differ. An owner counts as changed when the account differs
/// (not when only its display name does).
fn item_fields(a: &SnapItem, b: &SnapItem) -> Vec<FieldChange> {
    let mut out = Vec::new();
    let mut push = |field, before: Option<&str>, after: Option<&str>| {
        out.push(FieldChange {
            field,
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        })
    };
    if a.month != b.month {
        push(ItemField::Month, Some(&a.month), Some(&b.month));
    }
    if a.title != b.title {
        push(ItemField::Title, Some(&a.title), Some(&b.title));
    }
    if a.category != b.category {
        push(ItemField::Category, Some(&a.category), Some(&b.category));
    }
    if a.owner_id != b.owner_id {
        push(
            ItemField::Owner,
            a.owner_name.as_deref(),
            b.owner_name.as_deref(),
        );
    }
    let pairs = [
        (ItemField::DueDate, &a.due_date, &b.due_date),
        (ItemField::ReportTo, &a.report_to, &b.report_to),
        (ItemField::Notify, &a.notify, &b.notify),
        (ItemField::Note, &a.note, &b.note),
    ];
    for (field, x, y) in pairs {
        if x != y {
            push(field, x.as_deref(), y.as_deref());
        }
    }
    out
}

/// What changed from `before` to `after`, items matched by id and listed in `after`'s order
/// (removed ones in `before`'s).
pub fn diff(before: &Snapshot, after: &Snapshot) -> Changes {
    let old: BTreeMap<Uuid, &SnapItem> = before.items.iter().map(|i| (i.id, i)).collect();
    let new: BTreeMap<Uuid, &SnapItem> = after.items.iter().map(|i| (i.id, i)).collect();
    let (m0, m1) = (months(before), months(after));
    let mut sections = Vec::new();
    for (s, x, y) in [
        (PlanSection::Title, &before.title, &after.title),
        (
            PlanSection::GuidingIdeology,
            &before.guiding_ideology,
            &after.guiding_ideology,
        ),
        (
            PlanSection::GoalsAndPriorities,
            &before.goals_and_priorities,
            &after.goals_and_priorities,
        ),
        (PlanSection::Measures, &before.measures, &after.measures),
    ] {
        if x != y {
            sections.push(s);
        }
    }
    Changes {
        months_added: m1.difference(&m0).map(|m| (*m).to_owned()).collect(),
        months_removed: m0.difference(&m1).map(|m| (*m).to_owned()).collect(),
        items_added: after
            .items
            .iter()
            .filter(|i| !old.contains_key(&i.id))
            .map(brief)
            .collect(),
        items_removed: before
            .items
            .iter()
            .filter(|i| !new.contains_key(&i.id))
            .map(brief)
            .collect(),
        items_changed: after
            .items
            .iter()
            .filter_map(|i| {
                let fields = item_fields(old.get(&i.id)?, i);
                (!fields.is_empty()).then(|| ItemChange {
                    id: i.id,
                    month: i.month.clone(),
                    title: i.title.clone(),
                    fields,
                })
            })
            .collect(),
        sections_changed: sections,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(n: u128, month: &str, title: &str) -> SnapItem {
        SnapItem {
            id: Uuid::from_u128(n),
            month: month.into(),
            title: title.into(),
            category: "meeting".into(),
            owner_id: None,
            owner_name: None,
            due_date: None,
            report_to: None,
            notify: None,
            note: None,
        }
    }

    fn plan(items: Vec<SnapItem>) -> Snapshot {
        Snapshot {
            title: "计划".into(),
            items,
            ..Snapshot::default()
        }
    }

    #[test]
    fn the_same_plan_has_no_changes() {
        let p = plan(vec![item(1, "2026-03", "保安例会")]);
        assert!(diff(&p, &p).is_empty());
    }

    #[test]
    fn items_and_months_added_and_removed() {
        let a = plan(vec![
            item(1, "2026-03", "保安例会"),
            item(2, "2026-04", "清明值班"),
        ]);
        let b = plan(vec![
            item(1, "2026-03", "保安例会"),
            item(3, "2026-05", "劳动节值班"),
        ]);
        let c = diff(&a, &b);
        assert_eq!(c.months_added, vec!["2026-05"]);
        assert_eq!(c.months_removed, vec!["2026-04"]);
        assert_eq!(c.items_added.len(), 1);
        assert_eq!(c.items_added[0].title, "劳动节值班");
        assert_eq!(c.items_removed[0].title, "清明值班");
        assert!(c.items_changed.is_empty());
    }

    #[test]
    fn changed_fields_are_named_with_before_and_after() {
        let a = plan(vec![item(1, "2026-03", "保安例会")]);
        let mut i = item(1, "2026-03", "保安例会(扩大)");
        i.owner_id = Some(Uuid::from_u128(9));
        i.owner_name = Some("王老师".into());
        i.due_date = Some("2026-03-20".into());
        i.report_to = Some("校办".into());
        i.notify = Some("教师群".into());
        let mut b = plan(vec![i]);
        b.measures = "新措施".into();
        let c = diff(&a, &b);
        let fields: Vec<ItemField> = c.items_changed[0].fields.iter().map(|f| f.field).collect();
        assert_eq!(
            fields,
            vec![
                ItemField::Title,
                ItemField::Owner,
                ItemField::DueDate,
                ItemField::ReportTo,
                ItemField::Notify
            ]
        );
        let owner = &c.items_changed[0].fields[1];
        assert_eq!(owner.before, None);
        assert_eq!(owner.after.as_deref(), Some("王老师"));
        assert_eq!(c.sections_changed, vec![PlanSection::Measures]);
        assert!(c.months_added.is_empty() && c.items_added.is_empty());
    }

    #[test]
    fn a_renamed_owner_is_not_a_change_of_owner() {
        let mut x = item(1, "2026-03", "例会");
        x.owner_id = Some(Uuid::from_u128(9));
        x.owner_name = Some("王老师".into());
        let mut y = x.clone();
        y.owner_name = Some("王主任".into());
        assert!(diff(&plan(vec![x]), &plan(vec![y])).is_empty());
    }

    #[test]
    fn a_moved_item_changes_its_month() {
        let a = plan(vec![item(1, "2026-03", "例会"), item(2, "2026-03", "演练")]);
        let b = plan(vec![item(1, "2026-03", "例会"), item(2, "2026-04", "演练")]);
        let c = diff(&a, &b);
        assert_eq!(c.months_added, vec!["2026-04"]);
        assert!(c.months_removed.is_empty());
        assert_eq!(c.items_changed[0].fields[0].field, ItemField::Month);
        assert_eq!(
            c.items_changed[0].fields[0].before.as_deref(),
            Some("2026-03")
        );
    }
}
