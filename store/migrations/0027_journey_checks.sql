-- Orders whose customer journey was not ready at their last read (issue 22
-- item 4, journey_pending) are read again by id, each on its own backoff
-- (issue 17): journey_check_at is when the order sync next reads such an
-- order — NULL while it is not scheduled yet (it was just read by a page or
-- an export), 'infinity' once given up (48 hours after its creation). The
-- sync no longer pages from the oldest pending order, so its index goes;
-- the due set is a range of the new one.
ALTER TABLE orders ADD COLUMN journey_check_at TIMESTAMPTZ;
DROP INDEX IF EXISTS orders_journey_pending;
CREATE INDEX orders_journey_check ON orders (shop, journey_check_at) WHERE journey_pending;
