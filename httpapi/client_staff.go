package httpapi

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
)

// Staff reads through the client. Each returns the data of the answer and
// the position its view is built up to; minPosition (0: none) asks for a
// view that includes that position (read-your-writes), which the server
// waits for a bounded time before it answers 503.

// Read returns the answer's data and position, and for a list the cursor
// of its next page ("" on the last).
type Read[T any] struct {
	Data     T      `json:"data"`
	Position uint64 `json:"position"`
	Next     string `json:"next,omitempty"`
}

func minPositionValues(v url.Values, minPosition uint64) url.Values {
	if v == nil {
		v = url.Values{}
	}
	if minPosition > 0 {
		v.Set("minPosition", strconv.FormatUint(minPosition, 10))
	}
	return v
}

func staffGet[T any](ctx context.Context, c *Client, path string, q url.Values) (Read[T], error) {
	var out Read[T]
	err := c.do(ctx, http.MethodGet, path, q, nil, &out)
	return out, err
}

// Reservation reads reservation id as staff see it (GET /api/v1/reservations/{id}).
func (c *Client) Reservation(ctx context.Context, id string, minPosition uint64) (Read[VisitResponse], error) {
	return staffGet[VisitResponse](ctx, c, "/api/v1/reservations/"+url.PathEscape(id), minPositionValues(nil, minPosition))
}

// MedicalRecord reads the whole record (GET /api/v1/medical-records/{id}).
func (c *Client) MedicalRecord(ctx context.Context, id string, minPosition uint64) (Read[RecordResponse], error) {
	return staffGet[RecordResponse](ctx, c, "/api/v1/medical-records/"+url.PathEscape(id), minPositionValues(nil, minPosition))
}

// MedicalRecordHistory reads one page of a record's history
// (GET /api/v1/medical-records/{id}/history).
func (c *Client) MedicalRecordHistory(ctx context.Context, id string, p Page, minPosition uint64) (Read[RecordHistoryResponse], error) {
	return staffGet[RecordHistoryResponse](ctx, c, "/api/v1/medical-records/"+url.PathEscape(id)+"/history", minPositionValues(p.values(nil), minPosition))
}

// Invoice reads an invoice with its lines, payments, refunds and discounts
// (GET /api/v1/invoices/{id}).
func (c *Client) Invoice(ctx context.Context, id string, minPosition uint64) (Read[InvoiceResponse], error) {
	return staffGet[InvoiceResponse](ctx, c, "/api/v1/invoices/"+url.PathEscape(id), minPositionValues(nil, minPosition))
}

// DaySheet reads one page of the clinic's day across doctors
// (GET /api/v1/day-sheet?date=).
func (c *Client) DaySheet(ctx context.Context, date string, p Page, minPosition uint64) (Read[DaySheetResponse], error) {
	v := p.values(url.Values{"date": {date}})
	return staffGet[DaySheetResponse](ctx, c, "/api/v1/day-sheet", minPositionValues(v, minPosition))
}

// ReservationSearch selects reservations; empty fields do not select.
type ReservationSearch struct {
	Phone, Name, Pet, From, To, Status string
}

// SearchReservations reads one page of a search, latest slot first
// (GET /api/v1/reservations?phone=&name=&pet=&from=&to=&status=).
func (c *Client) SearchReservations(ctx context.Context, s ReservationSearch, p Page, minPosition uint64) (Read[SearchResponse], error) {
	v := url.Values{}
	for k, x := range map[string]string{"phone": s.Phone, "name": s.Name, "pet": s.Pet, "from": s.From, "to": s.To, "status": s.Status} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return staffGet[SearchResponse](ctx, c, "/api/v1/reservations", minPositionValues(p.values(v), minPosition))
}
