-- The lean reference of bench/place_orders.py: the same business operation as placing one order through
-- our API, written by hand as a minimal raw-SQL client would, run by pgbench with the same clients in
-- the same run. One order, one line, a conditional reservation, a ledger row, an event; order numbers
-- from the sequence. Fixed on purpose: it is the yardstick, not a replay of our statements, so making
-- our statements fewer or cheaper shows in ours ÷ this.
--
-- Variables: -D delivery_id=… -D payment_id=… (the seeded methods' ids), stock_base and variant_base
-- (the ids bench/place_orders.py gives the catalog: SKU n's variant and first-warehouse stock row).
\set sku_index random(0, 199)
\set key random(1, 999999999999)
\set variant_id :variant_base + :sku_index
\set stock_id :stock_base + 2 * :sku_index
BEGIN;
UPDATE inventory_stocklevel SET reserved = reserved + 1, updated_at = now()
    WHERE id = :stock_id AND on_hand >= reserved + 1
    RETURNING on_hand, reserved \gset s_
INSERT INTO orders_order (number, channel, external_ref, status, status_changed_at, on_hold, hold_reason,
        priority, customer_email, customer_phone, customer_name, customer_language, ship_country,
        ship_region, ship_city, ship_postal_code, ship_line1, ship_line2, comment, currency,
        subtotal_amount, delivery_amount, total_amount, created_at, updated_at, delivery_method_id,
        payment_method_id, basket_key, risk_flags, sla_rule, coupon_code, discount_amount, thank_you_note)
    VALUES (CAST(nextval('orders_order_number_seq') AS varchar), 'api', '', 'new', now(), false, '',
        'normal', 'c' || :key || '@example.com', '+38050' || lpad(CAST(CAST(:key AS bigint) % 10000000 AS text), 7, '0'),
        'Bench Client', 'uk', 'UA', '', 'Kyiv', '01001', 'Bench st 1', '', '', 'UAH', 99.90, 0, 99.90,
        now(), now(), :delivery_id, :payment_id, '', '[]', '', '', 0, false)
    RETURNING id, number \gset o_
INSERT INTO orders_orderline (order_id, position, variant_id, sku, name, attributes, quantity,
        quantity_backordered, unit_price_amount, note, is_gift)
    VALUES (:o_id, 1, :variant_id, 'BENCH-' || lpad(CAST(:sku_index AS text), 4, '0'), 'Bench product', '{}',
        1, 0, 99.90, '', false);
INSERT INTO inventory_stockmovement (stock_id, reason, on_hand_delta, reserved_delta, on_hand_after,
        reserved_after, reference, note, created_at)
    VALUES (:stock_id, 'reservation', 0, 1, :s_on_hand, :s_reserved, 'order ' || :o_number, '', now());
INSERT INTO orders_orderevent (order_id, kind, from_status, to_status, reason, note, data, created_at)
    VALUES (:o_id, 'placed', '', 'new', '', '', '{"channel": "api"}', now());
COMMIT;
