//! The Vourity webhook tables (migration 0007): the payments a webhook may be posted
//! about, with their token's SHA-256, and the events the listener accepted.

use rusqlite::{Connection, OptionalExtension, params};

use crate::StoreError;

/// One accepted webhook event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Rises with every event recorded, across payments.
    pub id: i64,
    pub payment_id: String,
    pub event_key: String,
    pub kind: String,
    pub msg_type: String,
    pub payment_status: Option<String>,
    pub session_id: String,
    pub order_id: String,
    pub point_of_service_id: String,
    pub amount_minor: Option<i64>,
    pub total_refunded_minor: Option<i64>,
    pub currency: Option<String>,
    pub reference: Option<String>,
    pub body: String,
    pub received_at: String,
}

/// Registers `payment_id` with its token's hash; false when it is registered already.
pub fn insert_payment(
    conn: &Connection,
    payment_id: &str,
    token_sha256: &str,
    issued_at: &str,
) -> Result<bool, StoreError> {
    let inserted = conn.execute(
        "INSERT INTO vourity_webhook_payments (payment_id, token_sha256, issued_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (payment_id) DO NOTHING",
        params![payment_id, token_sha256, issued_at],
    )?;
    Ok(inserted == 1)
}

/// The token hash stored for `payment_id`.
pub fn token_sha256(conn: &Connection, payment_id: &str) -> Result<Option<String>, StoreError> {
    Ok(crate::cached::query_row(
        conn,
        "SELECT token_sha256 FROM vourity_webhook_payments WHERE payment_id = ?1",
        [payment_id],
        |row| row.get(0),
    )
    .optional()?)
}

/// Records an event unless the same event of the payment (by `event_key`) is recorded
/// already; true when it was new.
pub fn insert_event(conn: &Connection, event: &StoredEvent) -> Result<bool, StoreError> {
    let inserted = conn.execute(
        "INSERT INTO vourity_webhook_events (payment_id, event_key, kind, msg_type, payment_status, session_id, \
         order_id, point_of_service_id, amount_minor, total_refunded_minor, currency, reference, body, received_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) \
         ON CONFLICT (payment_id, event_key) DO NOTHING",
        params![
            event.payment_id,
            event.event_key,
            event.kind,
            event.msg_type,
            event.payment_status,
            event.session_id,
            event.order_id,
            event.point_of_service_id,
            event.amount_minor,
            event.total_refunded_minor,
            event.currency,
            event.reference,
            event.body,
            event.received_at,
        ],
    )?;
    Ok(inserted == 1)
}

/// The events of `payment_id` recorded after event `after_id`, oldest first.
pub fn events_after(
    conn: &Connection,
    payment_id: &str,
    after_id: i64,
) -> Result<Vec<StoredEvent>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, payment_id, event_key, kind, msg_type, payment_status, session_id, order_id, \
         point_of_service_id, amount_minor, total_refunded_minor, currency, reference, body, received_at \
         FROM vourity_webhook_events WHERE payment_id = ?1 AND id > ?2 ORDER BY id",
    )?;
    let rows = stmt
        .query_map(params![payment_id, after_id], |r| {
            Ok(StoredEvent {
                id: r.get(0)?,
                payment_id: r.get(1)?,
                event_key: r.get(2)?,
                kind: r.get(3)?,
                msg_type: r.get(4)?,
                payment_status: r.get(5)?,
                session_id: r.get(6)?,
                order_id: r.get(7)?,
                point_of_service_id: r.get(8)?,
                amount_minor: r.get(9)?,
                total_refunded_minor: r.get(10)?,
                currency: r.get(11)?,
                reference: r.get(12)?,
                body: r.get(13)?,
                received_at: r.get(14)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(rows)
}

/// How many events are recorded in all (for tests and diagnostics).
pub fn count_events(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("SELECT count(*) FROM vourity_webhook_events", [], |r| r.get(0))?)
}
