package httpapi

import (
	"net/http"
	"sort"
	"strings"

	"github.com/gin-gonic/gin"
)

type doctorResponse struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	WorkingDays []string `json:"workingDays"`
}

type doctorsResponse struct {
	Clinic   string           `json:"clinic"`
	TimeZone string           `json:"timeZone"`
	Doctors  []doctorResponse `json:"doctors"`
}

// listDoctors answers GET /api/v1/doctors: the clinic's doctors and the days
// they work.
func (s *Server) listDoctors(c *gin.Context) {
	cl := s.cfg.Clinic
	resp := doctorsResponse{Clinic: cl.Name, TimeZone: cl.Location.String(), Doctors: []doctorResponse{}}
	for _, d := range cl.Doctors {
		dr := doctorResponse{ID: d.ID, Name: d.Name, WorkingDays: []string{}}
		for _, w := range d.Weekdays {
			dr.WorkingDays = append(dr.WorkingDays, strings.ToLower(w.String()[:3]))
		}
		resp.Doctors = append(resp.Doctors, dr)
	}
	respond(c, http.StatusOK, resp)
}

type feeResponse struct {
	Code        string `json:"code"`
	Description string `json:"description"`
	Price       int64  `json:"price"`
	Currency    string `json:"currency"`
}

type feesResponse struct {
	Currency string        `json:"currency"`
	Fees     []feeResponse `json:"fees"`
}

// listFees answers GET /api/v1/fees: the fee schedule, by code.
func (s *Server) listFees(c *gin.Context) {
	cl := s.cfg.Clinic
	resp := feesResponse{Currency: cl.Currency, Fees: []feeResponse{}}
	for _, f := range cl.Fees {
		resp.Fees = append(resp.Fees, feeResponse{Code: f.Code, Description: f.Description, Price: f.Price.Amount, Currency: f.Price.Currency})
	}
	sort.Slice(resp.Fees, func(i, j int) bool { return resp.Fees[i].Code < resp.Fees[j].Code })
	respond(c, http.StatusOK, resp)
}
