-- orders_updated (shop, updated_at) served no query: the Shopify sync keeps
-- its high-water mark in sync_cursors and every order lookup goes by key,
-- created_at or changed_at. Dropping it saves one index insert per stored
-- order (store.UpsertOrders).
DROP INDEX IF EXISTS orders_updated;
