//! One error type for the whole API, rendered as RFC 9457 problem+json with a stable
//! snake_case `code` the SPA translates. Internal details are logged, never returned.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use sea_orm::{DbErr, SqlErr};
use serde::Serialize;
use std::borrow::Cow;
use utoipa::ToSchema;

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the problem type: `urn:xiaoan:problem:<code>`.
    #[serde(rename = "type")]
    pub problem_type: String,
    pub title: String,
    pub status: u16,
    /// A human-readable explanation (简体中文). Never contains personal data.
    pub detail: String,
    /// Stable machine-readable code, e.g. `validation_failed`, `swap_conflict`.
    pub code: ErrorCode,
    /// Per-field (or, for CSV imports, per-line) validation errors.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `too_many_attempts`: when sign-in is possible again (the `Retry-After` instant).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// The JSON field (or CSV column) at fault.
    pub field: String,
    /// Stable code: `required`, `too_long`, `invalid`, `duplicate`, `not_found` …
    pub code: String,
    pub message: String,
    /// 1-based line number, for CSV imports.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub detail: Cow<'static, str>,
    pub errors: Vec<FieldError>,
    pub retry_after_secs: Option<u64>,
    pub locked_until: Option<chrono::DateTime<chrono::Utc>>,
}

pub type AppResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after_secs: None,
            locked_until: None,
        }
    }
    pub fn bad_request(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }
    pub fn unauthenticated(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, detail)
    }
    pub fn forbidden(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }
    pub fn not_found(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, detail)
    }
    pub fn conflict(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::CONFLICT, code, detail)
    }
    pub fn unprocessable(code: ErrorCode, detail: impl Into<Cow<'static, str>>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::ValidationFailed,
                "提交的内容有误,请按提示修改后重试",
            )
        }
    }
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Self {
            retry_after_secs: Some(retry_after_secs.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::TooManyAttempts,
                "尝试次数过多,请稍后再试",
            )
        }
    }
    /// Sign-in refused until `until` (said in the body, and as `Retry-After`).
    pub fn locked(until: chrono::DateTime<chrono::Utc>, retry_after_secs: u64) -> Self {
        Self {
            locked_until: Some(until),
            ..Self::too_many_requests(retry_after_secs)
        }
    }
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::InternalError,
            "服务器内部错误,请稍后重试",
        )
    }
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServiceUnavailable,
            "服务暂时不可用",
        )
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:xiaoan:problem:{}", self.code),
            title: self
                .status
                .canonical_reason()
                .unwrap_or("Error")
                .to_string(),
            status: self.status.as_u16(),
            detail: self.detail.to_string(),
            code: self.code,
            errors: self.errors.clone(),
            locked_until: self.locked_until,
        }
    }
}

/// Every problem code the API returns: stable snake_case values an integrator can switch on.
/// Each has a Chinese message (`message()`), the default text the SPA shows for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    HazardInvalidTransition,
    HazardClosed,
    HazardNotRectified,
    HazardNotAssigned,
    AccountDisabled,
    ActivityNotFound,
    AlreadyCheckedIn,
    AlreadyCheckedOut,
    AlreadyExists,
    AlreadySubmitted,
    AnnouncementNotFound,
    ApiKeyNotAllowed,
    ApiKeyNotFound,
    AttachmentFileMissing,
    AttachmentForbidden,
    AttachmentNotFound,
    AttachmentQuotaExceeded,
    AttachmentTooLarge,
    AttributionNotPending,
    BadRequest,
    CannotVerifyOwnRectification,
    CannotVerifyOwnReport,
    CheckpointAlreadyScanned,
    CheckpointNotOnRoute,
    CheckpointNotScanned,
    ClassNotFound,
    ClientEventConflict,
    CsvInvalid,
    EvidenceNotFound,
    ExpectedVisitorNotFound,
    FeedNotFound,
    FireBuildingNotFound,
    FireItemNotFound,
    FireItemRetired,
    ForbiddenRole,
    HazardAlreadyReported,
    HazardForbidden,
    HazardNotFound,
    HealthReportExists,
    HealthReportNotFound,
    ImageTooLarge,
    ImportInvalid,
    ImportTooLarge,
    IncidentNotFound,
    InsufficientScope,
    InternalError,
    InvalidApiKey,
    InvalidBody,
    InvalidCredentials,
    InvalidCursor,
    InvalidDate,
    InvalidImage,
    InvalidLimit,
    InvalidMultipart,
    InvalidPath,
    InvalidQuery,
    InvalidSubmitterRole,
    InvalidTime,
    InvalidToken,
    LastPrincipal,
    LastSecurityOffice,
    MeetingNotFound,
    MethodNotAllowed,
    MethodNotImplemented,
    NoCurrentSemester,
    NotAClassTemplate,
    NotHazardOwner,
    NotItemOwner,
    NotOnDuty,
    NotOwnClass,
    NotOwnPatrol,
    NotSubmitter,
    NotYourShift,
    PassNotFound,
    PassNotRevocable,
    PassWindowInPast,
    PatrolCheckpointNotFound,
    PatrolFinished,
    PatrolNotFound,
    PatrolRouteEmpty,
    PatrolRouteInactive,
    PatrolRouteNotFound,
    PayloadTooLarge,
    PlanItemNotFound,
    PlanLocked,
    PlanNotFound,
    PlanNotSubmitted,
    PlatformFigureNotFound,
    PrincipalAccountProtected,
    PrincipalRoleReserved,
    ReferenceConflict,
    RefreshTokenInvalid,
    RefreshTokenMissing,
    RefreshTokenReused,
    RosterConflicts,
    RosterNotFound,
    RosterNotPublished,
    RosterPublished,
    RouteNotFound,
    SemesterInUse,
    SemesterNotFound,
    SemesterOverlap,
    ServiceUnavailable,
    SessionEnded,
    ShiftNotFound,
    ShiftStarted,
    StudentDisabled,
    StudentNotFound,
    SubmissionNotFound,
    SubmissionSuperseded,
    SwapConflict,
    SwapNotAllowed,
    SwapNotFound,
    SwapPending,
    SwapWrongState,
    TemplateInactive,
    TemplateNotFound,
    TemplateOutdated,
    TokenExpired,
    TooManyAttempts,
    Unauthenticated,
    UnknownCheckpoint,
    UnsupportedImageType,
    UnsupportedMediaType,
    UploadRateLimited,
    UploadsBusy,
    UserNotFound,
    ValidationFailed,
    VisitorBanned,
    VisitorNotAdmitted,
    VisitorNotFound,
    VisitorNotPending,
    VisitorSuspicious,
    WatchlistEntryNotFound,
    WrongPassword,
    WrongSubmitterRole,
}

