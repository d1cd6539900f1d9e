-- An order sync chooses between paging and a bulk export by how many orders
-- it expects to have changed since its high-water mark, estimated from the
-- shop's recent change rate: its stored orders whose Shopify updated_at
-- falls in the hour before the mark (store.OrderChanges). This index makes
-- that a short range scan at millions of orders (0006 dropped an index on
-- the same columns when nothing read it).
CREATE INDEX orders_updated ON orders (shop, updated_at);
