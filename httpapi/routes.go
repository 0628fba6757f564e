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
	e.NoRoute(func(c *gin.Context) { s.writeError(c, &requestError{kind: kindNotFound, detail: "no such route"}) })
	e.NoMethod(func(c *gin.Context) {
		s.writeError(c, &requestError{kind: kindMethod, detail: "this route does not take " + c.Request.Method})
	})

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", s.serveMetrics)
	e.GET("/problems/:slug", s.problemDocs)

	api := e.Group("/api/v1", s.authenticate)
	staff := api.Group("", s.requireRole(auth.RoleStaff))
	if s.cfg.Clinic != nil {
		s.catalogRoutes(api)
	}
	_ = staff
}

// catalogRoutes: the clinic's configuration, for any signed-in caller.
func (s *Server) catalogRoutes(api *gin.RouterGroup) {
	api.GET("/doctors", s.listDoctors)
	api.GET("/fees", s.listFees)
}
