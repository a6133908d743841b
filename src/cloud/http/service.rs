//! A service's view of the core: base URL, fixed query parameters, tokens, and the helpers
//! every typed client uses (JSON verbs, pagination, check-before-repeat creates).

use std::future::Future;
use std::sync::Arc;

use reqwest::{Method, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{ApiRequest, Attempts, HttpCore, RawResponse, TokenSource};
use crate::cloud::error::CloudError;

/// The `start` token of a pagination link (`next.href`, `next_url`). Following the token
/// rather than the link keeps our own base URL (and emulator prefix) in charge.
pub fn start_token(link: &str) -> Option<String> {
    let base = Url::parse("http://placeholder.invalid/").ok()?;
    let url = base.join(link).ok()?;
    url.query_pairs()
        .find(|(k, _)| k == "start")
        .map(|(_, v)| v.into_owned())
        .filter(|v| !v.is_empty())
}

/// A service's view of the core: its base URL, its fixed query parameters (VPC `version` and
/// `generation`, Transit Gateway `version`) and the token manager.
#[derive(Debug, Clone)]
pub struct ServiceApi {
    core: Arc<HttpCore>,
    tokens: Arc<dyn TokenSource>,
    service: &'static str,
    base: Url,
    fixed_query: Vec<(&'static str, String)>,
}

impl ServiceApi {
    /// `base` may end in a path (`http://127.0.0.1:8080/vpc`); `strip_suffix` drops a trailing
    /// version segment users often include (`.../v1`) because the clients add it themselves.
    pub fn new(
        core: Arc<HttpCore>,
        tokens: Arc<dyn TokenSource>,
        service: &'static str,
        base: &str,
        strip_suffix: Option<&str>,
    ) -> Result<Self, CloudError> {
        let mut trimmed = base.trim().trim_end_matches('/');
        if let Some(suffix) = strip_suffix {
            trimmed = trimmed.strip_suffix(suffix).unwrap_or(trimmed);
        }
        let base = Url::parse(trimmed)
            .map_err(|e| CloudError::Config(format!("invalid {service} endpoint {base:?}: {e}")))?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(CloudError::Config(format!(
                "invalid {service} endpoint {trimmed:?}: expected an http(s) URL"
            )));
        }
        Ok(Self {
            core,
            tokens,
            service,
            base,
            fixed_query: Vec::new(),
        })
    }

    pub fn with_fixed_query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.fixed_query.push((key, value.into()));
        self
    }

    pub fn service(&self) -> &'static str {
        self.service
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    pub fn tokens(&self) -> &Arc<dyn TokenSource> {
        &self.tokens
    }

    pub fn core(&self) -> &Arc<HttpCore> {
        &self.core
    }

    /// A request to `base/segment/segment/...`; every segment is percent-encoded, so ids that
    /// are CRNs (with `:` and `/`) stay one segment.
    pub fn request(&self, method: Method, segments: &[&str]) -> ApiRequest {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        if !self.fixed_query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (key, value) in &self.fixed_query {
                pairs.append_pair(key, value);
            }
        }
        ApiRequest::new(self.service, method, url)
    }

    pub async fn send(&self, request: ApiRequest) -> Result<RawResponse, CloudError> {
        let mut attempts = Attempts::default();
        self.core
            .send(&request, Some(self.tokens.as_ref()), &mut attempts)
            .await
    }

    pub async fn send_json<T: DeserializeOwned>(
        &self,
        request: ApiRequest,
    ) -> Result<T, CloudError> {
        let operation = request.operation();
        let response = self.send(request).await?;
        self.decode(&operation, &response.body)
    }

    /// `GET base/segments...`, the JSON answer decoded.
    pub async fn get<T: DeserializeOwned>(&self, segments: &[&str]) -> Result<T, CloudError> {
        self.send_json(self.request(Method::GET, segments)).await
    }

    /// `POST`, `PUT` or `PATCH base/segments...` with a JSON body, the JSON answer decoded. A
    /// POST is not repeated when its outcome is unknown (see [`ServiceApi::post_checked`]).
    pub async fn send_body<T: DeserializeOwned>(
        &self,
        method: Method,
        segments: &[&str],
        body: &impl Serialize,
    ) -> Result<T, CloudError> {
        self.send_json(self.request(method, segments).json(body)?)
            .await
    }

    /// `POST base/segments...` with a JSON body through [`ServiceApi::create_checked`]: when
    /// the outcome is unknown, `find_existing` says whether the object was made.
    pub async fn post_checked<T, F, Fut>(
        &self,
        segments: &[&str],
        body: &impl Serialize,
        find_existing: F,
    ) -> Result<T, CloudError>
    where
        T: DeserializeOwned,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, CloudError>>,
    {
        let request = self.request(Method::POST, segments).json(body)?;
        self.create_checked(request, find_existing).await
    }

    /// `DELETE base/segments...`, whatever the success body.
    pub async fn delete(&self, segments: &[&str]) -> Result<(), CloudError> {
        self.send_empty(self.request(Method::DELETE, segments))
            .await
    }

    /// For calls whose success body does not matter (DELETE 202/204).
    pub async fn send_empty(&self, request: ApiRequest) -> Result<(), CloudError> {
        self.send(request).await.map(|_| ())
    }

    pub fn decode<T: DeserializeOwned>(
        &self,
        operation: &str,
        body: &[u8],
    ) -> Result<T, CloudError> {
        let body = if body.iter().all(u8::is_ascii_whitespace) {
            b"null".as_slice()
        } else {
            body
        };
        serde_json::from_slice(body).map_err(|e| CloudError::Decode {
            service: self.service,
            operation: operation.to_string(),
            message: e.to_string(),
        })
    }

    /// Every item of a collection paginated the way IBM's VPC and Transit Gateway APIs do it
    /// (`{<key>: [...], next: {href}}`, `limit` and `start` parameters); `filters` go on every
    /// page. Stops after `max_pages` pages so a server that always answers `next` cannot loop us.
    pub async fn list_pages<T: DeserializeOwned>(
        &self,
        segments: &[&str],
        key: &str,
        filters: &[(&str, &str)],
        page_limit: &str,
        max_pages: usize,
    ) -> Result<Vec<T>, CloudError> {
        let page_request = |start: Option<&str>| {
            let mut request = self
                .request(Method::GET, segments)
                .query("limit", page_limit)
                .query_opt("start", start);
            for (k, v) in filters {
                request = request.query(k, v);
            }
            request
        };
        self.follow_pages(
            max_pages,
            page_request,
            |operation, mut page: Map<String, Value>| {
                let batch = match page.remove(key) {
                    Some(batch) => {
                        serde_json::from_value(batch).map_err(|e| CloudError::Decode {
                            service: self.service,
                            operation: operation.to_string(),
                            message: e.to_string(),
                        })?
                    }
                    None => Vec::new(),
                };
                let next = page
                    .get("next")
                    .and_then(|n| n.get("href"))
                    .and_then(Value::as_str)
                    .map(str::to_string);
                Ok((batch, next))
            },
        )
        .await
    }

    /// The pagination loop every listing shares: `page_request` builds the request for a
    /// `start` token (none for the first page), `split` turns a decoded page into its items and
    /// its next link (`next.href`, `next_url`). Stops when a page has no next `start`, or after
    /// `max_pages` pages so a server that always answers a next link cannot loop us.
    pub async fn follow_pages<T, P>(
        &self,
        max_pages: usize,
        page_request: impl Fn(Option<&str>) -> ApiRequest,
        mut split: impl FnMut(&str, P) -> Result<(Vec<T>, Option<String>), CloudError>,
    ) -> Result<Vec<T>, CloudError>
    where
        P: DeserializeOwned,
    {
        let mut items = Vec::new();
        let mut start: Option<String> = None;
        for _ in 0..max_pages {
            let request = page_request(start.as_deref());
            let operation = request.operation();
            let page: P = self.send_json(request).await?;
            let (batch, next) = split(&operation, page)?;
            items.extend(batch);
            start = next.as_deref().and_then(start_token);
            if start.is_none() {
                break;
            }
        }
        Ok(items)
    }

    /// Creates something with a POST without ever creating it twice.
    ///
    /// When the POST's outcome is unknown, `find_existing` is asked whether the object exists;
    /// if it does, that object is the result, otherwise the POST is repeated after a backoff.
    /// The core's retries and these repeats share one `max_retries` budget.
    pub async fn create_checked<T, F, Fut>(
        &self,
        request: ApiRequest,
        mut find_existing: F,
    ) -> Result<T, CloudError>
    where
        T: DeserializeOwned,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Option<T>, CloudError>>,
    {
        let operation = request.operation();
        let policy = self.core.retry_policy().clone();
        let mut attempts = Attempts::default();
        loop {
            match self
                .core
                .send(&request, Some(self.tokens.as_ref()), &mut attempts)
                .await
            {
                Ok(response) => return self.decode(&operation, &response.body),
                Err(CloudError::OutcomeUnknown { cause, .. })
                    if attempts.made <= policy.max_retries =>
                {
                    tracing::debug!(
                        service = self.service,
                        operation = %operation,
                        cause = %cause,
                        "write outcome unknown; checking what exists before repeating it"
                    );
                    if let Some(existing) = find_existing().await? {
                        return Ok(existing);
                    }
                    let delay = policy.delay(attempts.made, None, &mut rand::rng());
                    self.core.sleep(delay, &request).await?;
                }
                Err(error) => return Err(error),
            }
        }
    }
}
