-- A loyalty program's discount on a sale (SWiP loyalty, seeds/003 "Calculate Anonymous
-- discount"): the calculation's final `discount` (not `discountOriginal`), spread over the
-- lines after the cashier's order discount by the same largest-remainder rule, so each
-- line's `discount_minor` and `total_minor` include its share and a refund credits what
-- was paid. The amount is kept apart from `order_discount` so that receipts, the journal
-- and reports name it, and so that the store's discount limit does not count it.
--
-- `loyalty_detail` is JSON written by kassa-app: the provider, its account, the
-- `merchantOrderId` of the calculation, the programs with their own discounts, and the
-- pre-discount total the calculation was made for. A change to the basket clears both
-- columns: the discount was calculated for the basket as it was.

ALTER TABLE sales ADD COLUMN loyalty_discount_minor INTEGER NOT NULL DEFAULT 0
    CHECK (loyalty_discount_minor >= 0);

ALTER TABLE sales ADD COLUMN loyalty_detail TEXT
    CHECK (loyalty_detail IS NULL OR json_valid(loyalty_detail));
