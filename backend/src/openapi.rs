//! The OpenAPI document's frame: info, tags and security schemes. Paths and schemas are
//! collected from the routes themselves (see `app::api`), so a route is declared once.

use crate::auth::roles::SCOPES;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Xiaoan (校安) API",
        description = "The school security office's system: people, leave passes and the gate, \
inspections and hazards, plans, duty rosters and the safety ledger.\n\n\
**Who may call what.** Each operation's `security` lists the roles allowed (as the scopes of \
the `bearer` scheme) and, where integration keys are accepted, the key scope required (as the \
scopes of the `api_key` scheme). Ownership (a class teacher's own class) is enforced as well: \
`403 not_own_class`.\n\n\
**Errors** are RFC 9457 `application/problem+json` with a stable snake_case `code`.\n\n\
**Lists** take `limit` (1–200, default 50) and `cursor` (from `next_cursor`).\n\n\
**Times** are RFC 3339 instants in UTC; calendar dates are local dates of the school's time zone.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
        version = env!("CARGO_PKG_VERSION"),
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "auth", description = "Sign-in, tokens, the current user"),
        (name = "users", description = "Accounts (security office)"),
        (name = "classes", description = "Classes and their class teachers"),
        (name = "students", description = "Students; fields shown depend on the caller's role"),
        (name = "api-keys", description = "Integration keys for third parties"),
        (name = "audit", description = "The audit trail"),
        (name = "leave-passes", description = "Leave passes (请假条) and their signed QR credential"),
        (name = "visitors", description = "Visitors (来访登记), expected visitors and the watchlist"),
        (name = "gate", description = "Gate scans (online and offline), verification keys, revocations, students out, the gate log"),
        (name = "inspections", description = "Checklist templates (versioned), checks, spot-checks, compliance"),
        (name = "hazards", description = "Hazards (隐患) and their rectification: report, assign, rectify, verify"),
        (name = "attachments", description = "Photos: upload first, then reference by id"),
        (name = "plans", description = "The semester plan (工作计划), its monthly items and their evidence"),
        (name = "duty", description = "Duty rosters (值班安排), swaps, who is on duty, calendar feeds"),
        (name = "records", description = "Activities and drills, meetings, incidents, health reports, announcements"),
        (name = "dashboard", description = "Figures computed from the records"),
        (name = "ledger", description = "The safety ledger (台账): XLSX and printable HTML"),
        (name = "school", description = "The school"),
        (name = "health", description = "Liveness and readiness"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .bearer_format("JWT")
            .description(Some(
                "An access token from `POST /api/v1/auth/login`. The scopes listed on an \
                 operation are the roles allowed to call it.",
            ))
            .build();
        bearer.description = bearer.description.take();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        let scopes: Vec<String> = SCOPES
            .iter()
            .map(|(s, doc)| format!("- `{s}`: {}", doc.trim_matches(|c| c == '"' || c == ' ')))
            .collect();
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-API-Key",
                &format!(
                    "An integration key created by the security office. A key is accepted only \
                     on operations that list one of its scopes. Scopes:\n{}",
                    scopes.join("\n")
                ),
            ))),
        );
    }
}
