//! `provider-clients`: what do Kassa's typed provider clients cost over the cheapest
//! call of the same endpoint, against the same emulator in the same run? (Issue 8.)
//!
//! For one read endpoint per provider:
//!
//! (a) **typed**: the `kassa-providers` client method: it builds the request (path,
//!     query, headers, credentials), sends it, checks the status, parses the body into
//!     Kassa's wire types with exact amounts, and checks the answer against the request.
//! (b) **bare**: a `reqwest::Client` request of the same method, URL and headers
//!     (credentials included), whose body is parsed into `serde_json::Value`.
//!
//! Both sides use a `reqwest::Client` configured as `kassa_providers::HttpClient`
//! configures its own (same overall and connect timeouts, same user agent, default
//! keep-alive pool), each with its own pool against the same emulator, all on one tokio
//! runtime. Before measuring, the bench checks that both sides' requests reached the
//! emulator with the same method, path, query and headers (from the emulator's log;
//! credentials are masked there, and a 2xx proves them). Every timed typed result is
//! compared with what the setup created and every bare answer must be 2xx, outside the
//! timed span, so a failure cannot be timed as a success. After warm-up rounds, each
//! round calls every provider once per side, the side that goes first alternating
//! every round. Ratios are ratios of medians. Not part of the test suite; results go
//! into BENCHMARKS.md by hand.
//!
//! `cargo run --release -p kassa-bench --bin provider-clients -- [--rounds N] [--warmup N]`

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail, ensure};
use clap::Parser;
use kassa_core::{Currency, Money};
use kassa_providers::http::{CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
use kassa_providers::{Field, Secret, Settings, droppay, flexiti, swip, venue_manager, vourity};
use kassa_sandbox::{LogEntry, Ports, Provider, RunningEmulator, Sandbox};
use rust_decimal::Decimal;
use serde_json::Value;

#[derive(Parser)]
#[command(
    about = "Typed provider client call vs bare reqwest + serde_json::Value, per provider, same emulator"
)]
struct Args {
    /// Measured rounds (each: one typed and one bare call per provider).
    #[arg(long, default_value_t = 2000)]
    rounds: usize,
    /// Warm-up rounds, discarded.
    #[arg(long, default_value_t = 200)]
    warmup: usize,
}

/// The user agent `kassa_providers::HttpClient` sends (its crate's version is the
/// workspace's, as is this one's).
const USER_AGENT: &str = concat!("kassa/", env!("CARGO_PKG_VERSION"));

/// A `reqwest::Client` configured as `kassa_providers::HttpClient::new` configures its own.
fn bare_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(DEFAULT_TIMEOUT)
        .connect_timeout(CONNECT_TIMEOUT.min(DEFAULT_TIMEOUT))
        .user_agent(USER_AGENT)
        .build()
        .expect("a client with only timeouts and a user agent builds")
}

/// Settings from a sandbox module's demo values, secrets where `fields` says so.
fn settings(base_url: String, demo: &[(&str, &str)], fields: &[Field]) -> Settings {
    let mut settings = Settings {
        base_url,
        ..Settings::default()
    };
    for (key, value) in demo {
        let field = fields
            .iter()
            .find(|field| field.key == *key)
            .unwrap_or_else(|| panic!("{key} is a field"));
        if field.secret {
            settings.secrets.insert((*key).to_owned(), Secret::new(*value));
        } else {
            settings.values.insert((*key).to_owned(), (*value).to_owned());
        }
    }
    settings
}

fn demo(demo: &[(&'static str, &'static str)], key: &str) -> &'static str {
    demo.iter()
        .find(|(known, _)| *known == key)
        .map(|(_, value)| *value)
        .unwrap_or_else(|| panic!("demo setting {key}"))
}

fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).expect("a decimal")
}

/// The bare side's answer: status and body as a `Value`.
async fn bare_json(request: reqwest::RequestBuilder) -> Result<(u16, Value)> {
    let response = request.send().await?;
    let status = response.status().as_u16();
    let body: Value = response.json().await?;
    Ok((status, body))
}

