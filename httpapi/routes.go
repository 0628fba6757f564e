package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/vetclinic/clinic/auth"
)

// routes lists every route of the API. Each area registers its routes in a
// small function named here, so this file stays the one index of the API.
func (s *Server) routes() {
	e := s.engine
	e.Use(s.measure, s.logRequests, s.recoverPanics)
	if h := s.corsMiddleware(); h != nil {
		e.Use(h) // before routing, so preflights (OPTIONS, no route) are answered too
	}
	e.NoRoute(func(c *gin.Context) { s.writeError(c, &requestError{kind: kindNotFound, detail: "no such route"}) })
	e.NoMethod(func(c *gin.Context) {
		s.writeError(c, &requestError{kind: kindMethod, detail: "this route does not take " + c.Request.Method})
	})

	// HEAD is what many load balancers and uptime probes send.
	e.GET("/healthz", s.healthz)
	e.HEAD("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.HEAD("/readyz", s.readyz)
	e.GET("/metrics", s.serveMetrics)
	e.GET("/problems/:slug", s.problemDocs)
	e.GET("/api/v1/openapi.json", s.serveOpenAPI)

	if h := s.cfg.Console; h != nil {
		// The page needs no token; what it shows comes from the API, with
		// the signed-in user's.
		e.GET("/console", func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, "/console/") })
		e.GET("/console/*path", gin.WrapH(h))
		e.HEAD("/console/*path", gin.WrapH(h))
	}

	api := e.Group("/api/v1", s.authenticate)
	g := s.roleGroups(api)
	if s.cfg.Clinic != nil {
		s.catalogRoutes(api)
	}
	if s.cfg.Commands != nil {
		s.commandRoutes(g.commands())
	}
	if s.cfg.Lookup != nil {
		s.lookupRoutes(api, g.staff, s.cfg.Lookup)
		s.staffReadRoutes(g.staff, s.cfg.Lookup)
		g.staff.GET("/events/stream", s.eventStream(s.cfg.Lookup))
		if s.cfg.StatusLinks != nil {
			s.statusRoutes(s.cfg.Lookup, s.cfg.StatusLinks)
		}
	}
	if s.cfg.Notifications != nil {
		s.notificationsRoutes(g, s.cfg.Notifications)
	}
	if s.cfg.Admin != nil {
		s.adminRoutes(g.admin, s.cfg.Admin)
	}
}

// roleGroups are the API's routes by who may call them; docs/access.md is
// the same table for people, and a test holds the two together.
type roleGroups struct {
	desk     *gin.RouterGroup // reception: bookings, check-in, money
	schedule *gin.RouterGroup // reception and admin: doctors' days
	clinical *gin.RouterGroup // vet: the medical record
	visitEnd *gin.RouterGroup // reception and vet: ending a visit
	staff    *gin.RouterGroup // every staff role: the staff reads
	notices  *gin.RouterGroup // reception and admin: what customers were told
	admin    *gin.RouterGroup // admin: projections and the notice dead letters
}

func (s *Server) roleGroups(api *gin.RouterGroup) roleGroups {
	return roleGroups{
		desk:     api.Group("", s.allow(auth.RoleReception)),
		schedule: api.Group("", s.allow(auth.RoleReception, auth.RoleAdmin)),
		clinical: api.Group("", s.allow(auth.RoleVet)),
		visitEnd: api.Group("", s.allow(auth.RoleReception, auth.RoleVet)),
		staff:    api.Group("", s.allow(auth.StaffRoles...)),
		notices:  api.Group("", s.allow(auth.RoleReception, auth.RoleAdmin)),
		admin:    api.Group("", s.allow(auth.RoleAdmin)),
	}
}

// commands are the groups of the command routes, each marked as a command.
func (g roleGroups) commands() roleGroups {
	for _, rg := range []**gin.RouterGroup{&g.desk, &g.schedule, &g.clinical, &g.visitEnd} {
		*rg = (*rg).Group("", markCommand)
	}
	return g
}

// catalogRoutes: the clinic's configuration, for any signed-in caller.
func (s *Server) catalogRoutes(api *gin.RouterGroup) {
	api.GET("/doctors", s.listDoctors)
	api.GET("/fees", s.listFees)
}

// commandRoutes: the staff command API, each route in the group of the
// roles that may call it.
func (s *Server) commandRoutes(g roleGroups) {
	g.schedule.PUT("/doctors/:doctorID/days/:date", s.openDay)
	g.schedule.POST("/doctors/:doctorID/days/:date/close", s.closeDay)

	g.desk.POST("/reservations", s.placeReservation)
	g.desk.POST("/reservations/:id/reschedule", s.reschedule)
	g.desk.POST("/reservations/:id/cancel", s.cancel)
	g.desk.POST("/reservations/:id/check-in", s.checkIn)
	g.visitEnd.POST("/reservations/:id/complete", s.complete)
	g.desk.POST("/reservations/:id/no-show", s.noShow)
	g.desk.PUT("/reservations/:id/details", s.correctDetails)

	g.clinical.POST("/medical-records/:id/diagnosis", s.recordDiagnosis)
	g.clinical.POST("/medical-records/:id/treatments", s.addTreatments)
	g.clinical.PUT("/medical-records/:id/treatments/:line", s.correctLine)
	g.clinical.POST("/medical-records/:id/treatments/:line/remove", s.removeLine)
	g.clinical.POST("/medical-records/:id/prescriptions", s.addPrescriptions)
	g.clinical.POST("/medical-records/:id/finalize", s.finalize)
	g.clinical.POST("/medical-records/:id/addenda", s.addAddendum)

	g.desk.POST("/invoices/:id/payments", s.recordPayment)
	g.desk.POST("/invoices/:id/refunds", s.refund)
	g.desk.POST("/invoices/:id/discounts", s.discount)
	g.desk.POST("/invoices/:id/void", s.voidInvoice)
}

// Routes lists the routes the server registered, as "METHOD /path/:param",
// for the deploy checks that every route reaches a role that serves it.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.engine.Routes() {
		out = append(out, r.Method+" "+r.Path)
	}
	return out
}
