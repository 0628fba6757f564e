package httpapi

import (
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

	api := e.Group("/api/v1", s.authenticate)
	staff := api.Group("", s.requireRole(auth.RoleStaff))
	if s.cfg.Clinic != nil {
		s.catalogRoutes(api)
	}
	if s.cfg.Commands != nil {
		s.commandRoutes(staff.Group("", markCommand))
	}
	if s.cfg.Lookup != nil {
		s.lookupRoutes(api, staff, s.cfg.Lookup)
		s.staffReadRoutes(staff, s.cfg.Lookup)
	}
	if s.cfg.Notifications != nil {
		s.notificationsRoutes(staff, s.cfg.Notifications)
	}
	if s.cfg.Admin != nil {
		s.adminRoutes(staff, s.cfg.Admin)
	}
}

// catalogRoutes: the clinic's configuration, for any signed-in caller.
func (s *Server) catalogRoutes(api *gin.RouterGroup) {
	api.GET("/doctors", s.listDoctors)
	api.GET("/fees", s.listFees)
}

// commandRoutes: the staff command API.
func (s *Server) commandRoutes(staff *gin.RouterGroup) {
	staff.PUT("/doctors/:doctorID/days/:date", s.openDay)
	staff.POST("/doctors/:doctorID/days/:date/close", s.closeDay)

	staff.POST("/reservations", s.placeReservation)
	staff.POST("/reservations/:id/reschedule", s.reschedule)
	staff.POST("/reservations/:id/cancel", s.cancel)
	staff.POST("/reservations/:id/check-in", s.checkIn)
	staff.POST("/reservations/:id/complete", s.complete)
	staff.POST("/reservations/:id/no-show", s.noShow)
	staff.PUT("/reservations/:id/details", s.correctDetails)

	staff.POST("/medical-records/:id/diagnosis", s.recordDiagnosis)
	staff.POST("/medical-records/:id/treatments", s.addTreatments)
	staff.PUT("/medical-records/:id/treatments/:line", s.correctLine)
	staff.POST("/medical-records/:id/treatments/:line/remove", s.removeLine)
	staff.POST("/medical-records/:id/prescriptions", s.addPrescriptions)
	staff.POST("/medical-records/:id/finalize", s.finalize)
	staff.POST("/medical-records/:id/addenda", s.addAddendum)

	staff.POST("/invoices/:id/payments", s.recordPayment)
	staff.POST("/invoices/:id/refunds", s.refund)
	staff.POST("/invoices/:id/discounts", s.discount)
	staff.POST("/invoices/:id/void", s.voidInvoice)
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