fn check_bare(name: &str, (status, body): &(u16, Value)) -> Result<()> {
    ensure!(
        (200..300).contains(status),
        "{name}: bare call answered HTTP {status}: {body}"
    );
    Ok(())
}

/// One provider's endpoint, callable both ways.
trait Case {
    type Typed;
    fn provider(&self) -> Provider;
    /// What is called, for the table.
    fn endpoint(&self) -> &'static str;
    /// The path (and query) the emulator logs for this endpoint.
    fn logged_target(&self) -> String;
    async fn typed(&self) -> Result<Self::Typed>;
    /// Outside the timed span: is this the answer the setup leads us to expect?
    fn check_typed(&self, answer: &Self::Typed) -> Result<()>;
    async fn bare(&self) -> Result<(u16, Value)>;
}

// ---------------------------------------------------------------------------------------
// SWiP: GET /orders/{id}

struct SwipCase {
    client: swip::Client,
    http: reqwest::Client,
    url: String,
    bearer: String,
    order: swip::Order,
}

impl SwipCase {
    async fn new(emulator: &RunningEmulator) -> Result<SwipCase> {
        let demo_settings = kassa_sandbox::swip::DEMO_SETTINGS;
        let client =
            swip::Client::from_settings(&settings(emulator.base_url(), demo_settings, swip::FIELDS))?;
        let eur = |text: &str| Money::new(dec(text), Currency::EUR);
        let purchases = vec![
            swip::Purchase::new("Coffee", dec("2"), swip::Unit::Pieces, eur("3.50")),
            swip::Purchase::new("Bun", dec("1"), swip::Unit::Pieces, eur("4.20")),
            swip::Purchase::new("Cup", dec("1"), swip::Unit::Pieces, eur("12.90")),
        ];
        let request = client.order_request(
            "bench-1",
            "Alva",
            1_764_660_000_000,
            eur("24.10"),
            eur("24.10"),
            purchases,
        );
        let order = client
            .create_order(&request)
            .await
            .context("SWiP order created")?;
        Ok(SwipCase {
            url: format!("{}/orders/{}", emulator.base_url(), order.id),
            bearer: format!("Bearer {}", demo(demo_settings, "token")),
            client,
            http: bare_client(),
            order,
        })
    }
}

impl Case for SwipCase {
    type Typed = swip::Order;
    fn provider(&self) -> Provider {
        Provider::Swip
    }
    fn endpoint(&self) -> &'static str {
        "`get_order`: GET /orders/{id}"
    }
    fn logged_target(&self) -> String {
        format!("{}/orders/{}", kassa_sandbox::swip::BASE_PATH, self.order.id)
    }
    async fn typed(&self) -> Result<swip::Order> {
        Ok(self.client.get_order(&self.order.id).await?)
    }
    fn check_typed(&self, order: &swip::Order) -> Result<()> {
        ensure!(
            order.id == self.order.id
                && order.order_status == swip::OrderStatus::Open
                && order.total == dec("24.10")
                && order.purchases.len() == 3,
            "SWiP: unexpected order {order:?}"
        );
        Ok(())
    }
    async fn bare(&self) -> Result<(u16, Value)> {
        let demo_settings = kassa_sandbox::swip::DEMO_SETTINGS;
        bare_json(
            self.http
                .get(&self.url)
                .header("Authorization", &self.bearer)
                .header("X-Merchant-ID", demo(demo_settings, "merchant_id"))
                .header("X-Store-ID", demo(demo_settings, "store_id"))
                .header("X-Cash-ID", demo(demo_settings, "cash_id"))
                .header("Api-Version", "3")
                .header("Accept", "application/json"),
        )
        .await
    }
}

// ---------------------------------------------------------------------------------------
// Vourity: GET /pointOfServices/{id}/pos-status

struct VourityCase {
    client: vourity::Client,
    http: reqwest::Client,
    url: String,
    session_id: String,
}

