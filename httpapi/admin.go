package httpapi

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/projections"
	"github.com/vetclinic/clinic/projections/admin"
)

// ProjectionAdmin is what the projection admin routes need; *admin.Admin
// is one.
type ProjectionAdmin interface {
	Statuses(ctx context.Context) ([]admin.Status, error)
	Status(ctx context.Context, name string) (admin.Status, error)
	Parked(ctx context.Context, name string) ([]projections.Parked, error)
	ReplayParked(ctx context.Context, name string) (int, error)
	StartRebuild(ctx context.Context, name string) (admin.Rebuild, error)
	Rebuild(name string) (admin.Rebuild, error)
}

// adminRoutes: projection administration (admin only). A rebuild runs in
// the background: POST answers 202 with the rebuild resource, whose
// progress the caller polls with GET until its state is done or failed.
func (s *Server) adminRoutes(admin *gin.RouterGroup, a ProjectionAdmin) {
	admin.GET("/admin/projections", s.listProjections(a))
	admin.GET("/admin/projections/:name", s.getProjection(a))
	admin.GET("/admin/projections/:name/parked", s.listParked(a))
	admin.POST("/admin/projections/:name/replay-parked", s.replayParked(a))
	admin.POST("/admin/projections/:name/rebuild", s.startRebuild(a))
	admin.GET("/admin/projections/:name/rebuild", s.getRebuild(a))
	admin.GET("/admin/parked", s.listParked(a))
}

// ProjectionStatus is one subscriber's status in the admin API.
type ProjectionStatus struct {
	Name        string  `json:"name"`
	Rebuildable bool    `json:"rebuildable"`
	Namespace   string  `json:"namespace"`
	Building    string  `json:"building,omitempty"`
	Checkpoint  uint64  `json:"checkpoint"`
	Events      uint64  `json:"events"`
	Head        uint64  `json:"head"`
	LagEvents   int     `json:"lagEvents"`
	LagSeconds  float64 `json:"lagSeconds"`
	Parked      int     `json:"parked"`
	Drops       int     `json:"drops"`
	Running     bool    `json:"running"`
	LastError   string  `json:"lastError,omitempty"`
}

// ProjectionsResponse is the body of GET /api/v1/admin/projections.
type ProjectionsResponse struct {
	Projections []ProjectionStatus `json:"projections"`
}

func newProjectionStatus(st admin.Status) ProjectionStatus {
	return ProjectionStatus{
		Name: st.Name, Rebuildable: st.Rebuildable, Namespace: st.Namespace, Building: st.Building,
		Checkpoint: st.Checkpoint, Events: st.Events, Head: st.Head, LagEvents: st.LagEvents, LagSeconds: st.LagSeconds,
		Parked: st.Parked, Drops: st.Drops, Running: st.Running, LastError: st.LastError,
	}
}

// ParkedEvent is an event a subscriber parked after its attempts failed.
type ParkedEvent struct {
	Subscriber string    `json:"subscriber"`
	Position   uint64    `json:"position"` // commit position in $all
	EventID    string    `json:"eventId"`
	Type       string    `json:"type"`
	Stream     string    `json:"stream"`
	Attempts   int       `json:"attempts"`
	ParkedAt   time.Time `json:"parkedAt"`
	Error      string    `json:"error"`
}

// ParkedResponse is the body of the parked-events listings.
type ParkedResponse struct {
	Parked []ParkedEvent `json:"parked"`
	Next   string        `json:"next,omitempty"`
}

// ReplayResponse is the body of POST .../replay-parked.
type ReplayResponse struct {
	Replayed int `json:"replayed"`
}

// RebuildProgress is how far a rebuild has come: Position of Head is the
// fraction done (positions grow with the log; they are not event counts).
type RebuildProgress struct {
	Namespace string `json:"namespace"` // the copy being built
	Events    uint64 `json:"events"`    // events folded into it
	Position  uint64 `json:"position"`
	Head      uint64 `json:"head"`
	Resumed   bool   `json:"resumed"` // it took over a rebuild a dead process had started
	Switched  bool   `json:"switched"`
}

// RebuildResponse is a rebuild resource: running, done or failed.
type RebuildResponse struct {
	Projection string          `json:"projection"`
	State      string          `json:"state"`
	StartedAt  time.Time       `json:"startedAt"`
	SwitchedAt *time.Time      `json:"switchedAt,omitempty"` // queries read the new copy from then on
	FinishedAt *time.Time      `json:"finishedAt,omitempty"`
	Progress   RebuildProgress `json:"progress"`
	Error      string          `json:"error,omitempty"`
}

