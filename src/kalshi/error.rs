//! The exchange's error bodies, in every shape seen: `{"error":{code,message,details}}`,
//! flat `{code,message,details}`, `{"msg":"..."}`, and the 429 body `{"error":"too many
//! requests"}` — all decoded into one [`ApiError`].

use serde::{Deserialize, Serialize};

/// The code/message/details triple.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct ErrorBody {
    /// Machine code (`order_already_exists`, `invalid_price`, ...).
    #[serde(default)]
    pub code: String,
    /// Human message.
    #[serde(default)]
    pub message: String,
    /// More detail (`post only cross`, `INCORRECT_API_KEY_SIGNATURE`, ...).
    #[serde(default)]
    pub details: String,
}

/// An error response: HTTP status plus whatever the body said.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("HTTP {status} {}: {}{}", .body.code, .body.message, if .body.details.is_empty() { String::new() } else { format!(" ({})", .body.details) })]
pub struct ApiError {
    /// HTTP status.
    pub status: u16,
    /// The decoded body.
    pub body: ErrorBody,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Shape {
    Nested { error: ErrorBody },
    Text { error: String },
    Msg { msg: String },
    Flat(ErrorBody),
}

impl ApiError {
    /// Decodes any of the known shapes; an undecodable body keeps its text as the message.
    pub fn from_body(status: u16, body: &[u8]) -> ApiError {
        let body = match serde_json::from_slice::<Shape>(body) {
            Ok(Shape::Nested { error }) => error,
            Ok(Shape::Text { error }) => {
                ErrorBody { code: code_for(status, &error), message: error, ..ErrorBody::default() }
            }
            Ok(Shape::Msg { msg }) => ErrorBody { code: code_for(status, &msg), message: msg, ..ErrorBody::default() },
            Ok(Shape::Flat(flat)) if !flat.code.is_empty() || !flat.message.is_empty() => flat,
            _ => ErrorBody {
                code: code_for(status, ""),
                message: String::from_utf8_lossy(body).chars().take(200).collect(),
                ..ErrorBody::default()
            },
        };
        ApiError { status, body }
    }

    /// The exchange says this `client_order_id` was already used: the first send went through.
    pub fn is_duplicate_order(&self) -> bool {
        self.body.code == "order_already_exists"
    }

    /// Worth retrying (rate limit, server trouble); never for a create without a lookup first.
    pub fn is_retryable(&self) -> bool {
        matches!(self.status, 429 | 500 | 502 | 503 | 504)
    }
}

fn code_for(status: u16, text: &str) -> String {
    match status {
        429 => "too_many_requests".to_string(),
        400 if text.contains("validation") => "bad_request".to_string(),
        s => format!("http_{s}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shape_decodes() {
        let nested = ApiError::from_body(
            409,
            br#"{"error":{"code":"order_already_exists","message":"order already exists","service":"exchange"}}"#,
        );
        assert!(nested.is_duplicate_order());
        let flat = ApiError::from_body(
            400,
            br#"{"code":"bad_request","message":"bad request","details":"json: cannot unmarshal number"}"#,
        );
        assert_eq!(flat.body.details, "json: cannot unmarshal number");
        assert_eq!(flat.to_string(), "HTTP 400 bad_request: bad request (json: cannot unmarshal number)");
        let msg = ApiError::from_body(400, br#"{"msg":"Parameter validation failed"}"#);
        assert_eq!(msg.body.code, "bad_request");
        let limited = ApiError::from_body(429, br#"{"error":"too many requests"}"#);
        assert_eq!(limited.body.code, "too_many_requests");
        assert!(limited.is_retryable());
        let html = ApiError::from_body(502, b"<html>bad gateway</html>");
        assert_eq!(html.body.message, "<html>bad gateway</html>");
    }
}