impl VourityCase {
    async fn new(emulator: &RunningEmulator) -> Result<VourityCase> {
        let demo_settings = kassa_sandbox::vourity::DEMO_SETTINGS;
        let client =
            vourity::Client::from_settings(&settings(emulator.base_url(), demo_settings, vourity::FIELDS))?;
        let sek = |text: &str| Money::new(dec(text), Currency::SEK);
        // A payment waiting on the terminal, so the status carries a session.
        let payment = vourity::NewPayment {
            session_id: "bench-session-1".to_owned(),
            order_id: "bench-order-1".to_owned(),
            payment_id: "bench-payment-1".to_owned(),
            total: sek("19.80"),
            vat: sek("3.96"),
            webhook_token: vourity::WebhookToken::from_random_bytes(&[42; 32]),
        };
        client
            .payment_request(&payment)
            .await
            .context("Vourity payment requested")?;
        Ok(VourityCase {
            url: format!(
                "{}/pointOfServices/{}/pos-status",
                emulator.base_url(),
                kassa_sandbox::vourity::POINT_OF_SERVICE_ID
            ),
            client,
            http: bare_client(),
            session_id: payment.session_id,
        })
    }
}

impl Case for VourityCase {
    type Typed = vourity::PosStatusAnswer;
    fn provider(&self) -> Provider {
        Provider::Vourity
    }
    fn endpoint(&self) -> &'static str {
        "`pos_status`: GET /pointOfServices/{id}/pos-status"
    }
    fn logged_target(&self) -> String {
        format!(
            "{}/pointOfServices/{}/pos-status",
            kassa_sandbox::vourity::BASE_PATH,
            kassa_sandbox::vourity::POINT_OF_SERVICE_ID
        )
    }
    async fn typed(&self) -> Result<vourity::PosStatusAnswer> {
        Ok(self.client.pos_status().await?)
    }
    fn check_typed(&self, status: &vourity::PosStatusAnswer) -> Result<()> {
        let session = status.current_session.as_ref();
        ensure!(
            status.point_of_service_id == kassa_sandbox::vourity::POINT_OF_SERVICE_ID
                && status.status_code == vourity::PosStatusCode::Busy
                && session.is_some_and(|session| {
                    session.session_id == self.session_id
                        && session.payment_status == vourity::PaymentStatus::Pending
                }),
            "Vourity: unexpected status {status:?}"
        );
        Ok(())
    }
    async fn bare(&self) -> Result<(u16, Value)> {
        bare_json(
            self.http
                .get(&self.url)
                .header("apikey", kassa_sandbox::vourity::API_KEY)
                .header(
                    "Ocp-Apim-Subscription-Key",
                    kassa_sandbox::vourity::SUBSCRIPTION_KEY,
                )
                .header("Ocp-Apim-Trace", "true")
                .header("Accept", "application/json")
                .header("Content-Type", "application/json"),
        )
        .await
    }
}

// ---------------------------------------------------------------------------------------
// Flexiti: GET /client-id/{client_id}/authorization/{id}?lang=en

struct FlexitiCase {
    client: flexiti::Client,
    http: reqwest::Client,
    url: String,
    bearer: String,
    authorization: flexiti::Authorization,
    reads: AtomicU64,
}

impl FlexitiCase {
    async fn new(emulator: &RunningEmulator) -> Result<FlexitiCase> {
        let demo_settings = kassa_sandbox::flexiti::DEMO_SETTINGS;
        let client =
            flexiti::Client::from_settings(&settings(emulator.base_url(), demo_settings, flexiti::FIELDS))?;
        let request = flexiti::AuthorizationRequest::new(
            kassa_sandbox::flexiti::DEMO_ACCOUNT,
            Money::new(dec("3000.12"), Currency::CAD),
            "12345-SMITH",
        )?;
        let authorization = client
            .authorize("bench-auth-1", &request)
            .await
            .context("Flexiti authorization")?;
        Ok(FlexitiCase {
            url: format!(
                "{}/client-id/{}/authorization/{}?lang=en",
                emulator.base_url(),
                demo(demo_settings, "client_id"),
                authorization.authorization_id
            ),
            bearer: format!("Bearer {}", demo(demo_settings, "api_key")),
            client,
            http: bare_client(),
            authorization,
            reads: AtomicU64::new(0),
        })
    }
}

