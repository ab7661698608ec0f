-- Who may do what at the till: the store's discount limit and the manager approvals
-- recorded on a sale, approval failures counted apart from login failures, and the
-- process that owns a pending payment.

-- The largest combined reduction (line discounts, the order discount and price overrides
-- below the catalog price) a sale may carry without a manager, as a percentage of the
-- sale before any of them. Canonical decimal TEXT, checked by kassa-app (0 to 100).
ALTER TABLE stores ADD COLUMN discount_limit_percent TEXT NOT NULL DEFAULT '10';

-- The manager who approved a sale's reduction above its store's limit, and the share
-- (percent, rounded up to two decimals) that approval covers. A later change that takes
-- the share above it needs a new approval.
ALTER TABLE sales ADD COLUMN discount_approved_by INTEGER REFERENCES users (id);
ALTER TABLE sales ADD COLUMN discount_approved_percent TEXT;

-- Wrong PINs typed as approvals at the till are counted and locked apart from logins, so
-- a cashier guessing a manager's PIN cannot lock the manager out of logging in.
ALTER TABLE users ADD COLUMN failed_approval_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN approvals_locked_until TEXT;

-- The running Kassa process (its instance id) that is waiting for a pending tender's
-- outcome. It holds an advisory lock on `<database>.instances/<id>.lock` for as long as
-- it runs; a pending tender whose owner's lock is free lost its outcome and becomes
-- unknown. NULL for tenders written before this migration (their owner is gone).
ALTER TABLE tenders ADD COLUMN owner_instance TEXT;
CREATE INDEX tenders_pending ON tenders (status) WHERE status = 'pending';
