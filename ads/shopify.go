package ads

// Shopify names the Shopify Admin API as the source of store orders; it is
// the Platform of Shopify *APIError values.
const Shopify Platform = "shopify"
