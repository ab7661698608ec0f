//! What every provider client shares: one `reqwest` client per base URL, the answer as
//! bytes, transport failures sorted by what they mean for money, and [`CallError`].
//!
//! A provider module builds its request with [`HttpClient::request`], sends it with
//! [`HttpClient::send`], and turns the [`Answer`] into its own wire types and typed
//! errors. Nothing here knows a provider's headers or error bodies.

use std::error::Error as _;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{HeaderMap, RETRY_AFTER};
use reqwest::{Method, RequestBuilder, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

/// How long a call may take before its outcome is declared unknown. Providers answer in
/// well under a second; long polls (SWiP's 90 s) are loops of short calls, not one long one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// How long connecting may take; a connect failure means nothing was sent.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// A base URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BaseUrlError {
    /// Not a URL at all.
    #[error("{url:?} is not a URL ({reason}); enter it as https://host/path")]
    Invalid {
        /// The text as given.
        url: String,
        /// What the URL parser said.
        reason: String,
    },
    /// A scheme other than http or https.
    #[error("{url:?} must start with https:// (or http:// for a loopback sandbox)")]
    Scheme {
        /// The text as given.
        url: String,
    },
}

/// An HTTP client bound to one provider's base URL.
#[derive(Debug, Clone)]
pub struct HttpClient {
    inner: reqwest::Client,
    base: Url,
}

impl HttpClient {
    /// A client for `base_url` (a trailing slash is added so that paths join below it)
    /// with the given overall timeout per call.
    pub fn new(base_url: &str, timeout: Duration) -> Result<HttpClient, BaseUrlError> {
        let mut text = base_url.trim().to_owned();
        if !text.ends_with('/') {
            text.push('/');
        }
        let base = Url::parse(&text).map_err(|error| BaseUrlError::Invalid {
            url: base_url.to_owned(),
            reason: error.to_string(),
        })?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(BaseUrlError::Scheme {
                url: base_url.to_owned(),
            });
        }
        let inner = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(CONNECT_TIMEOUT.min(timeout))
            .user_agent(concat!("kassa/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("a client with only timeouts and a user agent always builds");
        Ok(HttpClient { inner, base })
    }

    /// The base URL, with its trailing slash.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// The URL of `path` (relative to the base, with or without a leading slash).
    pub fn url(&self, path: &str) -> Url {
        self.base
            .join(path.trim_start_matches('/'))
            .expect("a relative path always joins onto an http(s) base URL")
    }

    /// A request to `path` below the base URL.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.inner.request(method, self.url(path))
    }

    /// Sends a request and reads the whole answer.
    pub async fn send(&self, request: RequestBuilder) -> Result<Answer, TransportError> {
        let response = request.send().await.map_err(TransportError::from_reqwest)?;
        let status = response.status();
        let headers = response.headers().clone();
        // The status came back, so the request arrived; losing the body now leaves the
        // outcome unknown just as losing the whole answer does.
        let body = response.bytes().await.map_err(|error| TransportError {
            kind: TransportErrorKind::AnswerLost,
            detail: describe_chain(&error),
        })?;
        Ok(Answer {
            status,
            headers,
            body,
        })
    }
}

/// A provider's answer, read in full.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body as sent.
    pub body: Bytes,
}

impl Answer {
    /// The body parsed as `T`; `what` names the document's object for the error message.
    pub fn json<T: DeserializeOwned>(&self, what: &'static str) -> Result<T, Malformed> {
        serde_json::from_slice(&self.body).map_err(|error| Malformed {
            status: self.status.as_u16(),
            what,
            detail: error.to_string(),
            excerpt: self.excerpt(),
        })
    }