impl Case for FlexitiCase {
    type Typed = flexiti::Authorization;
    fn provider(&self) -> Provider {
        Provider::Flexiti
    }
    fn endpoint(&self) -> &'static str {
        "`get_authorization`: GET …/authorization/{id}?lang=en"
    }
    fn logged_target(&self) -> String {
        format!(
            "{}/client-id/{}/authorization/{}?lang=en",
            kassa_sandbox::flexiti::BASE_PATH,
            kassa_sandbox::flexiti::DEMO_CLIENT_ID,
            self.authorization.authorization_id
        )
    }
    async fn typed(&self) -> Result<flexiti::Authorization> {
        Ok(self
            .client
            .get_authorization(self.authorization.authorization_id)
            .await?)
    }
    fn check_typed(&self, authorization: &flexiti::Authorization) -> Result<()> {
        ensure!(
            authorization == &self.authorization,
            "Flexiti: unexpected authorization {authorization:?}"
        );
        Ok(())
    }
    async fn bare(&self) -> Result<(u16, Value)> {
        // The typed client sends a fresh x-reference-id on every read; so does this.
        let reference = format!("bare-read-{}", self.reads.fetch_add(1, Ordering::Relaxed));
        bare_json(
            self.http
                .get(&self.url)
                .header("Authorization", &self.bearer)
                .header("x-reference-id", reference)
                .header("Accept", "application/json"),
        )
        .await
    }
}

// ---------------------------------------------------------------------------------------
// Venue Manager: GET /invoice?afterNumber=&limit=&format=json

struct VenueManagerCase {
    client: venue_manager::Client,
    http: reqwest::Client,
    url: String,
    after_number: u64,
    expected_numbers: Vec<u64>,
}

/// Invoices in the emulator; the bench asks for the ones after the first.
const VM_INVOICES: usize = 6;
const VM_LIMIT: u32 = 10;

impl VenueManagerCase {
    async fn new(emulator: &RunningEmulator) -> Result<VenueManagerCase> {
        let demo_settings = kassa_sandbox::venue_manager::DEMO_SETTINGS;
        let client = venue_manager::Client::from_settings(&settings(
            emulator.base_url(),
            demo_settings,
            venue_manager::FIELDS,
        ))?;
        let control = bare_client();
        let mut numbers = Vec::new();
        for index in 0..VM_INVOICES {
            // JSON text, so the amounts keep their digits.
            let body = format!(
                r#"{{"lines": [
                    {{"type": "product", "quantity": 2, "amount": 685, "vatPercentage": 25, "sku": "B-KAFFE-{index}"}},
                    {{"type": "product", "quantity": 1, "amount": 42.5, "vatPercentage": 25, "sku": "B-BULLE-{index}"}},
                    {{"type": "admission", "quantity": 2, "amount": 100, "discount": 50, "vatPercentage": 25, "numbers": [{a}, {b}]}}
                ]}}"#,
                a = 12_340_000 + 2 * index,
                b = 12_340_001 + 2 * index,
            );
            let answer = control
                .post(format!("{}/_sandbox/invoices", emulator.origin()))
                .header("Content-Type", "application/json")
                .body(body)
                .send()
                .await?;
            ensure!(
                answer.status().is_success(),
                "adding an invoice: {}",
                answer.status()
            );
            let answer: Value = answer.json().await?;
            numbers.push(answer["number"].as_u64().context("an invoice number")?);
        }
        let after_number = numbers[0];
        Ok(VenueManagerCase {
            url: format!(
                "{}/invoice?afterNumber={after_number}&limit={VM_LIMIT}&format=json",
                emulator.base_url()
            ),
            client,
            http: bare_client(),
            after_number,
            expected_numbers: numbers[1..].to_vec(),
        })
    }
}