impl ErrorCode {
    /// Every code, for the catalogue test and the SPA locale check.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::HazardInvalidTransition,
        ErrorCode::HazardClosed,
        ErrorCode::HazardNotRectified,
        ErrorCode::HazardNotAssigned,
        ErrorCode::AccountDisabled,
        ErrorCode::ActivityNotFound,
        ErrorCode::AlreadyCheckedIn,
        ErrorCode::AlreadyCheckedOut,
        ErrorCode::AlreadyExists,
        ErrorCode::AlreadySubmitted,
        ErrorCode::AnnouncementNotFound,
        ErrorCode::ApiKeyNotAllowed,
        ErrorCode::ApiKeyNotFound,
        ErrorCode::AttachmentFileMissing,
        ErrorCode::AttachmentForbidden,
        ErrorCode::AttachmentNotFound,
        ErrorCode::AttachmentQuotaExceeded,
        ErrorCode::AttachmentTooLarge,
        ErrorCode::AttributionNotPending,
        ErrorCode::BadRequest,
        ErrorCode::CannotVerifyOwnRectification,
        ErrorCode::CannotVerifyOwnReport,
        ErrorCode::CheckpointAlreadyScanned,
        ErrorCode::CheckpointNotOnRoute,
        ErrorCode::CheckpointNotScanned,
        ErrorCode::ClassNotFound,
        ErrorCode::ClientEventConflict,
        ErrorCode::CsvInvalid,
        ErrorCode::EvidenceNotFound,
        ErrorCode::ExpectedVisitorNotFound,
        ErrorCode::FeedNotFound,
        ErrorCode::FireBuildingNotFound,
        ErrorCode::FireItemNotFound,
        ErrorCode::FireItemRetired,
        ErrorCode::ForbiddenRole,
        ErrorCode::HazardAlreadyReported,
        ErrorCode::HazardForbidden,
        ErrorCode::HazardNotFound,
        ErrorCode::HealthReportExists,
        ErrorCode::HealthReportNotFound,
        ErrorCode::ImageTooLarge,
        ErrorCode::ImportInvalid,
        ErrorCode::ImportTooLarge,
        ErrorCode::IncidentNotFound,
        ErrorCode::InsufficientScope,
        ErrorCode::InternalError,
        ErrorCode::InvalidApiKey,
        ErrorCode::InvalidBody,
        ErrorCode::InvalidCredentials,
        ErrorCode::InvalidCursor,
        ErrorCode::InvalidDate,
        ErrorCode::InvalidImage,
        ErrorCode::InvalidLimit,
        ErrorCode::InvalidMultipart,
        ErrorCode::InvalidPath,
        ErrorCode::InvalidQuery,
        ErrorCode::InvalidSubmitterRole,
        ErrorCode::InvalidTime,
        ErrorCode::InvalidToken,
        ErrorCode::LastPrincipal,
        ErrorCode::LastSecurityOffice,
        ErrorCode::MeetingNotFound,
        ErrorCode::MethodNotAllowed,
        ErrorCode::MethodNotImplemented,
        ErrorCode::NoCurrentSemester,
        ErrorCode::NotAClassTemplate,
        ErrorCode::NotHazardOwner,
        ErrorCode::NotItemOwner,
        ErrorCode::NotOnDuty,
        ErrorCode::NotOwnClass,
        ErrorCode::NotOwnPatrol,
        ErrorCode::NotSubmitter,
        ErrorCode::NotYourShift,
        ErrorCode::PassNotFound,
        ErrorCode::PassNotRevocable,
        ErrorCode::PassWindowInPast,
        ErrorCode::PatrolCheckpointNotFound,
        ErrorCode::PatrolFinished,
        ErrorCode::PatrolNotFound,
        ErrorCode::PatrolRouteEmpty,
        ErrorCode::PatrolRouteInactive,
        ErrorCode::PatrolRouteNotFound,
        ErrorCode::PayloadTooLarge,
        ErrorCode::PlanItemNotFound,
        ErrorCode::PlanLocked,
        ErrorCode::PlanNotFound,
        ErrorCode::PlanNotSubmitted,
        ErrorCode::PlatformFigureNotFound,
        ErrorCode::PrincipalAccountProtected,
        ErrorCode::PrincipalRoleReserved,
        ErrorCode::ReferenceConflict,
        ErrorCode::RefreshTokenInvalid,
        ErrorCode::RefreshTokenMissing,
        ErrorCode::RefreshTokenReused,
        ErrorCode::RosterConflicts,
        ErrorCode::RosterNotFound,
        ErrorCode::RosterNotPublished,
        ErrorCode::RosterPublished,
        ErrorCode::RouteNotFound,
        ErrorCode::SemesterInUse,
        ErrorCode::SemesterNotFound,
        ErrorCode::SemesterOverlap,
        ErrorCode::ServiceUnavailable,
        ErrorCode::SessionEnded,
        ErrorCode::ShiftNotFound,
        ErrorCode::ShiftStarted,
        ErrorCode::StudentDisabled,
        ErrorCode::StudentNotFound,
        ErrorCode::SubmissionNotFound,
        ErrorCode::SubmissionSuperseded,
        ErrorCode::SwapConflict,
        ErrorCode::SwapNotAllowed,
        ErrorCode::SwapNotFound,
        ErrorCode::SwapPending,
        ErrorCode::SwapWrongState,
        ErrorCode::TemplateInactive,
        ErrorCode::TemplateNotFound,
        ErrorCode::TemplateOutdated,
        ErrorCode::TokenExpired,
        ErrorCode::TooManyAttempts,
        ErrorCode::Unauthenticated,
        ErrorCode::UnknownCheckpoint,
        ErrorCode::UnsupportedImageType,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::UploadRateLimited,
        ErrorCode::UploadsBusy,
        ErrorCode::UserNotFound,
        ErrorCode::ValidationFailed,
        ErrorCode::VisitorBanned,
        ErrorCode::VisitorNotAdmitted,
        ErrorCode::VisitorNotFound,
        ErrorCode::VisitorNotPending,
        ErrorCode::VisitorSuspicious,
        ErrorCode::WatchlistEntryNotFound,
        ErrorCode::WrongPassword,
        ErrorCode::WrongSubmitterRole,
    ];

    /// The stored/wire value, e.g. `swap_conflict`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::HazardInvalidTransition => "hazard_invalid_transition",
            ErrorCode::HazardClosed => "hazard_closed",
            ErrorCode::HazardNotRectified => "hazard_not_rectified",
            ErrorCode::HazardNotAssigned => "hazard_not_assigned",
            ErrorCode::AccountDisabled => "account_disabled",
            ErrorCode::ActivityNotFound => "activity_not_found",
            ErrorCode::AlreadyCheckedIn => "already_checked_in",
            ErrorCode::AlreadyCheckedOut => "already_checked_out",
            ErrorCode::AlreadyExists => "already_exists",
            ErrorCode::AlreadySubmitted => "already_submitted",
            ErrorCode::AnnouncementNotFound => "announcement_not_found",
            ErrorCode::ApiKeyNotAllowed => "api_key_not_allowed",
            ErrorCode::ApiKeyNotFound => "api_key_not_found",
            ErrorCode::AttachmentFileMissing => "attachment_file_missing",
            ErrorCode::AttachmentForbidden => "attachment_forbidden",
            ErrorCode::AttachmentNotFound => "attachment_not_found",
            ErrorCode::AttachmentQuotaExceeded => "attachment_quota_exceeded",
            ErrorCode::AttachmentTooLarge => "attachment_too_large",
            ErrorCode::AttributionNotPending => "attribution_not_pending",
            ErrorCode::BadRequest => "bad_request",
            ErrorCode::CannotVerifyOwnRectification => "cannot_verify_own_rectification",
            ErrorCode::CannotVerifyOwnReport => "cannot_verify_own_report",
            ErrorCode::CheckpointAlreadyScanned => "checkpoint_already_scanned",
            ErrorCode::CheckpointNotOnRoute => "checkpoint_not_on_route",
            ErrorCode::CheckpointNotScanned => "checkpoint_not_scanned",
            ErrorCode::ClassNotFound => "class_not_found",
            ErrorCode::ClientEventConflict => "client_event_conflict",
            ErrorCode::CsvInvalid => "csv_invalid",
            ErrorCode::EvidenceNotFound => "evidence_not_found",
            ErrorCode::ExpectedVisitorNotFound => "expected_visitor_not_found",
            ErrorCode::FeedNotFound => "feed_not_found",
            ErrorCode::FireBuildingNotFound => "fire_building_not_found",
            ErrorCode::FireItemNotFound => "fire_item_not_found",
            ErrorCode::FireItemRetired => "fire_item_retired",
            ErrorCode::ForbiddenRole => "forbidden_role",
            ErrorCode::HazardAlreadyReported => "hazard_already_reported",
            ErrorCode::HazardForbidden => "hazard_forbidden",
            ErrorCode::HazardNotFound => "hazard_not_found",
            ErrorCode::HealthReportExists => "health_report_exists",
            ErrorCode::HealthReportNotFound => "health_report_not_found",
            ErrorCode::ImageTooLarge => "image_too_large",
            ErrorCode::ImportInvalid => "import_invalid",
            ErrorCode::ImportTooLarge => "import_too_large",
            ErrorCode::IncidentNotFound => "incident_not_found",
            ErrorCode::InsufficientScope => "insufficient_scope",
            ErrorCode::InternalError => "internal_error",
            ErrorCode::InvalidApiKey => "invalid_api_key",
            ErrorCode::InvalidBody => "invalid_body",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::InvalidCursor => "invalid_cursor",
            ErrorCode::InvalidDate => "invalid_date",
            ErrorCode::InvalidImage => "invalid_image",
            ErrorCode::InvalidLimit => "invalid_limit",
            ErrorCode::InvalidMultipart => "invalid_multipart",
            ErrorCode::InvalidPath => "invalid_path",
            ErrorCode::InvalidQuery => "invalid_query",
            ErrorCode::InvalidSubmitterRole => "invalid_submitter_role",
            ErrorCode::InvalidTime => "invalid_time",
            ErrorCode::InvalidToken => "invalid_token",
            ErrorCode::LastPrincipal => "last_principal",
            ErrorCode::LastSecurityOffice => "last_security_office",
            ErrorCode::MeetingNotFound => "meeting_not_found",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::MethodNotImplemented => "method_not_implemented",
            ErrorCode::NoCurrentSemester => "no_current_semester",
            ErrorCode::NotAClassTemplate => "not_a_class_template",
            ErrorCode::NotHazardOwner => "not_hazard_owner",
            ErrorCode::NotItemOwner => "not_item_owner",
            ErrorCode::NotOnDuty => "not_on_duty",
            ErrorCode::NotOwnClass => "not_own_class",
            ErrorCode::NotOwnPatrol => "not_own_patrol",
            ErrorCode::NotSubmitter => "not_submitter",
            ErrorCode::NotYourShift => "not_your_shift",
            ErrorCode::PassNotFound => "pass_not_found",
            ErrorCode::PassNotRevocable => "pass_not_revocable",
            ErrorCode::PassWindowInPast => "pass_window_in_past",
            ErrorCode::PatrolCheckpointNotFound => "patrol_checkpoint_not_found",
            ErrorCode::PatrolFinished => "patrol_finished",
            ErrorCode::PatrolNotFound => "patrol_not_found",
            ErrorCode::PatrolRouteEmpty => "patrol_route_empty",
            ErrorCode::PatrolRouteInactive => "patrol_route_inactive",
            ErrorCode::PatrolRouteNotFound => "patrol_route_not_found",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::PlanItemNotFound => "plan_item_not_found",
            ErrorCode::PlanLocked => "plan_locked",
            ErrorCode::PlanNotFound => "plan_not_found",
            ErrorCode::PlanNotSubmitted => "plan_not_submitted",
            ErrorCode::PlatformFigureNotFound => "platform_figure_not_found",
            ErrorCode::PrincipalAccountProtected => "principal_account_protected",
            ErrorCode::PrincipalRoleReserved => "principal_role_reserved",
            ErrorCode::ReferenceConflict => "reference_conflict",
            ErrorCode::RefreshTokenInvalid => "refresh_token_invalid",
            ErrorCode::RefreshTokenMissing => "refresh_token_missing",
            ErrorCode::RefreshTokenReused => "refresh_token_reused",
            ErrorCode::RosterConflicts => "roster_conflicts",
            ErrorCode::RosterNotFound => "roster_not_found",
            ErrorCode::RosterNotPublished => "roster_not_published",
            ErrorCode::RosterPublished => "roster_published",
            ErrorCode::RouteNotFound => "route_not_found",
            ErrorCode::SemesterInUse => "semester_in_use",
            ErrorCode::SemesterNotFound => "semester_not_found",
            ErrorCode::SemesterOverlap => "semester_overlap",
            ErrorCode::ServiceUnavailable => "service_unavailable",
            ErrorCode::SessionEnded => "session_ended",
            ErrorCode::ShiftNotFound => "shift_not_found",
            ErrorCode::ShiftStarted => "shift_started",
            ErrorCode::StudentDisabled => "student_disabled",
            ErrorCode::StudentNotFound => "student_not_found",
            ErrorCode::SubmissionNotFound => "submission_not_found",
            ErrorCode::SubmissionSuperseded => "submission_superseded",
            ErrorCode::SwapConflict => "swap_conflict",
            ErrorCode::SwapNotAllowed => "swap_not_allowed",
            ErrorCode::SwapNotFound => "swap_not_found",
            ErrorCode::SwapPending => "swap_pending",
            ErrorCode::SwapWrongState => "swap_wrong_state",
            ErrorCode::TemplateInactive => "template_inactive",
            ErrorCode::TemplateNotFound => "template_not_found",
            ErrorCode::TemplateOutdated => "template_outdated",
            ErrorCode::TokenExpired => "token_expired",
            ErrorCode::TooManyAttempts => "too_many_attempts",
            ErrorCode::Unauthenticated => "unauthenticated",
            ErrorCode::UnknownCheckpoint => "unknown_checkpoint",
            ErrorCode::UnsupportedImageType => "unsupported_image_type",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::UploadRateLimited => "upload_rate_limited",
            ErrorCode::UploadsBusy => "uploads_busy",
            ErrorCode::UserNotFound => "user_not_found",
            ErrorCode::ValidationFailed => "validation_failed",
            ErrorCode::VisitorBanned => "visitor_banned",
            ErrorCode::VisitorNotAdmitted => "visitor_not_admitted",
            ErrorCode::VisitorNotFound => "visitor_not_found",
            ErrorCode::VisitorNotPending => "visitor_not_pending",
            ErrorCode::VisitorSuspicious => "visitor_suspicious",
            ErrorCode::WatchlistEntryNotFound => "watchlist_entry_not_found",
            ErrorCode::WrongPassword => "wrong_password",
            ErrorCode::WrongSubmitterRole => "wrong_submitter_role",
        }
    }

    /// The default Chinese message for this code (a call site may say more in `detail`).
    pub fn message(self) -> &'static str {
        match self {
            ErrorCode::HazardInvalidTransition => "隐患当前状态不允许此操作",
            ErrorCode::HazardClosed => "隐患已验收关闭",
            ErrorCode::HazardNotRectified => "隐患尚未整改,不能验收",
            ErrorCode::HazardNotAssigned => "隐患尚未指派责任人,不能整改",
            ErrorCode::AccountDisabled => "账号已停用",
            ErrorCode::ActivityNotFound => "活动记录不存在",
            ErrorCode::AlreadyCheckedIn => "该预约访客已登记入校或已取消",
            ErrorCode::AlreadyCheckedOut => "该访客已离校",
            ErrorCode::AlreadyExists => "该记录已存在(与已有记录重复)",
            ErrorCode::AlreadySubmitted => "本周期已提交过检查;如需修改请提交更正",
            ErrorCode::AnnouncementNotFound => "通报不存在",
            ErrorCode::ApiKeyNotAllowed => "此操作不接受 API 密钥,需要用户登录",
            ErrorCode::ApiKeyNotFound => "API 密钥不存在",
            ErrorCode::AttachmentFileMissing => "图片文件不存在",
            ErrorCode::AttachmentForbidden => "无权查看此图片(它属于您无权查看的记录)",
            ErrorCode::AttachmentNotFound => "图片不存在",
            ErrorCode::AttachmentQuotaExceeded => "您上传的图片已达存储上限,请联系保卫处",
            ErrorCode::AttachmentTooLarge => "图片不能超过 8 MB",
            ErrorCode::AttributionNotPending => "该记录没有待确认的班级归属",
            ErrorCode::BadRequest => "请求格式不正确",
            ErrorCode::CannotVerifyOwnRectification => "整改人不能验收自己的整改",
            ErrorCode::CannotVerifyOwnReport => "隐患报告人不能验收该隐患",
            ErrorCode::CheckpointAlreadyScanned => "该巡查点本次已扫码",
            ErrorCode::CheckpointNotOnRoute => "该巡查点不在本次巡查路线上",
            ErrorCode::CheckpointNotScanned => "请先扫码签到该巡查点",
            ErrorCode::ClassNotFound => "班级不存在",
            ErrorCode::ClientEventConflict => {
                "这个 client_event_id 已用于另一次扫码，请为每次扫码生成新的 id"
            }
            ErrorCode::CsvInvalid => "CSV 文件有错误,未导入任何记录;请按行号修改后重新导入",
            ErrorCode::EvidenceNotFound => "佐证记录不存在",
            ErrorCode::ExpectedVisitorNotFound => "预约访客不存在",
            ErrorCode::FeedNotFound => "日历订阅不存在或已撤销",
            ErrorCode::FireBuildingNotFound => "楼栋不存在",
            ErrorCode::FireItemNotFound => "消防设施不存在",
            ErrorCode::FireItemRetired => "该设施已停用(已更换或拆除),无需检查",
            ErrorCode::ForbiddenRole => "您的角色无权执行此操作",
            ErrorCode::HazardAlreadyReported => "本次巡查已在该点上报过隐患",
            ErrorCode::HazardForbidden => "无权查看此隐患",
            ErrorCode::HazardNotFound => "隐患不存在",
            ErrorCode::HealthReportExists => "今天已填报过体温检测日报",
            ErrorCode::HealthReportNotFound => "体温日报不存在",
            ErrorCode::ImageTooLarge => "图片像素过多,请缩小后再上传",
            ErrorCode::ImportInvalid => "文件有错误,未导入任何记录;请按行号修改后重新导入",
            ErrorCode::ImportTooLarge => "文件过大,请拆分后分批导入",
            ErrorCode::IncidentNotFound => "事件记录不存在",
            ErrorCode::InsufficientScope => "API 密钥没有此操作所需的权限范围",
            ErrorCode::InternalError => "服务器内部错误,请稍后重试",
            ErrorCode::InvalidApiKey => "API 密钥无效或已吊销",
            ErrorCode::InvalidBody => "请求内容格式不正确",
            ErrorCode::InvalidCredentials => "用户名或密码错误",
            ErrorCode::InvalidCursor => "分页位置(cursor)无效",
            ErrorCode::InvalidDate => "日期格式应为 YYYY-MM-DD",
            ErrorCode::InvalidImage => "图片文件已损坏或无法识别",
            ErrorCode::InvalidLimit => "limit 超出允许范围",
            ErrorCode::InvalidMultipart => "上传内容格式不正确",
            ErrorCode::InvalidPath => "路径参数无效",
            ErrorCode::InvalidQuery => "查询参数不正确",
            ErrorCode::InvalidSubmitterRole => "班级检查须由班主任或保卫处提交",
            ErrorCode::InvalidTime => "该时间在本时区不存在",
            ErrorCode::InvalidToken => "登录凭证无效,请重新登录",
            ErrorCode::LastPrincipal => "不能停用或更改最后一个校长室账号",
            ErrorCode::LastSecurityOffice => "不能停用或更改最后一个保卫处账号",
            ErrorCode::MeetingNotFound => "会议记录不存在",
            ErrorCode::MethodNotAllowed => "不支持此请求方法",
            ErrorCode::MethodNotImplemented => "服务器不支持此请求方法",
            ErrorCode::NoCurrentSemester => "今天不在任何学期内:请保卫处在“学期”中设置本学期",
            ErrorCode::NotAClassTemplate => "抽查只针对班级检查模板",
            ErrorCode::NotHazardOwner => "只有该隐患的整改责任人可以提交整改",
            ErrorCode::NotItemOwner => "只有负责人或保卫处可以更新此项目",
            ErrorCode::NotOnDuty => "只有当日值班人员可以抽查",
            ErrorCode::NotOwnClass => "只能查看本班学生",
            ErrorCode::NotOwnPatrol => "只能操作自己发起的巡查",
            ErrorCode::NotSubmitter => "只能更正自己提交的检查记录",
            ErrorCode::NotYourShift => "只能为自己的班次申请换班",
            ErrorCode::PassNotFound => "假条不存在",
            ErrorCode::PassNotRevocable => "假条已使用或已撤销,不能撤销",
            ErrorCode::PassWindowInPast => "假条有效期已过,请重新选择时间",
            ErrorCode::PatrolCheckpointNotFound => "巡查点不存在",
            ErrorCode::PatrolFinished => "本次巡查已结束",
            ErrorCode::PatrolNotFound => "巡查记录不存在",
            ErrorCode::PatrolRouteEmpty => "该路线没有在用的巡查点",
            ErrorCode::PatrolRouteInactive => "该巡查路线已停用",
            ErrorCode::PatrolRouteNotFound => "巡查路线不存在",
            ErrorCode::PayloadTooLarge => "请求内容过大",
            ErrorCode::PlanItemNotFound => "工作项目不存在",
            ErrorCode::PlanLocked => "工作计划已审批通过,内容只读;如需调整请复制为新计划",
            ErrorCode::PlanNotFound => "工作计划不存在",
            ErrorCode::PlanNotSubmitted => "只能审批已提交的工作计划",
            ErrorCode::PlatformFigureNotFound => "该月没有本班的数据",
            ErrorCode::PrincipalAccountProtected => {
                "只有校长室账号可以更改校长室账号的密码、角色或启用状态"
            }
            ErrorCode::PrincipalRoleReserved => "只有校长室账号可以创建校长室账号或授予校长室角色",
            ErrorCode::ReferenceConflict => "该记录被其他记录引用,或引用的记录不存在",
            ErrorCode::RefreshTokenInvalid => "登录已失效,请重新登录",
            ErrorCode::RefreshTokenMissing => "缺少登录凭证(请求体中的 refresh_token 或 Cookie)",
            ErrorCode::RefreshTokenReused => "登录凭证已被使用过,为安全起见已退出登录",
            ErrorCode::RosterConflicts => "值班表存在冲突,请先处理后再发布",
            ErrorCode::RosterNotFound => "值班表不存在",
            ErrorCode::RosterNotPublished => "值班表尚未发布,请直接修改班次",
            ErrorCode::RosterPublished => "值班表已发布,不能再改动班次;人员调整请走换班流程",
            ErrorCode::RouteNotFound => "接口不存在",
            ErrorCode::SemesterInUse => "该学期已有工作计划,不能删除",
            ErrorCode::SemesterNotFound => "学期不存在",
            ErrorCode::SemesterOverlap => "与已有学期的日期重叠",
            ErrorCode::ServiceUnavailable => "服务暂不可用,请稍后重试",
            ErrorCode::SessionEnded => "登录已失效,请重新登录",
            ErrorCode::ShiftNotFound => "班次不存在",
            ErrorCode::ShiftStarted => "班次已开始或已结束,不能再换班",
            ErrorCode::StudentDisabled => "该学生已停用(离校),不能开具假条",
            ErrorCode::StudentNotFound => "学生不存在",
            ErrorCode::SubmissionNotFound => "检查记录不存在",
            ErrorCode::SubmissionSuperseded => "该记录已被更正,请在最新版本上更正",
            ErrorCode::SwapConflict => "换班双方的班次冲突或接班人员不可用",
            ErrorCode::SwapNotAllowed => "您不能对该换班申请执行此操作",
            ErrorCode::SwapNotFound => "换班申请不存在",
            ErrorCode::SwapPending => "该班次已有进行中的换班申请",
            ErrorCode::SwapWrongState => "换班申请当前状态不允许此操作",
            ErrorCode::TemplateInactive => "该模板已停用",
            ErrorCode::TemplateNotFound => "检查模板不存在",
            ErrorCode::TemplateOutdated => "只能在当前版本上修改模板",
            ErrorCode::TokenExpired => "登录已过期,请重新登录",
            ErrorCode::TooManyAttempts => "尝试次数过多,请稍后再试",
            ErrorCode::Unauthenticated => "请先登录",
            ErrorCode::UnknownCheckpoint => "该二维码不是在用的巡查点",
            ErrorCode::UnsupportedImageType => "只接受 JPEG、PNG 或 WebP 图片",
            ErrorCode::UnsupportedMediaType => "请求须为 application/json",
            ErrorCode::UploadRateLimited => "上传的图片过多,请稍后再试",
            ErrorCode::UploadsBusy => "服务器正在处理较多图片,请稍后重试",
            ErrorCode::UserNotFound => "用户不存在",
            ErrorCode::ValidationFailed => "提交的内容有误,请按提示修改后重试",
            ErrorCode::VisitorBanned => "禁止入校:请其离开;如有异常请报警。已通知保卫处",
            ErrorCode::VisitorNotAdmitted => "该访客未获准入校,无需登记离校",
            ErrorCode::VisitorNotFound => "访客记录不存在",
            ErrorCode::VisitorNotPending => "该来访不在待保卫处决定状态",
            ErrorCode::VisitorSuspicious => {
                "此人在重点关注名单上(形迹可疑):请选择拒绝入校或请示保卫处"
            }
            ErrorCode::WatchlistEntryNotFound => "名单记录不存在",
            ErrorCode::WrongPassword => "当前密码不正确",
            ErrorCode::WrongSubmitterRole => "此检查不由您的角色提交",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        let mut resp = HttpResponse::build(self.status);
        resp.content_type("application/problem+json");
        if let Some(secs) = self.retry_after_secs {
            resp.insert_header((header::RETRY_AFTER, HeaderValue::from(secs)));
        }
        resp.json(self.problem())
    }
}

