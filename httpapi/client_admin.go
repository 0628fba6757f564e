package httpapi

import (
	"context"
	"net/http"
	"net/url"
)

func projectionPath(name string) string { return "/api/v1/admin/projections/" + url.PathEscape(name) }

// Projections returns the status of every projection and of the other
// subscribers of the read store (GET /api/v1/admin/projections).
func (c *Client) Projections(ctx context.Context) ([]ProjectionStatus, error) {
	var out ProjectionsResponse
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/projections", nil, nil, &out)
	return out.Projections, err
}

// Projection returns one projection's status (GET /api/v1/admin/projections/{name}).
func (c *Client) Projection(ctx context.Context, name string) (ProjectionStatus, error) {
	var out ProjectionStatus
	err := c.do(ctx, http.MethodGet, projectionPath(name), nil, nil, &out)
	return out, err
}

// Parked returns projection name's parked events, or every subscriber's
// when name is "".
func (c *Client) Parked(ctx context.Context, name string) ([]ParkedEvent, error) {
	path := "/api/v1/admin/parked"
	if name != "" {
		path = projectionPath(name) + "/parked"
	}
	var all []ParkedEvent
	err := c.walk(ctx, -1, func(p Page) (string, int, error) {
		var out ParkedResponse
		err := c.do(ctx, http.MethodGet, path, p.values(nil), nil, &out)
		all = append(all, out.Parked...)
		return out.Next, len(out.Parked), err
	})
	return all, err
}

// ReplayParked runs projection name's parked events again and returns how
// many went through.
func (c *Client) ReplayParked(ctx context.Context, name string) (int, error) {
	var out ReplayResponse
	err := c.do(ctx, http.MethodPost, projectionPath(name)+"/replay-parked", nil, nil, &out)
	return out.Replayed, err
}

// StartRebuild starts rebuilding projection name on the server and returns
// the running rebuild; poll it with Rebuild.
func (c *Client) StartRebuild(ctx context.Context, name string) (RebuildResponse, error) {
	var out RebuildResponse
	err := c.do(ctx, http.MethodPost, projectionPath(name)+"/rebuild", nil, nil, &out)
	return out, err
}

// Rebuild returns the last rebuild of projection name the server started.
func (c *Client) Rebuild(ctx context.Context, name string) (RebuildResponse, error) {
	var out RebuildResponse
	err := c.do(ctx, http.MethodGet, projectionPath(name)+"/rebuild", nil, nil, &out)
	return out, err
}