    /// The `Retry-After` header in seconds, where the provider sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(RETRY_AFTER)?
            .to_str()
            .ok()?
            .trim()
            .parse::<u64>()
            .ok()
            .map(Duration::from_secs)
    }

    /// The start of the body, for an error message.
    pub fn excerpt(&self) -> String {
        excerpt(&self.body)
    }

    /// This answer as a [`CallError::Status`] (a status the document gives no body for).
    pub fn unexpected_status<E>(&self) -> CallError<E> {
        CallError::Status {
            status: self.status.as_u16(),
            retry_after: self.retry_after(),
            excerpt: self.excerpt(),
        }
    }
}

/// The first 200 characters of a body, with control characters shown as spaces.
pub fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut shown: String = text
        .chars()
        .take(200)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > 200 {
        shown.push('…');
    }
    shown
}

/// What kind of transport failure happened, which decides whether the provider may have
/// acted on the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// The host name did not resolve: nothing was sent.
    Dns,
    /// No connection could be made (refused, unreachable, connect timeout): nothing was sent.
    Connect,
    /// The TLS handshake failed (certificate, protocol): nothing was sent.
    Tls,
    /// The request was sent and no complete answer came in time.
    Timeout,
    /// The request was sent and the connection closed before a complete answer.
    AnswerLost,
    /// Anything else reqwest reports (a request that could not be built, a redirect loop).
    Other,
}

/// A call that got no usable HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", .kind.describe())]
pub struct TransportError {
    /// What kind of failure.
    pub kind: TransportErrorKind,
    /// The underlying errors, outermost first.
    pub detail: String,
}

impl TransportErrorKind {
    /// A short sentence a manager or cashier understands.
    pub fn describe(self) -> &'static str {
        match self {
            TransportErrorKind::Dns => {
                "the provider's host name could not be found (check the address and the network)"
            }
            TransportErrorKind::Connect => {
                "no connection to the provider (check the network, or the provider is down)"
            }
            TransportErrorKind::Tls => {
                "the secure connection to the provider failed (certificate or TLS version)"
            }
            TransportErrorKind::Timeout => "the provider did not answer in time",
            TransportErrorKind::AnswerLost => "the connection closed before the provider's answer arrived",
            TransportErrorKind::Other => "the request could not be made",
        }
    }

    /// Whether the request may have reached the provider.
    pub fn may_have_arrived(self) -> bool {
        matches!(self, TransportErrorKind::Timeout | TransportErrorKind::AnswerLost)
    }
}

impl TransportError {
    fn from_reqwest(error: reqwest::Error) -> TransportError {
        let detail = describe_chain(&error);
        let lower = detail.to_ascii_lowercase();
        // reqwest marks connect failures and timeouts; DNS and TLS failures are connect
        // failures whose cause chain names them (hyper-util's "dns error", OpenSSL's
        // handshake and certificate errors).
        let kind = if lower.contains("dns error") || lower.contains("failed to lookup address") {
            TransportErrorKind::Dns
        } else if lower.contains("certificate")
            || lower.contains("ssl")
            || lower.contains("tls")
            || lower.contains("handshake")
        {
            TransportErrorKind::Tls
        } else if error.is_connect() {
            TransportErrorKind::Connect
        } else if error.is_timeout() {
            TransportErrorKind::Timeout
        } else if error.is_request() || error.is_body() || error.is_decode() {
            // The request was on the wire when the connection went away.
            TransportErrorKind::AnswerLost
        } else {
            TransportErrorKind::Other
        };
        TransportError { kind, detail }
    }
}