impl Case for VenueManagerCase {
    type Typed = Vec<venue_manager::wire::Invoice>;
    fn provider(&self) -> Provider {
        Provider::VenueManager
    }
    fn endpoint(&self) -> &'static str {
        "`invoices`: GET /invoice?afterNumber=&limit=10&format=json (5 invoices × 3 lines)"
    }
    fn logged_target(&self) -> String {
        format!(
            "{}/invoice?afterNumber={}&limit={VM_LIMIT}&format=json",
            kassa_sandbox::venue_manager::BASE_PATH,
            self.after_number
        )
    }
    async fn typed(&self) -> Result<Vec<venue_manager::wire::Invoice>> {
        Ok(self
            .client
            .invoices(
                Some(self.after_number),
                VM_LIMIT,
                venue_manager::InvoiceFormat::Json,
            )
            .await?)
    }
    fn check_typed(&self, invoices: &Vec<venue_manager::wire::Invoice>) -> Result<()> {
        let numbers: Vec<u64> = invoices.iter().map(|invoice| invoice.number).collect();
        ensure!(
            numbers == self.expected_numbers && invoices.iter().all(|invoice| invoice.lines.len() == 3),
            "Venue Manager: unexpected invoices {numbers:?}"
        );
        Ok(())
    }
    async fn bare(&self) -> Result<(u16, Value)> {
        bare_json(self.http.get(&self.url).basic_auth(
            kassa_sandbox::venue_manager::DEMO_API_USER,
            Some(kassa_sandbox::venue_manager::DEMO_API_PASSWORD),
        ))
        .await
    }
}

// ---------------------------------------------------------------------------------------
// DropPay: GET /brand/{brand}/store/{store}/pos/{id}

struct DropPayCase {
    client: droppay::Client,
    http: reqwest::Client,
    url: String,
    bearer: String,
    pos: droppay::Pos,
}

impl DropPayCase {
    async fn new(emulator: &RunningEmulator) -> Result<DropPayCase> {
        let demo_settings = kassa_sandbox::droppay::DEMO_SETTINGS;
        let client =
            droppay::Client::from_settings(&settings(emulator.base_url(), demo_settings, droppay::FIELDS))?;
        let pos = client.create_pos().await.context("DropPay POS created")?;
        Ok(DropPayCase {
            url: format!(
                "{}/brand/{}/store/{}/pos/{}",
                emulator.base_url(),
                kassa_sandbox::droppay::BRAND_ID,
                kassa_sandbox::droppay::STORE_ID,
                pos.id
            ),
            bearer: format!("Bearer {}", kassa_sandbox::droppay::ACCESS_TOKEN),
            client,
            http: bare_client(),
            pos,
        })
    }
}

impl Case for DropPayCase {
    type Typed = droppay::Pos;
    fn provider(&self) -> Provider {
        Provider::DropPay
    }
    fn endpoint(&self) -> &'static str {
        "`get_pos`: GET /brand/{b}/store/{s}/pos/{id}"
    }
    fn logged_target(&self) -> String {
        format!(
            "{}/brand/{}/store/{}/pos/{}",
            kassa_sandbox::droppay::BASE_PATH,
            kassa_sandbox::droppay::BRAND_ID,
            kassa_sandbox::droppay::STORE_ID,
            self.pos.id
        )
    }
    async fn typed(&self) -> Result<droppay::Pos> {
        Ok(self.client.get_pos(&self.pos.id).await?)
    }
    fn check_typed(&self, pos: &droppay::Pos) -> Result<()> {
        ensure!(
            pos.id == self.pos.id
                && pos.status == droppay::PosStatus::Enabled
                && pos.device.reference == kassa_sandbox::droppay::APPLICATION_KEY,
            "DropPay: unexpected POS {pos:?}"
        );
        Ok(())
    }
    async fn bare(&self) -> Result<(u16, Value)> {
        bare_json(
            self.http
                .get(&self.url)
                .header("Authorization", &self.bearer)
                .header("Accept", "application/json")
                .header("Content-Type", "application/x-www-form-urlencoded"),
        )
        .await
    }
}

// ---------------------------------------------------------------------------------------
// Measuring

#[derive(Default)]
struct Samples {
    typed: Vec<Duration>,
    bare: Vec<Duration>,
}

