//! The permissions the UI is given agree with what the use cases allow, for every role:
//! each permission is tried against a use case it stands for, and a refusal must be
//! `Forbidden` exactly when the permission says no. Also the idle lock setting.

mod common;

use kassa_app::{
    AppError, BrandInput, DEFAULT_IDLE_LOCK_MINUTES, DEMO_USERS, ErrorCode, Kassa, MAX_IDLE_LOCK_MINUTES,
    Permissions, Role,
};

/// Whether the use case let the actor past its role check (it may still refuse the input).
fn allowed<T>(result: Result<T, AppError>) -> bool {
    !matches!(result, Err(e) if e.code() == ErrorCode::Forbidden)
}

#[test]
fn each_permission_matches_what_the_use_cases_allow_for_every_role() {
    let till = common::demo_till(&[]);
    let kassa: &Kassa = &till.kassa;
    for user in DEMO_USERS {
        let (actor, _) = kassa.login(user.name, user.pin).unwrap();
        let p = kassa.permissions(&actor).unwrap();
        assert_eq!(p, Permissions::for_role(user.role), "{}", user.name);
        let who = format!("{} ({})", user.name, user.role);
        assert_eq!(p.sell, allowed(kassa.current_sale(&actor)), "sell: {who}");
        assert_eq!(
            p.print_copies,
            allowed(kassa.print_receipt_copy(&actor, -1, 42)),
            "print copies: {who}"
        );
        assert_eq!(
            p.manage_catalog,
            allowed(kassa.preview_product_import(&actor, "")),
            "catalog: {who}"
        );
        let no_name = BrandInput {
            name: String::new(),
            description: None,
        };
        assert_eq!(
            p.manage_organisation,
            allowed(kassa.create_brand(&actor, &no_name)),
            "organisation: {who}"
        );
        assert_eq!(
            p.bind_installation,
            allowed(kassa.bind_installation(&actor, -1)),
            "bind: {who}"
        );
        assert_eq!(p.manage_users, allowed(kassa.list_users(&actor)), "users: {who}");
        // The Flexiti ids: a store's is organisation, a user's is user management (an
        // empty id is refused after the role check, so nothing changes either way).
        assert_eq!(
            p.manage_organisation,
            allowed(kassa.set_store_flexiti_location(&actor, -1, Some(""))),
            "store Flexiti id: {who}"
        );
        assert_eq!(
            p.manage_users,
            allowed(kassa.set_user_flexiti_employee(&actor, -1, Some(""))),
            "user Flexiti id: {who}"
        );
        assert_eq!(
            p.read_audit,
            allowed(kassa.audit_trail(&actor, None, None, 1)),
            "audit: {who}"
        );
        assert_eq!(
            p.change_settings,
            allowed(kassa.set_idle_lock_minutes(&actor, 0)),
            "settings: {who}"
        );
    }
    // Each role can do something another cannot: the table is not all true or all false.
    let all: Vec<Permissions> = [Role::Manager, Role::Cashier, Role::Accountant]
        .into_iter()
        .map(Permissions::for_role)
        .collect();
    assert!(all[0].manage_users && !all[1].manage_users && !all[2].manage_users);
    assert!(all[1].sell && !all[2].sell && all[2].read_audit && !all[1].read_audit);
}

#[test]
fn a_demotion_changes_the_permissions_at_the_next_call() {
    let till = common::demo_till(&[]);
    let kassa = &till.kassa;
    let cashier_id = till.cashier.user_id();
    assert!(kassa.permissions(&till.cashier).unwrap().sell);
    kassa
        .change_user_role(&till.manager, cashier_id, Role::Accountant)
        .unwrap();
    let now = kassa.permissions(&till.cashier).unwrap();
    assert!(!now.sell && now.read_audit);
    kassa.set_user_active(&till.manager, cashier_id, false).unwrap();
    let err = kassa.permissions(&till.cashier).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Unauthenticated);
}

#[test]
fn the_idle_lock_defaults_is_set_by_a_manager_and_refuses_what_is_out_of_range() {
    let till = common::demo_till(&[]);
    let kassa = &till.kassa;
    assert_eq!(
        kassa.idle_lock_minutes(&till.cashier).unwrap(),
        DEFAULT_IDLE_LOCK_MINUTES
    );
    assert_eq!(kassa.set_idle_lock_minutes(&till.manager, 2).unwrap(), 2);
    assert_eq!(kassa.idle_lock_minutes(&till.cashier).unwrap(), 2);
    let audit = kassa
        .audit_trail(&till.manager, Some("setting"), None, 10)
        .unwrap();
    assert_eq!(audit.len(), 1, "one audit entry for the change: {audit:?}");

    let err = kassa.set_idle_lock_minutes(&till.cashier, 10).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Forbidden);
    for bad in [0, MAX_IDLE_LOCK_MINUTES + 1] {
        let err = kassa.set_idle_lock_minutes(&till.manager, bad).unwrap_err();
        assert_eq!(err.code(), ErrorCode::Validation, "{bad}");
        assert!(err.to_string().contains(&format!("got {bad}")), "{err}");
    }
    assert_eq!(
        kassa.idle_lock_minutes(&till.manager).unwrap(),
        2,
        "refusals change nothing"
    );
}
