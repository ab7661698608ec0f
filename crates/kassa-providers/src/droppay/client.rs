//! The DropPay POS device client: the Bearer token, the four endpoints, and how answers
//! map to typed results and errors.

use reqwest::{Method, RequestBuilder, StatusCode};

use super::error::DropPayError;
use super::wire::{CreatePosBody, DeviceRef, DeviceType, ErrorInfo, Pos, PosStatus, UpdatePosBody};
use super::{FIELDS, PROVIDER};
use crate::http::{Answer, DEFAULT_TIMEOUT, HttpClient};
use crate::settings::{Settings, SettingsError};
use crate::{CallError, Secret};

/// What a DropPay call returns.
pub type Result<T> = std::result::Result<T, CallError<DropPayError>>;

/// A POS id no DropPay POS has, read by [`Client::test_connection`] before this app is
/// registered: a 404 for it with a valid token proves the token and the brand and store.
pub const PROBE_POS_ID: &str = "POS0KASSAPROBE0";

/// The settings of one till registered as a DropPay POS device.
#[derive(Debug, Clone)]
pub struct Config {
    /// The base URL (`https://api.drop-pay.io/shop/v1`).
    pub base_url: String,
    /// The user access token, sent as `Authorization: Bearer`.
    pub access_token: Secret,
    /// `brand_id`.
    pub brand_id: String,
    /// `store_id`.
    pub store_id: String,
    /// The Application Key this app registers as `device.ref`.
    pub application_key: String,
    /// The POS id, once registered.
    pub pos_id: Option<String>,
}

/// What to change on a POS (`PATCH`); `None` leaves a property as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PosUpdate {
    /// `ENABLED` or `DISABLED`.
    pub status: Option<PosStatus>,
    /// Another Application Key.
    pub application_key: Option<String>,
}

/// The DropPay client of one brand and store.
#[derive(Debug, Clone)]
pub struct Client {
    http: HttpClient,
    access_token: Secret,
    brand_id: String,
    store_id: String,
    application_key: String,
    pos_id: Option<String>,
}

fn field(key: &str) -> &'static crate::Field {
    FIELDS
        .iter()
        .find(|field| field.key == key)
        .expect("every key read below is in FIELDS")
}

