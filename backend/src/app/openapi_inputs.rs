//! What a client generator needs from the spec beyond the types (issue #18): an example on every
//! request body, files as `format: binary` with their media types, and the text limits and
//! formats the handlers check. Kept here, beside the other passes over the finished document,
//! so a feature's types stay plain; `tests/tests/openapi.rs` holds the spec to it.

use utoipa::openapi::schema::{ArrayItems, KnownFormat, Object, Schema, SchemaFormat, Type};
use utoipa::openapi::{OpenApi, RefOr};

/// One example request body per operation id (JSON: Chinese text reads as it is).
const EXAMPLES: &str = include_str!("request_examples.json");

/// What the server checks on a request field that its Rust type does not say.
#[derive(Clone, Copy)]
enum Rule {
    /// At most this many characters (`Validator::text` / `opt_text`).
    MaxLen(usize),
    /// A local date `YYYY-MM-DD` (`infra::clock::check_date`).
    Date,
    /// A month `YYYY-MM`.
    Month,
    /// A local time `HH:MM` (for an array: each item).
    Time,
    /// A closed set checked against a list of constants.
    OneOf(&'static [&'static str]),
}

use Rule::{Date, MaxLen, Month, OneOf, Time};

const WATCHLIST_CATEGORIES: &[&str] = &["suspicious", "banned"];
const WATCHLIST_DECISIONS: &[&str] = &["refuse", "ask_office"];