/// The error and its causes, outermost first, without repeating a cause that the
/// outer message already quotes.
fn describe_chain(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A body that is not the JSON the document describes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the provider's answer (HTTP {status}) is not a valid {what}: {detail}; it began: {excerpt}")]
pub struct Malformed {
    /// The HTTP status it came with.
    pub status: u16,
    /// The object it should have been, as the document names it.
    pub what: &'static str,
    /// What the parser said.
    pub detail: String,
    /// The start of the body.
    pub excerpt: String,
}

/// Why a provider call did not succeed. `E` is the provider's own typed error, for the
/// answers its document describes.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError<E> {
    /// No usable HTTP answer.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// An error the provider's document describes.
    #[error(transparent)]
    Api(E),
    /// A status the document gives no meaning for (or no body for): 5xx, 429, an
    /// undocumented 4xx.
    #[error("the provider answered HTTP {status}{}{}", retry_hint(.retry_after), excerpt_hint(.excerpt))]
    Status {
        /// The HTTP status.
        status: u16,
        /// When the provider asked to be called again (429, 503).
        retry_after: Option<Duration>,
        /// The start of the body.
        excerpt: String,
    },
    /// A success status whose body is not what the document describes.
    #[error(transparent)]
    Malformed(#[from] Malformed),
    /// An answer that contradicts the request: another currency, another amount, another
    /// reference than the one asked for.
    #[error("the provider's answer contradicts the request: {0}")]
    Contradiction(String),
    /// A request this client refuses to send (an amount the currency cannot hold, a
    /// missing credential, a reference the document's limits reject).
    #[error("{0}")]
    Refused(String),
}

fn retry_hint(retry_after: &Option<Duration>) -> String {
    match retry_after {
        Some(after) => format!(" (try again in {} s)", after.as_secs()),
        None => String::new(),
    }
}

fn excerpt_hint(excerpt: &str) -> String {
    if excerpt.is_empty() {
        String::new()
    } else {
        format!(": {excerpt}")
    }
}

impl<E> CallError<E> {
    /// Whether the provider may have acted on the request although no success came back:
    /// the request was sent and the answer was lost, timed out, was a server error, or
    /// was a success that could not be read. Such a call's outcome must be found out by
    /// asking the provider, never by sending it again blindly.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            CallError::Transport(error) => error.kind.may_have_arrived(),
            CallError::Status { status, .. } => *status >= 500,
            CallError::Malformed(malformed) => (200..300).contains(&malformed.status),
            CallError::Contradiction(_) => true,
            CallError::Api(_) | CallError::Refused(_) => false,
        }
    }

    /// Maps the provider error type, keeping everything else.
    pub fn map_api<F>(self, map: impl FnOnce(E) -> F) -> CallError<F> {
        match self {
            CallError::Transport(error) => CallError::Transport(error),
            CallError::Api(error) => CallError::Api(map(error)),
            CallError::Status {
                status,
                retry_after,
                excerpt,
            } => CallError::Status {
                status,
                retry_after,
                excerpt,
            },
            CallError::Malformed(malformed) => CallError::Malformed(malformed),
            CallError::Contradiction(text) => CallError::Contradiction(text),
            CallError::Refused(text) => CallError::Refused(text),
        }
    }
}

/// What kind of failure a call ended in, for the UI and the CLI's exit status. Exhaustive
/// on purpose: a new kind must be given words wherever it is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProblemCode {
    Dns,
    Unreachable,
    Tls,
    Timeout,
    AnswerLost,
    RequestFailed,
    ProviderError,
    Unauthorized,
    Forbidden,
    NotFound,
    RateLimited,
    Status,
    Malformed,
    Contradiction,
    Refused,
}

impl ProblemCode {
    /// The stable code text (`provider_unauthorized`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemCode::Dns => "provider_dns",
            ProblemCode::Unreachable => "provider_unreachable",
            ProblemCode::Tls => "provider_tls",
            ProblemCode::Timeout => "provider_timeout",
            ProblemCode::AnswerLost => "provider_answer_lost",
            ProblemCode::RequestFailed => "provider_request_failed",
            ProblemCode::ProviderError => "provider_error",
            ProblemCode::Unauthorized => "provider_unauthorized",
            ProblemCode::Forbidden => "provider_forbidden",
            ProblemCode::NotFound => "provider_not_found",
            ProblemCode::RateLimited => "provider_rate_limited",
            ProblemCode::Status => "provider_status",
            ProblemCode::Malformed => "provider_malformed",
            ProblemCode::Contradiction => "provider_contradiction",
            ProblemCode::Refused => "provider_refused",
        }
    }
}