impl From<DbErr> for ApiError {
    fn from(err: DbErr) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                ApiError::conflict(ErrorCode::AlreadyExists, "该记录已存在(与已有记录重复)")
            }
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => ApiError::conflict(
                ErrorCode::ReferenceConflict,
                "该记录被其他记录引用,或引用的记录不存在",
            ),
            _ => {
                // Database errors may quote submitted values: log the kind only at error level.
                tracing::error!(error = %scrub_quoted(&err.to_string()), "database error");
                ApiError::internal()
            }
        }
    }
}

/// Collects per-field validation errors and turns them into one 422.
#[derive(Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            code: code.into(),
            message: message.into(),
            line: None,
        });
    }
    /// Trimmed text of bounded length (in characters).
    pub fn text(&mut self, field: &str, value: &str, min: usize, max: usize) {
        let len = value.trim().chars().count();
        if len < min {
            if min <= 1 {
                self.add(field, "required", "必填");
            } else {
                self.add(field, "too_short", format!("至少 {min} 个字符"));
            }
        } else if len > max {
            self.add(field, "too_long", format!("最多 {max} 个字符"));
        }
    }
    pub fn opt_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        if let Some(v) = value
            && v.chars().count() > max
        {
            self.add(field, "too_long", format!("最多 {max} 个字符"));
        }
    }
    pub fn phone(&mut self, field: &str, value: Option<&str>) {
        if let Some(v) = value {
            let ok = (5..=20).contains(&v.len())
                && v.chars().all(|c| c.is_ascii_digit() || "+- ".contains(c));
            if !ok {
                self.add(field, "invalid", "电话号码格式不正确");
            }
        }
    }
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
    pub fn finish(self) -> AppResult<()> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(ApiError::validation(self.errors))
        }
    }
}