/// (schema, field, rule), read off the handlers' validation; a field holding a nested schema
/// (an array's items) gets the rule on the item.
fn rules() -> Vec<(&'static str, &'static str, Rule)> {
    vec![
        ("CreateUserRequest", "display_name", MaxLen(100)),
        ("CreateUserRequest", "username", MaxLen(64)),
        ("CreateUserRequest", "password", MaxLen(128)),
        ("ChangePasswordRequest", "new_password", MaxLen(128)),
        ("UpdateUserRequest", "display_name", MaxLen(100)),
        ("CreateClassRequest", "name", MaxLen(100)),
        ("CreateClassRequest", "grade", MaxLen(50)),
        ("UpdateClassRequest", "name", MaxLen(100)),
        ("UpdateClassRequest", "grade", MaxLen(50)),
        ("CreateStudentRequest", "student_no", MaxLen(32)),
        ("CreateStudentRequest", "name", MaxLen(100)),
        ("CreateStudentRequest", "guardian_name", MaxLen(100)),
        ("UpdateStudentRequest", "name", MaxLen(100)),
        ("UpdateStudentRequest", "guardian_name", MaxLen(100)),
        ("CreateApiKeyRequest", "name", MaxLen(100)),
        (
            "CreateApiKeyRequest",
            "scopes",
            OneOf(crate::auth::roles::SCOPE_NAMES),
        ),
        ("PeopleClass", "name", MaxLen(100)),
        ("PeopleClass", "grade", MaxLen(50)),
        ("PeopleStudent", "student_no", MaxLen(32)),
        ("PeopleStudent", "name", MaxLen(100)),
        ("PeopleStudent", "class", MaxLen(100)),
        ("PeopleStudent", "guardian_name", MaxLen(100)),
        ("IssuePassRequest", "reason", MaxLen(200)),
        ("ScanRequest", "gate", MaxLen(64)),
        ("ScanRequest", "client_event_id", MaxLen(64)),
        ("BatchScan", "gate", MaxLen(64)),
        ("BatchScan", "client_event_id", MaxLen(64)),
        ("CheckInRequest", "name", MaxLen(100)),
        ("CheckInRequest", "organisation", MaxLen(200)),
        ("CheckInRequest", "reason", MaxLen(500)),
        ("CheckInRequest", "host", MaxLen(100)),
        ("CheckInRequest", "vehicle_plate", MaxLen(20)),
        ("CheckInRequest", "gate", MaxLen(64)),
        (
            "CheckInRequest",
            "watchlist_decision",
            OneOf(WATCHLIST_DECISIONS),
        ),
        ("VisitorDecisionRequest", "reason", MaxLen(500)),
        ("ExpectedVisitorRequest", "name", MaxLen(100)),
        ("ExpectedVisitorRequest", "organisation", MaxLen(200)),
        ("ExpectedVisitorRequest", "reason", MaxLen(500)),
        ("ExpectedVisitorRequest", "host", MaxLen(100)),
        ("ExpectedVisitorRequest", "vehicle_plate", MaxLen(20)),
        ("ExpectedVisitorRequest", "expected_date", Date),
        ("ExpectedCheckInRequest", "gate", MaxLen(64)),
        (
            "ExpectedCheckInRequest",
            "watchlist_decision",
            OneOf(WATCHLIST_DECISIONS),
        ),
        ("WatchlistRequest", "name", MaxLen(100)),
        ("WatchlistRequest", "note", MaxLen(500)),
        ("WatchlistRequest", "category", OneOf(WATCHLIST_CATEGORIES)),
        ("WatchlistUpdateRequest", "note", MaxLen(500)),
        (
            "WatchlistUpdateRequest",
            "category",
            OneOf(WATCHLIST_CATEGORIES),
        ),
        ("CreateTemplateRequest", "name", MaxLen(100)),
        ("CreateTemplateRequest", "name_en", MaxLen(100)),
        ("CreateTemplateRequest", "description", MaxLen(2000)),
        ("UpdateTemplateRequest", "name", MaxLen(100)),
        ("UpdateTemplateRequest", "name_en", MaxLen(100)),
        ("UpdateTemplateRequest", "description", MaxLen(2000)),
        ("CreateSubmissionRequest", "location", MaxLen(100)),
        ("CreateSubmissionRequest", "note", MaxLen(1000)),
        ("SpotCheckRequest", "note", MaxLen(1000)),
        ("AmendSubmissionRequest", "note", MaxLen(1000)),
        ("ReportHazardRequest", "location", MaxLen(100)),
        ("ReportHazardRequest", "description", MaxLen(2000)),
        ("AssignHazardRequest", "deadline", Date),
        ("AssignHazardRequest", "note", MaxLen(1000)),
        ("RectifyHazardRequest", "rectification", MaxLen(2000)),
        ("VerifyHazardRequest", "note", MaxLen(1000)),
        ("VerifyHazardRequest", "deadline", Date),
        ("CreatePlanRequest", "title", MaxLen(200)),
        ("CreatePlanRequest", "semester", MaxLen(32)),
        ("CreatePlanRequest", "starts_on", Date),
        ("CreatePlanRequest", "ends_on", Date),
        ("ReturnPlanRequest", "comment", MaxLen(2000)),
        ("CopyPlanRequest", "semester", MaxLen(32)),
        ("CopyPlanRequest", "starts_on", Date),
        ("CopyPlanRequest", "ends_on", Date),
        ("CreateItemRequest", "month", Month),
        ("CreateItemRequest", "title", MaxLen(500)),
        ("CreateItemRequest", "due_date", Date),
        ("CreateItemRequest", "report_to", MaxLen(200)),
        ("CreateItemRequest", "notify", MaxLen(200)),
        ("CreateItemRequest", "note", MaxLen(2000)),
        ("UpdateItemRequest", "month", Month),
        ("UpdateItemRequest", "title", MaxLen(500)),
        ("UpdateItemRequest", "report_to", MaxLen(200)),
        ("UpdateItemRequest", "notify", MaxLen(200)),
        ("UpdateItemRequest", "note", MaxLen(2000)),
        ("AddEvidenceRequest", "note", MaxLen(500)),
        ("CreateRosterRequest", "title", MaxLen(200)),
        ("CreateRosterRequest", "start_date", Date),
        ("CreateRosterRequest", "end_date", Date),
        ("CreateRosterRequest", "report_to", MaxLen(200)),
        ("CreateRosterRequest", "notify", MaxLen(200)),
        ("CreateRosterRequest", "note", MaxLen(2000)),
        ("UpdateRosterRequest", "title", MaxLen(200)),
        ("UpdateRosterRequest", "report_to", MaxLen(200)),
        ("UpdateRosterRequest", "notify", MaxLen(200)),
        ("UpdateRosterRequest", "note", MaxLen(2000)),
        ("CreateShiftRequest", "date", Date),
        ("CreateShiftRequest", "start_time", Time),
        ("CreateShiftRequest", "end_time", Time),
        ("CreateShiftRequest", "note", MaxLen(500)),
        ("PatternSlot", "start_time", Time),
        ("PatternSlot", "end_time", Time),
        ("RequestSwapRequest", "reason", MaxLen(500)),
        ("SwapDecisionRequest", "comment", MaxLen(500)),
        ("ActivityRequest", "topic", MaxLen(200)),
        ("ActivityRequest", "date", Date),
        ("ActivityRequest", "organiser", MaxLen(100)),
        ("ActivityRequest", "summary", MaxLen(20_000)),
        ("MeetingRequest", "title", MaxLen(200)),
        ("MeetingRequest", "date", Date),
        ("MeetingRequest", "attendees", MaxLen(100)),
        ("MeetingRequest", "minutes", MaxLen(50_000)),
        ("MeetingRequest", "decisions", MaxLen(20_000)),
        ("CreateIncidentRequest", "place", MaxLen(200)),
        ("CreateIncidentRequest", "description", MaxLen(20_000)),
        ("CreateIncidentRequest", "actions_taken", MaxLen(20_000)),
        ("UpdateIncidentRequest", "place", MaxLen(200)),
        ("UpdateIncidentRequest", "description", MaxLen(20_000)),
        ("UpdateIncidentRequest", "actions_taken", MaxLen(20_000)),
        ("CreateHealthReportRequest", "symptoms", MaxLen(500)),
        ("CreateHealthReportRequest", "date", Date),
        ("AcknowledgeHealthReportRequest", "note", MaxLen(500)),
        ("CreateAnnouncementRequest", "title", MaxLen(200)),
        ("CreateAnnouncementRequest", "body", MaxLen(20_000)),
        ("FireBuildingRequest", "name", MaxLen(100)),
        ("FireBuildingRequest", "note", MaxLen(2000)),
        ("FireItemRequest", "name", MaxLen(100)),
        ("FireItemRequest", "location", MaxLen(200)),
        ("FireItemRequest", "spec", MaxLen(200)),
        ("FireItemRequest", "responsible", MaxLen(100)),
        ("FireCheckRequest", "note", MaxLen(1000)),
        ("CreateCheckpointRequest", "name", MaxLen(100)),
        ("CreateCheckpointRequest", "location", MaxLen(200)),
        ("UpdateCheckpointRequest", "name", MaxLen(100)),
        ("UpdateCheckpointRequest", "location", MaxLen(200)),
        ("RouteRequest", "name", MaxLen(100)),
        ("RouteRequest", "start_times", Time),
        ("DigestPolicy", "at", Time),
        ("ScanCheckpointRequest", "code", MaxLen(200)),
        ("ScanCheckpointRequest", "client_event_id", MaxLen(64)),
        ("ScanCheckpointRequest", "observation", MaxLen(1000)),
        ("PatrolNoteRequest", "observation", MaxLen(1000)),
        ("SetFigureRequest", "month", Month),
        ("SemesterRequest", "name", MaxLen(100)),
        ("SemesterRequest", "starts_on", Date),
        ("SemesterRequest", "ends_on", Date),
    ]
}