/// What kind of failure one of a provider's documented errors is: its authentication
/// errors are [`ProblemCode::Unauthorized`], so **Test connection** can say "the
/// credentials were refused" whatever the provider's body looked like.
pub trait ApiProblem {
    fn problem(&self) -> ProblemCode {
        ProblemCode::ProviderError
    }
}

/// A bare text error (tests, and callers with no typed errors).
impl ApiProblem for String {}

impl<E: ApiProblem> CallError<E> {
    /// What kind of failure this is.
    pub fn problem(&self) -> ProblemCode {
        match self {
            CallError::Transport(error) => match error.kind {
                TransportErrorKind::Dns => ProblemCode::Dns,
                TransportErrorKind::Connect => ProblemCode::Unreachable,
                TransportErrorKind::Tls => ProblemCode::Tls,
                TransportErrorKind::Timeout => ProblemCode::Timeout,
                TransportErrorKind::AnswerLost => ProblemCode::AnswerLost,
                TransportErrorKind::Other => ProblemCode::RequestFailed,
            },
            CallError::Api(error) => error.problem(),
            CallError::Status { status: 401, .. } => ProblemCode::Unauthorized,
            CallError::Status { status: 403, .. } => ProblemCode::Forbidden,
            CallError::Status { status: 404, .. } => ProblemCode::NotFound,
            CallError::Status { status: 429, .. } => ProblemCode::RateLimited,
            CallError::Status { .. } => ProblemCode::Status,
            CallError::Malformed(_) => ProblemCode::Malformed,
            CallError::Contradiction(_) => ProblemCode::Contradiction,
            CallError::Refused(_) => ProblemCode::Refused,
        }
    }

    /// A stable code for the UI and the CLI's exit status.
    pub fn code(&self) -> &'static str {
        self.problem().as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_joined() {
        let client = HttpClient::new("http://127.0.0.1:9/api/v3", DEFAULT_TIMEOUT).unwrap();
        assert_eq!(
            client.url("/orders/7").as_str(),
            "http://127.0.0.1:9/api/v3/orders/7"
        );
        assert_eq!(client.url("orders").as_str(), "http://127.0.0.1:9/api/v3/orders");
        assert!(matches!(
            HttpClient::new("ftp://example.com", DEFAULT_TIMEOUT),
            Err(BaseUrlError::Scheme { .. })
        ));
        assert!(matches!(
            HttpClient::new("not a url", DEFAULT_TIMEOUT),
            Err(BaseUrlError::Invalid { .. })
        ));
    }

    #[tokio::test]
    async fn a_refused_connection_is_known_to_have_sent_nothing() {
        // Bind and drop a listener to get a loopback port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = HttpClient::new(&format!("http://127.0.0.1:{port}"), DEFAULT_TIMEOUT).unwrap();
        let error = client.send(client.request(Method::GET, "/")).await.unwrap_err();
        assert_eq!(error.kind, TransportErrorKind::Connect, "{error}");
        let call: CallError<String> = error.into();
        assert!(!call.outcome_unknown());
        assert_eq!(call.code(), "provider_unreachable");
    }

    #[test]
    fn which_failures_leave_the_outcome_unknown() {
        let status = |status| CallError::<String>::Status {
            status,
            retry_after: None,
            excerpt: String::new(),
        };
        assert!(status(500).outcome_unknown());
        assert!(status(503).outcome_unknown());
        assert!(!status(429).outcome_unknown());
        assert!(!status(401).outcome_unknown());
        assert!(!CallError::Api("declined".to_owned()).outcome_unknown());
        let lost = TransportError {
            kind: TransportErrorKind::AnswerLost,
            detail: String::new(),
        };
        assert!(CallError::<String>::from(lost).outcome_unknown());
    }
}
