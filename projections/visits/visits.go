// Package visits is the staff's read model of reservations: one document
// per visit with its whole status history (who changed it, when), the
// doctor, slot, customer, pet, medical record and bill, found by id, by the
// clinic's day (the day sheet) and by the customer's phone, the customer's
// name and the pet's name (the search). It holds the document, its fold,
// its subscriber and the reads its queries make.
package visits

import (
	"strings"
	"time"

	"github.com/vetclinic/clinic/domain/phone"
	"github.com/vetclinic/clinic/projections"
)

// The subscriber's and the collection's names and the index keys. They
// are stored: renaming one means a rebuild.
const (
	Name     = "visits"
	Coll     = "visits"
	KeyDay   = "day"   // YYYY-MM-DD in the clinic's zone
	KeyPhone = "phone" // normalised phone number
	KeyName  = "name"  // the customer's name, normalised (NormalizeName)
	KeyPet   = "pet"   // the pet's name, normalised (NormalizeName)
)

// historyMax bounds a visit's history (a visit has a handful of status
// changes; the bound only stops a runaway writer growing a document).
const historyMax = 1000

// Visit is the visits document.
type Visit struct {
	ID              string         `json:"id"`
	Status          string         `json:"status"`
	Slot            time.Time      `json:"slot"`
	Day             string         `json:"day"`
	DoctorID        string         `json:"doctorId"`
	Reason          string         `json:"reason,omitempty"`
	CustomerName    string         `json:"customerName"`
	CustomerPhone   string         `json:"customerPhone"`
	PetName         string         `json:"petName"`
	PetSpecies      string         `json:"petSpecies"`
	MedicalRecordID string         `json:"medicalRecordId"`
	RecordStatus    string         `json:"recordStatus"`
	Bill            *Bill          `json:"bill,omitempty"`
	History         []StatusChange `json:"history"`
	BookedAt        time.Time      `json:"bookedAt,omitzero"`
	Position        uint64         `json:"position"`
	UpdatedAt       time.Time      `json:"updatedAt"`
}

// Bill is the visit's invoice, in minor units of Currency; the meaning of
// each amount is the one of every view (docs/read-side.md).
type Bill struct {
	InvoiceID  string `json:"invoiceId"`
	Currency   string `json:"currency"`
	Total      int64  `json:"total"`
	Discounted int64  `json:"discounted"`
	Paid       int64  `json:"paid"`
	Refunded   int64  `json:"refunded"`
	Balance    int64  `json:"balance"`
	Status     string `json:"status"`
}

// StatusChange is one event of the reservation: the status after it.
type StatusChange struct {
	Event    string    `json:"event"`
	Status   string    `json:"status"`
	At       time.Time `json:"at"`
	By       string    `json:"by"`
	Slot     time.Time `json:"slot"`
	DoctorID string    `json:"doctorId"`
	Reason   string    `json:"reason,omitempty"`
}

// IndexKeys implements projections.Document.
func (v *Visit) IndexKeys() map[string]string {
	k := map[string]string{}
	if v.Day != "" {
		k[KeyDay] = v.Day
	}
	if p := phone.Normalize(v.CustomerPhone); p != "" {
		k[KeyPhone] = p
	}
	if n := NormalizeName(v.CustomerName); n != "" {
		k[KeyName] = n
	}
	if n := NormalizeName(v.PetName); n != "" {
		k[KeyPet] = n
	}
	return k
}

// NormalizeName is how names are matched: case and runs of spaces do not
// count ("  Coco  BEAN" finds "coco bean").
func NormalizeName(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// Stamp implements projections.Stamped.
func (v *Visit) Stamp(id string, ev projections.Event) {
	v.ID, v.Position, v.UpdatedAt = id, ev.Position.Commit, ev.Created
}
