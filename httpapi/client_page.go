package httpapi

import (
	"context"
	"net/url"
	"strconv"
)

// Page asks for one page of a list: at most Limit items (0: the server's
// default, 50; at most 200) after Cursor (the previous page's next; "" for
// the first page).
type Page struct {
	Limit  int
	Cursor string
}

// values adds the page's parameters to v (a new set when v is nil).
func (p Page) values(v url.Values) url.Values {
	if v == nil {
		v = url.Values{}
	}
	if p.Limit > 0 {
		v.Set("limit", strconv.Itoa(p.Limit))
	}
	if p.Cursor != "" {
		v.Set("cursor", p.Cursor)
	}
	return v
}

// walk fetches pages until want items came (0: the server's default page
// only; below 0: every page) or the list ends. fetch gets each page and returns its next cursor
// and how many items it held.
func (c *Client) walk(ctx context.Context, want int, fetch func(Page) (next string, n int, err error)) error {
	if want < 0 {
		want = int(^uint(0) >> 1)
	}
	p := Page{Limit: min(want, maxPageLimit)}
	got := 0
	for {
		next, n, err := fetch(p)
		if err != nil {
			return err
		}
		got += n
		if next == "" || want <= 0 || got >= want || ctx.Err() != nil {
			return ctx.Err()
		}
		p = Page{Limit: min(want-got, maxPageLimit), Cursor: next}
	}
}