/// Media types a client downloads or uploads as bytes, not text to parse.
pub fn is_file_media_type(content_type: &str) -> bool {
    let t = content_type.split(';').next().unwrap_or_default().trim();
    t.starts_with("image/")
        || t.starts_with("application/vnd.")
        || matches!(
            t,
            "text/calendar" | "text/csv" | "application/octet-stream" | "application/pdf"
        )
}

fn binary() -> RefOr<Schema> {
    let mut o = Object::with_type(Type::String);
    o.format = Some(SchemaFormat::KnownFormat(KnownFormat::Binary));
    RefOr::T(Schema::Object(o))
}

fn apply(o: &mut Object, rule: Rule) {
    match rule {
        MaxLen(n) => o.max_length = Some(n),
        Date => o.format = Some(SchemaFormat::KnownFormat(KnownFormat::Date)),
        Month => o.pattern = Some(r"^\d{4}-(0[1-9]|1[0-2])$".to_owned()),
        Time => o.pattern = Some(r"^([01]\d|2[0-3]):[0-5]\d$".to_owned()),
        OneOf(values) => {
            let mut out: Vec<serde_json::Value> = values.iter().map(|v| (*v).into()).collect();
            if matches!(&o.schema_type, utoipa::openapi::schema::SchemaType::Array(ts) if ts.contains(&Type::Null))
            {
                out.push(serde_json::Value::Null);
            }
            o.enum_values = Some(out);
        }
    }
}