/// serde messages can quote submitted values: in double quotes (`invalid type: string "张三"`)
/// or in back-ticks (`invalid type: integer `110105…``, `unknown variant `x``, a UUID's
/// `found `z``). Keep the message's shape, the field names (`missing field `name``) and the
/// allowed values (`expected one of `a`, `b``), drop every submitted value.
pub fn scrub_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut in_quotes = false;
    let mut rest = message;
    while let Some(c) = rest.chars().next() {
        let tail = &rest[c.len_utf8()..];
        if c == '"' {
            if !in_quotes {
                out.push_str("\"…\"");
            }
            in_quotes = !in_quotes;
        } else if in_quotes {
        } else if c == '`' {
            // A back-ticked span: a name from the schema, or a submitted value.
            let Some(end) = tail.find('`') else {
                out.push('…');
                break;
            };
            let span = &tail[..end];
            if names_schema(&out) {
                out.push('`');
                out.push_str(span);
                out.push('`');
            } else {
                out.push_str("`…`");
            }
            rest = &tail[end + 1..];
            continue;
        } else {
            out.push(c);
        }
        rest = tail;
    }
    out
}

/// Whether a back-ticked span following `before` is a name the schema gave (a field, or an
/// allowed value listed after `expected`) rather than something the client sent.
fn names_schema(before: &str) -> bool {
    before.ends_with("field ")
        || before
            .rfind("expected")
            .is_some_and(|at| !before[at..].contains("found") && !before[at..].contains(" at "))
}

