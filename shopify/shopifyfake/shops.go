package shopifyfake

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// ShopPathPrefix is where Shops serves each shop: /shops/{domain}/… stands
// for https://{domain}/…, so one base URL serves many shops the way
// Shopify serves each on its own myshopify.com domain.
const ShopPathPrefix = "/shops/"

// ShopURL is the base URL template for shops served by Shops at base
// (e.g. "http://127.0.0.1:4000/shops/{shop}"): shopify.Options.BaseURL
// replaces {shop} with the shop's domain.
func ShopURL(base string) string {
	return strings.TrimRight(base, "/") + ShopPathPrefix + "{shop}"
}

// Shops serves several shops' fakes behind one base URL, each a Server of
// its own: orders, access tokens, webhooks, bulk operations and the
// query-cost bucket (Shopify's bucket is per app per shop) never cross. A
// request for a domain it does not serve is answered 404 Not Found, as
// Shopify answers for a shop that does not exist. It is safe for
// concurrent use.
type Shops struct {
	mu    sync.RWMutex
	shops map[string]*Server
	order []*Server
}

// NewShops returns a router serving servers, each under its Shop.Domain.
// It panics when a domain is empty or served twice (they are Go values).
func NewShops(servers ...*Server) *Shops {
	m := &Shops{shops: map[string]*Server{}}
	for _, s := range servers {
		m.Add(s)
	}
	return m
}

// Add serves s under its shop domain. It panics when the domain is empty
// or already served.
func (m *Shops) Add(s *Server) {
	d := strings.ToLower(s.shop.Domain)
	if d == "" {
		panic("shopifyfake: a shop served by Shops needs a domain")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.shops[d]; dup {
		panic(fmt.Sprintf("shopifyfake: shop %s served twice", d))
	}
	s.mu.Lock()
	s.mount = strings.TrimSuffix(ShopPathPrefix, "/") + "/" + d
	s.mu.Unlock()
	m.shops[d] = s
	m.order = append(m.order, s)
}

// Shop returns the fake serving domain, or nil.
func (m *Shops) Shop(domain string) *Server {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.shops[strings.ToLower(domain)]
}

// All returns the served shops in the order they were added.
func (m *Shops) All() []*Server {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]*Server(nil), m.order...)
}

// Calls returns every shop's calls, shop by shop in the order they were
// added.
func (m *Shops) Calls() []Call {
	var out []Call
	for _, s := range m.All() {
		out = append(out, s.Calls()...)
	}
	return out
}

// Close removes every shop's bulk result files.
func (m *Shops) Close() error {
	var first error
	for _, s := range m.All() {
		if err := s.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// ServeHTTP routes /shops/{domain}/… to that shop's fake (with the prefix
// removed) and answers anything else 404 Not Found.
func (m *Shops) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, ShopPathPrefix)
	domain, path, _ := strings.Cut(rest, "/")
	var s *Server
	if ok {
		s = m.Shop(domain)
	}
	if s == nil {
		writeJSON(w, http.StatusNotFound, map[string]any{"errors": "Not Found"})
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path, r2.URL.RawPath = "/"+path, ""
	s.ServeHTTP(w, r2)
}
