-- Append-only for every kind of write, and receipt copies counted where they are printed.
--
-- 0001/0002 refuse UPDATE and DELETE on the protected tables, but `INSERT OR REPLACE`
-- (and REPLACE as an ON CONFLICT clause) deletes the conflicting row without firing
-- DELETE triggers unless recursive_triggers is on. So each protected table also refuses,
-- BEFORE INSERT, any row that would collide with one already there: a journal record
-- must take exactly the next sequence number, an audit entry a fresh id, a Z report the
-- next number of its POS, a shift without one, and the journal as it stands as anchor.
-- An UPSERT fires these BEFORE INSERT triggers too, so it is refused the same way.

CREATE TRIGGER journal_insert_next_seq BEFORE INSERT ON journal
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM journal)
BEGIN SELECT RAISE(ABORT, 'the journal is append-only: a new record must take the next sequence number'); END;

CREATE TRIGGER audit_log_insert_new_id BEFORE INSERT ON audit_log
WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TRIGGER z_reports_insert_next BEFORE INSERT ON z_reports
WHEN EXISTS (SELECT 1 FROM z_reports WHERE id = NEW.id OR shift_id = NEW.shift_id)
  OR NEW.z_no IS NOT (SELECT coalesce(max(z_no), 0) + 1 FROM z_reports WHERE pos_id = NEW.pos_id)
  OR NEW.journal_head IS NOT (SELECT hash FROM journal WHERE seq = NEW.journal_length)
BEGIN SELECT RAISE(ABORT, 'Z reports are immutable: a new one takes the next number and anchors the journal as it is'); END;

-- A sale that took a receipt number is a fiscal record: it is never deleted (nor replaced)
-- and its number never changes. Its status may still move (a post-void marks the original).
CREATE TRIGGER sales_receipted_no_delete BEFORE DELETE ON sales
WHEN OLD.receipt_no IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'a sale with a receipt number is a fiscal record and cannot be deleted'); END;
CREATE TRIGGER sales_receipt_no_fixed BEFORE UPDATE OF receipt_no ON sales
WHEN OLD.receipt_no IS NOT NULL AND NEW.receipt_no IS NOT OLD.receipt_no
BEGIN SELECT RAISE(ABORT, 'a receipt number never changes once taken'); END;
CREATE TRIGGER sales_insert_new_id BEFORE INSERT ON sales
WHEN EXISTS (SELECT 1 FROM sales WHERE id = NEW.id)
BEGIN SELECT RAISE(ABORT, 'a sale is never replaced'); END;

-- Receipt copies: a copy counts in the shift that printed it (which may be days after the
-- sale, on another till). Copies made before this migration were counted in their sale's
-- shift, and stay there. Copies are fiscal events: append-only like the journal.
ALTER TABLE receipt_copies ADD COLUMN shift_id INTEGER REFERENCES shifts (id);
UPDATE receipt_copies SET shift_id = (SELECT s.shift_id FROM sales s WHERE s.id = receipt_copies.sale_id);
CREATE INDEX receipt_copies_shift ON receipt_copies (shift_id);
CREATE TRIGGER receipt_copies_no_update BEFORE UPDATE ON receipt_copies
BEGIN SELECT RAISE(ABORT, 'receipt copies are append-only'); END;
CREATE TRIGGER receipt_copies_no_delete BEFORE DELETE ON receipt_copies
BEGIN SELECT RAISE(ABORT, 'receipt copies are append-only'); END;
CREATE TRIGGER receipt_copies_insert_new BEFORE INSERT ON receipt_copies
WHEN NEW.shift_id IS NULL OR EXISTS (SELECT 1 FROM receipt_copies WHERE id = NEW.id OR sale_id = NEW.sale_id)
BEGIN SELECT RAISE(ABORT, 'receipt copies are append-only: one copy per receipt, counted in the shift that printed it'); END;