/// One typed and one bare call, in the given order; `keep` says whether to record them.
async fn round<C: Case>(case: &C, typed_first: bool, keep: bool, samples: &mut Samples) -> Result<()> {
    let name = case.provider().name();
    for side in [typed_first, !typed_first] {
        if side {
            let start = Instant::now();
            let answer = case.typed().await;
            let elapsed = start.elapsed();
            let answer = answer.with_context(|| format!("{name}: typed call failed"))?;
            case.check_typed(&answer)?;
            if keep {
                samples.typed.push(elapsed);
            }
        } else {
            let start = Instant::now();
            let answer = case.bare().await;
            let elapsed = start.elapsed();
            let answer = answer.with_context(|| format!("{name}: bare call failed"))?;
            check_bare(name, &answer)?;
            if keep {
                samples.bare.push(elapsed);
            }
        }
    }
    Ok(())
}

/// The emulator's log entry of the last request.
fn last_request(emulator: &RunningEmulator) -> Result<LogEntry> {
    emulator
        .harness()
        .log()
        .into_iter()
        .rev()
        .find(|entry| entry.kind == "request")
        .context("the emulator logged no request")
}

/// One call each way; both must reach the emulator as the same request.
async fn same_request<C: Case>(case: &C, emulator: &RunningEmulator) -> Result<BTreeMap<String, String>> {
    let name = case.provider().name();
    let answer = case.typed().await?;
    case.check_typed(&answer)?;
    let typed = last_request(emulator)?;
    let answer = case.bare().await?;
    check_bare(name, &answer)?;
    let bare = last_request(emulator)?;
    ensure!(
        typed.seq + 1 == bare.seq,
        "{name}: something else reached the emulator between the two calls"
    );
    let target = case.logged_target();
    for (side, entry) in [("typed", &typed), ("bare", &bare)] {
        ensure!(
            entry.method.as_deref() == Some("GET") && entry.what == target && entry.status == Some(200),
            "{name}: the {side} call reached the emulator as {:?} {} → {:?}, expected GET {target} → 200",
            entry.method,
            entry.what,
            entry.status
        );
    }
    let headers = |entry: &LogEntry| -> Result<BTreeMap<String, String>> {
        let map = entry.detail["headers"]
            .as_object()
            .context("logged headers")?
            .iter()
            .map(|(name, value)| {
                // A fresh reference per read on both sides: compare that it is sent.
                let value = if name == "x-reference-id" {
                    "(fresh per call)".to_owned()
                } else {
                    value.as_str().unwrap_or_default().to_owned()
                };
                (name.clone(), value)
            })
            .collect();
        Ok(map)
    };
    let (typed_headers, bare_headers) = (headers(&typed)?, headers(&bare)?);
    if typed_headers != bare_headers {
        bail!("{name}: different headers\n typed: {typed_headers:?}\n bare:  {bare_headers:?}");
    }
    ensure!(
        typed.detail["body"] == bare.detail["body"],
        "{name}: different request bodies"
    );
    Ok(typed_headers)
}

/// The emulator saw exactly `expected` requests of this endpoint, every one answered 200.
fn all_answered<C: Case>(case: &C, emulator: &RunningEmulator, expected: usize) -> Result<()> {
    let name = case.provider().name();
    let path = case.logged_target();
    let path = path.split('?').next().unwrap_or_default();
    let log = emulator.harness().log();
    let calls: Vec<&LogEntry> = log
        .iter()
        .filter(|entry| entry.kind == "request" && entry.what.split('?').next() == Some(path))
        .collect();
    ensure!(
        calls.len() == expected,
        "{name}: the emulator logged {} calls of {path}, expected {expected}",
        calls.len()
    );
    ensure!(
        calls.iter().all(|entry| entry.status == Some(200)),
        "{name}: not every call was answered 200"
    );
    ensure!(
        !log.iter().any(|entry| entry.kind == "fault"),
        "{name}: a fault was injected"
    );
    Ok(())
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * fraction).round() as usize;
    sorted[index]
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}

struct Row {
    provider: &'static str,
    endpoint: &'static str,
    typed_median: Duration,
    typed_p90: Duration,
    bare_median: Duration,
    bare_p90: Duration,
}

fn row<C: Case>(case: &C, mut samples: Samples) -> Row {
    samples.typed.sort();
    samples.bare.sort();
    Row {
        provider: case.provider().name(),
        endpoint: case.endpoint(),
        typed_median: percentile(&samples.typed, 0.5),
        typed_p90: percentile(&samples.typed, 0.9),
        bare_median: percentile(&samples.bare, 0.5),
        bare_p90: percentile(&samples.bare, 0.9),
    }
}

