package bench

import (
	"context"
	"errors"
	"io"
)

// MultiOptions configure RunMulti.
type MultiOptions struct {
	Brands, Creators, Variants, Days, Orders int
	Binary, ServerURL                        string
	Log                                      io.Writer
}

// MultiResult is what RunMulti measured.
type MultiResult struct{}

// RunMulti is not written yet.
func RunMulti(ctx context.Context, o MultiOptions) (*MultiResult, error) {
	return nil, errors.New("not yet")
}

// WriteTable prints r.
func (r *MultiResult) WriteTable(w io.Writer) {}
