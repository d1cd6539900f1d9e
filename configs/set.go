package configs

import (
	"embed"
	"io/fs"

	"github.com/roasd/roasd/ads"
)

// Brand returns the brand named name, or nil.
func (s *Set) Brand(name string) *Brand {
	for _, b := range s.Brands {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// Creators counts the creators of all brands.
func (s *Set) Creators() int {
	n := 0
	for _, b := range s.Brands {
		n += len(b.Creators)
	}
	return n
}

// Tests counts the variant tests of all brands.
func (s *Set) Tests() int {
	n := 0
	for _, b := range s.Brands {
		n += len(b.Tests)
	}
	return n
}

// Variants counts the variants of all tests of all brands.
func (s *Set) Variants() int {
	n := 0
	for _, b := range s.Brands {
		for _, t := range b.Tests {
			n += len(t.Variants)
		}
	}
	return n
}

// Test returns the brand's test with that id, or nil.
func (b *Brand) Test(id string) *Test {
	for _, t := range b.Tests {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// RateOn returns the configured rate converting 1 unit of from into to that
// is in force on day: the one with the latest Since not after day. The same
// currency converts at 1. ok is false when no rate applies — callers must
// then refuse to convert, never assume 1:1.
func (b *Brand) RateOn(from, to string, day ads.Date) (r ads.Rate, ok bool) {
	if from == to {
		return ads.MustRate("1"), true
	}
	var best *FXRate
	for i := range b.FXRates {
		x := &b.FXRates[i]
		if x.From != from || x.To != to || x.Since.After(day) {
			continue
		}
		if best == nil || !x.Since.Before(best.Since) {
			best = x
		}
	}
	if best == nil {
		return ads.Rate{}, false
	}
	return best.Rate, true
}

// Variant returns the test's variant with that key, or nil.
func (t *Test) Variant(key string) *Variant {
	for _, v := range t.Variants {
		if v.Key == key {
			return v
		}
	}
	return nil
}

//go:embed examples/*.yaml
var examples embed.FS

// Examples holds configs/examples/*.yaml at its root, so `roasd demo` needs
// no checkout: LoadFS(Examples, ".").
var Examples fs.FS = mustSub(examples, "examples")

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// LoadExamples loads the embedded example configuration. Problems name the
// files "examples/<name>.yaml".
func LoadExamples() (*Set, error) {
	return LoadFS(examples, "examples")
}