async fn run(args: Args) -> Result<()> {
    ensure!(args.rounds > 0, "--rounds must be at least 1");
    let sandbox = Sandbox::start(Ports::Ephemeral).await?;
    let emulator = |provider| sandbox.emulator(provider);
    let swip = SwipCase::new(emulator(Provider::Swip)).await?;
    let vourity = VourityCase::new(emulator(Provider::Vourity)).await?;
    let flexiti = FlexitiCase::new(emulator(Provider::Flexiti)).await?;
    let venue_manager = VenueManagerCase::new(emulator(Provider::VenueManager)).await?;
    let droppay = DropPayCase::new(emulator(Provider::DropPay)).await?;

    println!("checking that both sides send the same request (emulator log):");
    let checks = [
        (
            Provider::Swip,
            same_request(&swip, emulator(Provider::Swip)).await?,
        ),
        (
            Provider::Vourity,
            same_request(&vourity, emulator(Provider::Vourity)).await?,
        ),
        (
            Provider::Flexiti,
            same_request(&flexiti, emulator(Provider::Flexiti)).await?,
        ),
        (
            Provider::VenueManager,
            same_request(&venue_manager, emulator(Provider::VenueManager)).await?,
        ),
        (
            Provider::DropPay,
            same_request(&droppay, emulator(Provider::DropPay)).await?,
        ),
    ];
    for (provider, headers) in &checks {
        let names: Vec<&str> = headers.keys().map(String::as_str).collect();
        println!(
            "  {provider}: same method, path, query and headers ({})",
            names.join(", ")
        );
    }

    let mut samples: [Samples; 5] = Default::default();
    let total = args.warmup + args.rounds;
    println!(
        "measuring: {} rounds after {} warm-up rounds; each round one typed and one bare call per provider, \
         the first side alternating every round",
        args.rounds, args.warmup
    );
    for index in 0..total {
        let keep = index >= args.warmup;
        let typed_first = index % 2 == 0;
        let [s0, s1, s2, s3, s4] = &mut samples;
        round(&swip, typed_first, keep, s0).await?;
        round(&vourity, typed_first, keep, s1).await?;
        round(&flexiti, typed_first, keep, s2).await?;
        round(&venue_manager, typed_first, keep, s3).await?;
        round(&droppay, typed_first, keep, s4).await?;
    }

    // Setup calls are other endpoints; the header check made one call per side.
    let expected = 2 * total + 2;
    all_answered(&swip, emulator(Provider::Swip), expected)?;
    all_answered(&vourity, emulator(Provider::Vourity), expected)?;
    all_answered(&flexiti, emulator(Provider::Flexiti), expected)?;
    all_answered(&venue_manager, emulator(Provider::VenueManager), expected)?;
    all_answered(&droppay, emulator(Provider::DropPay), expected)?;
    println!("every timed call was answered 200 and every typed result was the expected one");

    let [s0, s1, s2, s3, s4] = samples;
    let rows = [
        row(&swip, s0),
        row(&vourity, s1),
        row(&flexiti, s2),
        row(&venue_manager, s3),
        row(&droppay, s4),
    ];
    println!();
    println!(
        "| provider | endpoint | typed median | typed p90 | bare median | bare p90 | ratio of medians | typed − bare |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for row in &rows {
        println!(
            "| {} | {} | {:.1} µs | {:.1} µs | {:.1} µs | {:.1} µs | **{:.2}** | {:+.1} µs |",
            row.provider,
            row.endpoint,
            micros(row.typed_median),
            micros(row.typed_p90),
            micros(row.bare_median),
            micros(row.bare_p90),
            row.typed_median.as_secs_f64() / row.bare_median.as_secs_f64(),
            micros(row.typed_median) - micros(row.bare_median),
        );
    }
    println!("\n{} rounds (goal: ratio ≤ 1.10)", args.rounds);
    Ok(())
}

fn main() -> Result<()> {
    let args = Args::parse();
    // The app's shape: a two-worker runtime that the emulators share here.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(run(args))
}