/// DropPay public ids are upper-case letters and digits (`BRNC8K195PZ1Q`); anything
/// else cannot go into a path.
fn is_public_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 40 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Client {
    /// A client for `config`, refused when a value is empty or unusable.
    pub fn new(config: Config) -> std::result::Result<Client, SettingsError> {
        let http =
            HttpClient::new(&config.base_url, DEFAULT_TIMEOUT).map_err(|source| SettingsError::BaseUrl {
                provider: PROVIDER,
                source,
            })?;
        if config.access_token.is_empty() {
            let field = field("access_token");
            return Err(SettingsError::Missing {
                provider: PROVIDER,
                key: field.key,
                label: field.label,
            });
        }
        let ids = [
            ("brand_id", Some(&config.brand_id)),
            ("store_id", Some(&config.store_id)),
            ("pos_id", config.pos_id.as_ref()),
        ];
        for (key, value) in ids {
            if let Some(value) = value
                && !is_public_id(value.trim())
            {
                let field = field(key);
                return Err(SettingsError::Invalid {
                    provider: PROVIDER,
                    key: field.key,
                    label: field.label,
                    reason: "must be a DropPay public id (letters and digits, e.g. BRNC8K195PZ1Q)".to_owned(),
                });
            }
        }
        if config.application_key.trim().is_empty() {
            let field = field("application_key");
            return Err(SettingsError::Missing {
                provider: PROVIDER,
                key: field.key,
                label: field.label,
            });
        }
        Ok(Client {
            http,
            access_token: config.access_token,
            brand_id: config.brand_id.trim().to_owned(),
            store_id: config.store_id.trim().to_owned(),
            application_key: config.application_key.trim().to_owned(),
            pos_id: config.pos_id.map(|id| id.trim().to_owned()),
        })
    }

    /// A client from the settings a manager entered; `pos_id` may be empty until the
    /// device is registered.
    pub fn from_settings(settings: &Settings) -> std::result::Result<Client, SettingsError> {
        let value = |key| settings.value(PROVIDER, field(key)).map(str::to_owned);
        let pos_id = settings
            .values
            .get("pos_id")
            .map(|id| id.trim().to_owned())
            .filter(|id| !id.is_empty());
        Client::new(Config {
            base_url: settings.base_url.clone(),
            access_token: settings.secret(PROVIDER, field("access_token"))?.clone(),
            brand_id: value("brand_id")?,
            store_id: value("store_id")?,
            application_key: value("application_key")?,
            pos_id,
        })
    }

    /// The configured POS id, if the device is registered.
    pub fn pos_id(&self) -> Option<&str> {
        self.pos_id.as_deref()
    }

    fn pos_path(&self, pos_id: Option<&str>) -> String {
        let base = format!("brand/{}/store/{}/pos", self.brand_id, self.store_id);
        match pos_id {
            Some(id) => format!("{base}/{id}"),
            None => base,
        }
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, path)
            .bearer_auth(self.access_token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
    }

    /// The typed error for a failure answer.
    fn failure(answer: &Answer) -> CallError<DropPayError> {
        let status = answer.status.as_u16();
        // A server error stays a status: its outcome is unknown whatever its body says.
        if !(400..500).contains(&status) {
            return answer.unexpected_status();
        }
        let is_json = answer
            .headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"));
        let info = is_json
            .then(|| serde_json::from_slice::<ErrorInfo>(&answer.body).ok())
            .flatten();
        let info = info
            .as_ref()
            .map(|info| (info.code.as_str(), info.description.as_deref().unwrap_or("")));
        match DropPayError::from_status(status, info) {
            Some(error) => CallError::Api(error),
            None => answer.unexpected_status(),
        }
    }

    async fn pos_answer(&self, request: RequestBuilder, success: &[StatusCode]) -> Result<Pos> {
        let answer = self.http.send(request).await?;
        if success.contains(&answer.status) {
            return Ok(answer.json::<Pos>("POS object")?);
        }
        Err(Client::failure(&answer))
    }

    fn check_pos_id(pos_id: &str) -> Result<()> {
        if is_public_id(pos_id) {
            Ok(())
        } else {
            Err(CallError::Refused(format!(
                "{pos_id:?} is not a DropPay POS id (letters and digits, e.g. POS12JY6DS8)"
            )))
        }
    }

    fn check_device(&self, pos: &Pos, reference: &str) -> Result<()> {
        if pos.device.device_type != DeviceType::App || pos.device.reference != reference {
            return Err(CallError::Contradiction(format!(
                "the POS's device is {} {:?}, not APP {reference:?}",
                pos.device.device_type, pos.device.reference
            )));
        }
        if let Some(brand) = &pos.brand
            && brand.id != self.brand_id
        {
            return Err(CallError::Contradiction(format!(
                "the POS belongs to brand {:?}, not {:?}",
                brand.id, self.brand_id
            )));
        }
        if let Some(store) = &pos.store
            && store.id != self.store_id
        {
            return Err(CallError::Contradiction(format!(
                "the POS belongs to store {:?}, not {:?}",
                store.id, self.store_id
            )));
        }
        Ok(())
    }

    /// `POST /brand/{brand_id}/store/{store_id}/pos`: registers this app (its Application
    /// Key) as a POS device of the store.
    ///
    /// There is no list endpoint and no idempotency key, so a create whose answer was lost
    /// cannot be looked up, and sending it again may register a second device. When this
    /// fails with [`CallError::outcome_unknown`] true, the app must not retry: it asks the
    /// manager to check the store's devices in the DropPay back office and enter the POS
    /// id (or confirm that none was made).
    pub async fn create_pos(&self) -> Result<Pos> {
        let body = CreatePosBody {
            device: DeviceRef {
                device_type: DeviceType::App,
                reference: self.application_key.clone(),
            },
        };
        let request = self.request(Method::POST, &self.pos_path(None)).json(&body);
        // Reading: the document shows no status for POST; 200 and 201 both mean created.
        let pos = self
            .pos_answer(request, &[StatusCode::OK, StatusCode::CREATED])
            .await?;
        self.check_device(&pos, &self.application_key)?;
        match &pos.status {
            PosStatus::Enabled => Ok(pos),
            other => Err(CallError::Contradiction(format!(
                "the new POS {:?} is {other}, not ENABLED",
                pos.id
            ))),
        }
    }

    /// `GET /brand/{brand_id}/store/{store_id}/pos/{pos_id}`. A deleted POS is read back
    /// with status `DELETED` (our reading).
    pub async fn get_pos(&self, pos_id: &str) -> Result<Pos> {
        Client::check_pos_id(pos_id)?;
        // The document's GET and DELETE examples send this Content-Type with no body.
        let request = self
            .request(Method::GET, &self.pos_path(Some(pos_id)))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        let pos = self.pos_answer(request, &[StatusCode::OK]).await?;
        if pos.id != pos_id {
            return Err(CallError::Contradiction(format!(
                "asked for POS {pos_id:?}, DropPay answered with {:?}",
                pos.id
            )));
        }
        Ok(pos)
    }

    /// `PATCH /brand/{brand_id}/store/{store_id}/pos/{pos_id}`: enables or disables the
    /// POS, or moves it to another Application Key.
    pub async fn update_pos(&self, pos_id: &str, update: &PosUpdate) -> Result<Pos> {
        Client::check_pos_id(pos_id)?;
        if let Some(status) = &update.status
            && !matches!(status, PosStatus::Enabled | PosStatus::Disabled)
        {
            return Err(CallError::Refused(format!(
                "a POS can be set ENABLED or DISABLED, not {status}; delete it to retire it"
            )));
        }
        if update.status.is_none() && update.application_key.is_none() {
            return Err(CallError::Refused("nothing to change on the POS".to_owned()));
        }
        if update
            .application_key
            .as_deref()
            .is_some_and(|key| key.trim().is_empty())
        {
            return Err(CallError::Refused("the new Application Key is empty".to_owned()));
        }
        let body = UpdatePosBody {
            status: update.status.clone(),
            device: update.application_key.as_ref().map(|key| DeviceRef {
                device_type: DeviceType::App,
                reference: key.trim().to_owned(),
            }),
        };
        let request = self
            .request(Method::PATCH, &self.pos_path(Some(pos_id)))
            .json(&body);
        let pos = self.pos_answer(request, &[StatusCode::OK]).await?;
        if pos.id != pos_id {
            return Err(CallError::Contradiction(format!(
                "changed POS {pos_id:?}, DropPay answered with {:?}",
                pos.id
            )));
        }
        if let Some(key) = &body.device {
            self.check_device(&pos, &key.reference)?;
        }
        if let Some(status) = &update.status
            && &pos.status != status
        {
            return Err(CallError::Contradiction(format!(
                "POS {pos_id:?} is {} after being set {status}",
                pos.status
            )));
        }
        Ok(pos)
    }

    /// `DELETE /brand/{brand_id}/store/{store_id}/pos/{pos_id}`: soft-deletes the POS;
    /// its transactions' history stays.
    pub async fn delete_pos(&self, pos_id: &str) -> Result<()> {
        Client::check_pos_id(pos_id)?;
        let request = self
            .request(Method::DELETE, &self.pos_path(Some(pos_id)))
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        let answer = self.http.send(request).await?;
        if answer.status == StatusCode::NO_CONTENT {
            return Ok(());
        }
        Err(Client::failure(&answer))
    }

    /// Checks the token with a read that changes nothing: the configured POS, or before
    /// registration a POS id nobody has, which must answer 404 (a bad or expired token
    /// answers 401 first, a brand or store of another user 403, an id that is not a
    /// public id 400). An unknown brand or store also answers 404, so before registration
    /// it shows only at [`Client::create_pos`].
    pub async fn test_connection(&self) -> Result<()> {
        match &self.pos_id {
            Some(pos_id) => self.get_pos(pos_id).await.map(|_| ()),
            None => match self.get_pos(PROBE_POS_ID).await {
                Err(CallError::Api(DropPayError::NotFound)) => Ok(()),
                Ok(pos) => Err(CallError::Contradiction(format!(
                    "DropPay answered the probe id {PROBE_POS_ID} with POS {:?}",
                    pos.id
                ))),
                Err(error) => Err(error),
            },
        }
    }
}
