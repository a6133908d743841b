//! One error type for every IBM Cloud call.
//!
//! Resources map `CloudError` to Terraform diagnostics in a single place, so the variants
//! carry exactly what that mapping needs: whether the object is gone (`is_not_found`), whether
//! the caller may retry, and the API's own status, code, message and trace for the detail.
//! Messages are redacted before they get here: no variant ever holds a secret.

use std::fmt;
use std::time::Duration;

/// The parts of an IBM error response that a user needs to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// Which service answered (`"vpc"`, `"power"`, ...).
    pub service: &'static str,
    /// `"GET /v1/security_groups/{id}"`-style description of the call, without query secrets.
    pub operation: String,
    pub status: u16,
    /// IBM's error code (`not_found`, `BXNIM0415E`, PowerVS numeric codes as text), if any.
    pub code: Option<String>,
    pub message: String,
    /// The request trace id (`trace` in the body or `X-Request-Id`), for IBM support.
    pub trace: Option<String>,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} returned HTTP {}",
            self.service, self.operation, self.status
        )?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(trace) = &self.trace {
            write!(f, " [trace {trace}]")?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    /// 404 (or PowerVS 410): the object does not exist (any more).
    #[error("not found: {0}")]
    NotFound(Box<ApiError>),
    /// 409: the request conflicts with the current state of the object.
    #[error("conflict: {0}")]
    Conflict(Box<ApiError>),
    /// 429 still returned after every retry allowed by `max_retries`.
    #[error("rate limited after {attempts} attempts: {error}")]
    RateLimited { error: Box<ApiError>, attempts: u32 },
    /// 401/403, or IAM refused the credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(Box<ApiError>),
    /// Any other non-success status.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// An IAM token handed in from outside (`iam_token`) has expired and cannot be renewed.
    #[error(
        "the IAM token given in iam_token (IC_IAM_TOKEN) expired {expired_ago_seconds} s ago and \
         cannot be refreshed; pass a fresh token or configure ibmcloud_api_key instead"
    )]
    TokenExpired { expired_ago_seconds: u64 },
    /// The connection failed or broke; no HTTP response.
    #[error("transport error calling {service} {operation}: {message}")]
    Transport {
        service: &'static str,
        operation: String,
        message: String,
    },
    /// A write may or may not have happened (timeout, broken connection or 5xx on a POST) and
    /// nothing could tell which; repeating it blindly could create a duplicate.
    #[error(
        "the outcome of {service} {operation} is unknown ({cause}); check whether the object \
         exists before trying again"
    )]
    OutcomeUnknown {
        service: &'static str,
        operation: String,
        cause: String,
    },
    /// A per-request timeout or the resource's own timeout ran out.
    #[error("timed out after {after:?} {what}")]
    Timeout { what: String, after: Duration },
    /// Terraform asked the provider to stop (StopProvider) or the operation was abandoned.
    #[error("cancelled while {what}")]
    Cancelled { what: String },
    /// A waited-for object reached a failed state; `message` is the API's own explanation.
    #[error("{what} failed (state {state}): {message}")]
    Failed {
        what: String,
        state: String,
        message: String,
    },
    /// A response body that does not match the documented model.
    #[error("unexpected response from {service} {operation}: {message}")]
    Decode {
        service: &'static str,
        operation: String,
        message: String,
    },
    /// Bad configuration or arguments detected before any call (endpoint URLs, ids).
    #[error("invalid client configuration: {0}")]
    Config(String),
    /// A command on the orchestrator LPAR (KSYS over SSH) failed.
    #[error("{0}")]
    Orchestrator(#[from] super::ksys::KsysError),
}

impl CloudError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, CloudError::NotFound(_))
    }

    /// The orchestrator-side error, when a KSYS command failed.
    pub fn ksys(&self) -> Option<&super::ksys::KsysError> {
        match self {
            CloudError::Orchestrator(e) => Some(e),
            _ => None,
        }
    }

    pub fn is_conflict(&self) -> bool {
        matches!(self, CloudError::Conflict(_))
    }

    pub fn is_rate_limited(&self) -> bool {
        matches!(self, CloudError::RateLimited { .. })
    }

    pub fn is_unauthorized(&self) -> bool {
        matches!(
            self,
            CloudError::Unauthorized(_) | CloudError::TokenExpired { .. }
        )
    }

    pub fn is_cancelled(&self) -> bool {
        matches!(self, CloudError::Cancelled { .. })
    }

    pub fn is_timeout(&self) -> bool {
        matches!(self, CloudError::Timeout { .. })
    }

    /// The API error details, when the service answered with an error status.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            CloudError::NotFound(e)
            | CloudError::Conflict(e)
            | CloudError::Unauthorized(e)
            | CloudError::Api(e) => Some(e),
            CloudError::RateLimited { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The HTTP status, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.api_error().map(|e| e.status)
    }

    /// Classify an error response by status, the way every caller expects.
    pub(crate) fn from_api(error: ApiError, attempts: u32) -> Self {
        let error = Box::new(error);
        match error.status {
            404 | 410 => CloudError::NotFound(error),
            409 => CloudError::Conflict(error),
            429 => CloudError::RateLimited { error, attempts },
            401 | 403 => CloudError::Unauthorized(error),
            _ => CloudError::Api(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16) -> ApiError {
        ApiError {
            service: "vpc",
            operation: "GET /v1/security_groups/{id}".into(),
            status,
            code: Some("not_found".into()),
            message: "Security group not found".into(),
            trace: Some("abc-123".into()),
        }
    }

    #[test]
    fn classification_by_status() {
        assert!(CloudError::from_api(api(404), 1).is_not_found());
        assert!(CloudError::from_api(api(410), 1).is_not_found());
        assert!(CloudError::from_api(api(409), 1).is_conflict());
        assert!(CloudError::from_api(api(429), 3).is_rate_limited());
        assert!(CloudError::from_api(api(401), 1).is_unauthorized());
        assert!(CloudError::from_api(api(403), 1).is_unauthorized());
        let other = CloudError::from_api(api(500), 1);
        assert!(matches!(other, CloudError::Api(_)));
        assert_eq!(other.status(), Some(500));
    }

    #[test]
    fn display_carries_status_code_message_and_trace() {
        let text = CloudError::from_api(api(404), 1).to_string();
        assert_eq!(
            text,
            "not found: vpc GET /v1/security_groups/{id} returned HTTP 404 (not_found): \
             Security group not found [trace abc-123]"
        );
    }
}
