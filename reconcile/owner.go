package reconcile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/roasd/roasd/ads"
	"github.com/roasd/roasd/configs"
)

// LinkOwner returns how link conversions are attributed to the brand that
// owns them (a creator may work for several brands; a conversion counts
// for one): the brand the row names; else the brand whose shop the row
// names; else defaultBrand (an importer's --brand); else the one brand with
// a creator the conversion belongs to (by handle or link, as the ledger
// matches them). A row none of these settles is refused with the reason.
func LinkOwner(set *configs.Set, defaultBrand string) func(c *ads.LinkConversion) error {
	attrs := make([]*attributor, len(set.Brands))
	for i, b := range set.Brands {
		attrs[i] = newAttributor(b)
	}
	// ownedBy accepts c for brand i only when it is one of the brand's
	// creators or links: a row it cannot use is refused, not stored to be
	// skipped later.
	ownedBy := func(c *ads.LinkConversion, i int) error {
		if attrs[i].linkCreator(*c) != "" {
			c.Brand = set.Brands[i].Name
			return nil
		}
		var handles []string
		for _, cr := range set.Brands[i].Creators {
			handles = append(handles, cr.Handle)
		}
		if c.Creator != "" {
			return fmt.Errorf("creator %q is not a creator of brand %s (its creators: %s)", c.Creator, set.Brands[i].Name, strings.Join(handles, ", "))
		}
		return fmt.Errorf("link %q is none of brand %s's creators' tracking links", c.Link, set.Brands[i].Name)
	}
	index := func(name string) int {
		for i, b := range set.Brands {
			if b.Name == name {
				return i
			}
		}
		return -1
	}
	return func(c *ads.LinkConversion) error {
		switch {
		case c.Brand != "":
			i := index(c.Brand)
			if i < 0 {
				return fmt.Errorf("brand %q is not configured", c.Brand)
			}
			return ownedBy(c, i)
		case c.Shop != "":
			for i, b := range set.Brands {
				if b.HasShop(c.Shop) {
					return ownedBy(c, i)
				}
			}
			return fmt.Errorf("shop %q is no configured brand's shop", c.Shop)
		case defaultBrand != "":
			i := index(defaultBrand)
			if i < 0 {
				return fmt.Errorf("brand %q is not configured", defaultBrand)
			}
			return ownedBy(c, i)
		}
		var owners []string
		for i, a := range attrs {
			if a.linkCreator(*c) != "" {
				owners = append(owners, set.Brands[i].Name)
			}
		}
		who := c.Creator
		if who == "" {
			who = c.Link
		}
		switch len(owners) {
		case 1:
			c.Brand = owners[0]
			return nil
		case 0:
			return fmt.Errorf("cannot attribute the conversion: %s is no configured brand's creator or link; name its brand (--brand, or a brand or shop field)", who)
		}
		sort.Strings(owners)
		return fmt.Errorf("cannot attribute the conversion: %s works for %s; name its brand (--brand, or a brand or shop field)", who, strings.Join(owners, " and "))
	}
}

// SoleCreatorBrands maps each creator handle that exactly one brand of set
// lists to that brand: link conversions stored before they had an owner
// are adopted by it (store.AdoptLinkConversions); the others stay
// unowned, counted nowhere, until re-imported with their brand.
func SoleCreatorBrands(set *configs.Set) map[string]string {
	brands := map[string][]string{}
	for _, b := range set.Brands {
		for _, cr := range b.Creators {
			brands[cr.Handle] = append(brands[cr.Handle], b.Name)
		}
	}
	out := map[string]string{}
	for h, bs := range brands {
		if len(bs) == 1 {
			out[h] = bs[0]
		}
	}
	return out
}