// Finished reports whether the rebuild has ended (done or failed).
func (r RebuildResponse) Finished() bool { return r.State != string(admin.RebuildRunning) }

func newRebuildResponse(r admin.Rebuild) RebuildResponse {
	p := r.Progress
	out := RebuildResponse{Projection: r.Projection, State: string(r.State), StartedAt: r.StartedAt, Error: r.Error,
		Progress: RebuildProgress{Namespace: p.Namespace, Events: p.Done, Position: p.Position, Head: p.Head, Resumed: p.Resumed, Switched: p.Switched}}
	if !r.SwitchedAt.IsZero() {
		t := r.SwitchedAt
		out.SwitchedAt = &t
	}
	if !r.FinishedAt.IsZero() {
		t := r.FinishedAt
		out.FinishedAt = &t
	}
	return out
}

// listProjections answers GET /api/v1/admin/projections: every projection,
// then the other subscribers of the read store.
func (s *Server) listProjections(a ProjectionAdmin) gin.HandlerFunc {
	return func(c *gin.Context) {
		sts, err := a.Statuses(c.Request.Context())
		if err != nil {
			s.writeError(c, err)
			return
		}
		resp := ProjectionsResponse{Projections: make([]ProjectionStatus, 0, len(sts))}
		for _, st := range sts {
			resp.Projections = append(resp.Projections, newProjectionStatus(st))
		}
		respond(c, http.StatusOK, resp)
	}
}

// getProjection answers GET /api/v1/admin/projections/{name}.
func (s *Server) getProjection(a ProjectionAdmin) gin.HandlerFunc {
	return func(c *gin.Context) {
		st, err := a.Status(c.Request.Context(), c.Param("name"))
		if err != nil {
			s.writeError(c, err)
			return
		}
		respond(c, http.StatusOK, newProjectionStatus(st))
	}
}

// listParked answers GET /api/v1/admin/projections/{name}/parked, and
// GET /api/v1/admin/parked for every subscriber's, in position order, a
// page at a time.
func (s *Server) listParked(a ProjectionAdmin) gin.HandlerFunc {
	return func(c *gin.Context) {
		pg, err := pageOf(c, "parked|"+c.Param("name"))
		if err != nil {
			s.writeError(c, err)
			return
		}
		ps, err := a.Parked(c.Request.Context(), c.Param("name"))
		if err != nil {
			s.writeError(c, err)
			return
		}
		key := func(p projections.Parked) string {
			return indexKey(p.Event.Position.Commit, p.Subscriber+"|"+p.Event.ID)
		}
		slices.SortFunc(ps, func(x, y projections.Parked) int { return strings.Compare(key(x), key(y)) })
		ps, next := paginate(ps, pg, key, false)
		resp := ParkedResponse{Parked: make([]ParkedEvent, 0, len(ps)), Next: next}
		for _, p := range ps {
			resp.Parked = append(resp.Parked, ParkedEvent{Subscriber: p.Subscriber, Position: p.Event.Position.Commit,
				EventID: p.Event.ID, Type: p.Event.Type, Stream: p.Event.Stream, Attempts: p.Attempts, ParkedAt: p.ParkedAt, Error: p.Error})
		}
		respond(c, http.StatusOK, resp)
	}
}

// replayParked answers POST /api/v1/admin/projections/{name}/replay-parked:
// how many parked events went through this time (the others stay parked).
func (s *Server) replayParked(a ProjectionAdmin) gin.HandlerFunc {
	return func(c *gin.Context) {
		n, err := a.ReplayParked(c.Request.Context(), c.Param("name"))
		if err != nil {
			s.writeError(c, err)
			return
		}
		respond(c, http.StatusOK, ReplayResponse{Replayed: n})
	}
}

// startRebuild answers POST /api/v1/admin/projections/{name}/rebuild: 202
// and the running rebuild, or 409 while this process rebuilds it already.
func (s *Server) startRebuild(a ProjectionAdmin) gin.HandlerFunc {
	return func(c *gin.Context) {
		r, err := a.StartRebuild(c.Request.Context(), c.Param("name"))
		if err != nil {
			s.writeError(c, err)
			return
		}
		c.Header("Location", c.Request.URL.Path)
		respond(c, http.StatusAccepted, newRebuildResponse(r))
	}
}

// getRebuild answers GET /api/v1/admin/projections/{name}/rebuild: the last
// rebuild started in this process, or 404 when none was.
func (s *Server) getRebuild(a ProjectionAdmin) gin.HandlerFunc {
	return func(c *gin.Context) {
		r, err := a.Rebuild(c.Param("name"))
		if err != nil {
			s.writeError(c, err)
			return
		}
		respond(c, http.StatusOK, newRebuildResponse(r))
	}
}