/// The error type of startup and background work (not of requests: those use `ApiError`).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_values_are_scrubbed() {
        assert_eq!(
            scrub_quoted("invalid type: string \"张三\", expected u32 at line 1"),
            "invalid type: string \"…\", expected u32 at line 1"
        );
        assert_eq!(
            scrub_quoted("unknown field `foo`, expected `bar`"),
            "unknown field `foo`, expected `bar`"
        );
        assert_eq!(
            scrub_quoted(
                "invalid type: integer `110105194912310021`, expected a string at line 1 column 40"
            ),
            "invalid type: integer `…`, expected a string at line 1 column 40"
        );
        assert_eq!(
            scrub_quoted(
                "unknown variant `张三`, expected one of `exit_only`, `exit_and_return` at line 1 column 9"
            ),
            "unknown variant `…`, expected one of `exit_only`, `exit_and_return` at line 1 column 9"
        );
        assert_eq!(
            scrub_quoted("invalid value: integer `-5`, expected u32"),
            "invalid value: integer `…`, expected u32"
        );
        assert_eq!(
            scrub_quoted(
                "UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `z` at 1"
            ),
            "UUID parsing failed: invalid character: expected an optional prefix of `urn:uuid:` followed by [0-9a-fA-F-], found `…` at 1"
        );
        assert_eq!(scrub_quoted("missing field `name`"), "missing field `name`");
        assert_eq!(scrub_quoted("a `dangling"), "a …");
    }
}