/// Adds the examples, binary media and input rules to the finished document.
pub fn document_inputs(mut api: OpenApi) -> OpenApi {
    let examples: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(EXAMPLES).unwrap_or_default();
    for item in api.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in ops.into_iter().flatten() {
            let example = op.operation_id.as_deref().and_then(|id| examples.get(id));
            if let Some(body) = op.request_body.as_mut() {
                for (media, content) in body.content.iter_mut() {
                    if media == "application/octet-stream" {
                        content.schema = Some(binary());
                    }
                    if content.example.is_none()
                        && content.examples.is_empty()
                        && let Some(example) = example
                    {
                        content.example = Some(example.clone());
                    }
                }
            }
            for resp in op.responses.responses.values_mut() {
                let RefOr::T(resp) = resp else { continue };
                // `image/*` is not a type a client can ask for: the stored photos are these.
                if let Some(any) = resp.content.shift_remove("image/*") {
                    for t in ["image/jpeg", "image/png", "image/webp"] {
                        resp.content.insert(t.to_owned(), any.clone());
                    }
                }
                for (media, content) in resp.content.iter_mut() {
                    if is_file_media_type(media) {
                        content.schema = Some(binary());
                    }
                }
            }
        }
    }
    if let Some(components) = api.components.as_mut() {
        for (schema, field, rule) in rules() {
            let Some(RefOr::T(Schema::Object(obj))) = components.schemas.get_mut(schema) else {
                continue;
            };
            match obj.properties.get_mut(field) {
                Some(RefOr::T(Schema::Object(prop))) => apply(prop, rule),
                Some(RefOr::T(Schema::Array(arr))) => {
                    if let ArrayItems::RefOrSchema(items) = &mut arr.items
                        && let RefOr::T(Schema::Object(item)) = items.as_mut()
                    {
                        apply(item, rule);
                    }
                }
                _ => {}
            }
        }
    }
    api
}

#[cfg(test)]
mod tests {
    /// A stale rule (a renamed schema or field) would silently state nothing.
    #[test]
    fn every_rule_names_a_field_of_the_spec() {
        let doc = serde_json::to_value(crate::app::openapi()).unwrap();
        let schemas = &doc["components"]["schemas"];
        for (schema, field, _) in super::rules() {
            assert!(
                schemas[schema]["properties"][field].is_object(),
                "{schema}.{field} is not in the spec"
            );
        }
    }

    /// Every example names an operation that takes a body.
    #[test]
    fn every_example_names_an_operation_with_a_body() {
        let examples: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(super::EXAMPLES).unwrap();
        let doc = serde_json::to_value(crate::app::openapi()).unwrap();
        let with_body: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter(|op| op.get("requestBody").is_some())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        for id in examples.keys() {
            assert!(
                with_body.contains(&id.as_str()),
                "example for {id}: no such operation with a body"
            );
        }
    }
}
