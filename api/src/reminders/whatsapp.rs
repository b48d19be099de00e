//! WhatsApp through Meta's Cloud API: `POST {base}/{version}/{phone number
//! id}/messages` with a Bearer token and a `template` message, since a
//! business may only start a conversation with an approved template. The
//! answer's `messages[0].id` (the `wamid`) is kept with the row.
//!
//! 4xx answers (other than 429) are permanent: the same request would be
//! refused again. 5xx, 429, timeouts and connection failures are transient.

use std::time::Duration;

use serde_json::{Value, json};

use super::config::{WhatsAppConfig, WhatsAppTemplate};
use super::kinds::SendError;

pub struct WhatsAppClient {
    http: reqwest::Client,
    endpoint: String,
    token: String,
}

impl WhatsAppClient {
    pub fn new(config: &WhatsAppConfig) -> anyhow::Result<WhatsAppClient> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(config.timeout_secs))
            .build()?;
        Ok(WhatsAppClient {
            http,
            endpoint: format!(
                "{}/{}/{}/messages",
                config.api_base.trim_end_matches('/'),
                config.api_version,
                config.phone_number_id
            ),
            token: config.access_token.clone(),
        })
    }

    /// Reads the phone number the configuration names (Graph API
    /// `GET /{phone_number_id}`), proving the token and the id without
    /// sending anything; returns its display number.
    pub async fn check(&self) -> Result<String, String> {
        let url = self.endpoint.trim_end_matches("/messages");
        let response = self
            .http
            .get(url)
            .query(&[("fields", "display_phone_number,verified_name")])
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| format!("WhatsApp: {e}"))?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            let number = body["display_phone_number"]
                .as_str()
                .unwrap_or("(no number)");
            return Ok(number.to_owned());
        }
        let said = body["error"]["message"]
            .as_str()
            .unwrap_or("no explanation");
        Err(match status.as_u16() {
            401 => format!("WhatsApp refused the access token: {said}"),
            400 | 404 => format!("WhatsApp does not know this phone_number_id: {said}"),
            _ => format!("WhatsApp answered {status}: {said}"),
        })
    }

    /// Sends a template message to an E.164 number; returns the `wamid`.
    pub async fn send(
        &self,
        to: &str,
        template: &WhatsAppTemplate,
        parameters: &[String],
    ) -> Result<String, SendError> {
        let body = request_body(to, template, parameters);
        let response = self
            .http
            .post(&self.endpoint)
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| SendError::Transient(format!("WhatsApp: {e}")))?;
        let status = response.status();
        let answer: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            return answer["messages"][0]["id"]
                .as_str()
                .map(str::to_owned)
                .ok_or_else(|| {
                    SendError::Transient("WhatsApp: answer without a message id".into())
                });
        }
        let detail = answer["error"]["message"].as_str().unwrap_or("no detail");
        let code = answer["error"]["code"].as_i64().unwrap_or_default();
        let text = format!("WhatsApp: HTTP {} (code {code}): {detail}", status.as_u16());
        if status.as_u16() == 429 || status.is_server_error() {
            Err(SendError::Transient(text))
        } else {
            Err(SendError::Permanent(text))
        }
    }
}

/// The Cloud API's template message.
pub fn request_body(to: &str, template: &WhatsAppTemplate, parameters: &[String]) -> Value {
    json!({
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to.trim_start_matches('+'),
        "type": "template",
        "template": {
            "name": template.name,
            "language": {"code": template.language},
            "components": [{
                "type": "body",
                "parameters": parameters
                    .iter()
                    .map(|text| json!({"type": "text", "text": text}))
                    .collect::<Vec<_>>(),
            }],
        },
    })
}
