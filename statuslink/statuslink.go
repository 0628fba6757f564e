// Package statuslink makes and checks the capability links of the
// customers' status page: <public URL>/status/<token>, sent in every
// notification about a reservation, so a customer sees their visit without
// an account.
//
// A token names exactly one reservation and is bound to the phone number on
// it: it is the reservation's id and an HMAC-SHA256 (truncated to 128 bits)
// of that id and the normalised phone number, under a key only the clinic
// holds. Nothing else is in it: no phone number (links end up in logs and
// browser histories) and no expiry. Whoever checks a token reads the
// reservation and recomputes the MAC with the phone on it now, so a token
// stops working when the phone changes, and one whose bytes were altered
// names nothing. Expiry is the reader's rule (the visit done plus a period),
// taken from the read model at each use, because a message sent at booking
// cannot know when the visit will end.
//
// The key is a dedicated 32-byte HMAC key, not the data folder's token key:
// a status link must never be a bearer token of the API nor the other way
// round, the notice role (which makes links) and the query role (which
// checks them) both need it while production has no token key at all (an
// OpenID Provider signs), and a MAC keeps the link short enough for a text
// message. The embedded setup keeps it in the data folder (KeyPath);
// production gives every process the same key from a Secret (ParseKey).
package statuslink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	"github.com/google/uuid"

	"github.com/vetclinic/clinic/domain/phone"
)

// KeySize is the size of a key in bytes.
const KeySize = 32

const (
	version = 1
	macSize = 16
	// tokenSize is a token's length in bytes before base64url.
	tokenSize = 1 + 16 + macSize
	// domainTag keeps these MACs apart from any other use of the key.
	domainTag = "clinic/status-link/v1"
	// PathPrefix is where the status page is served.
	PathPrefix = "/status/"
)

// ErrInvalid is returned for a token that is not one this package made with
// this key for this reservation and phone: malformed, altered, made with
// another key, or for a phone the reservation no longer has.
var ErrInvalid = errors.New("statuslink: invalid token")

// Signer makes and checks tokens with one key.
type Signer struct {
	key  []byte
	base atomic.Pointer[string] // the public base URL, without a trailing slash
}

// New returns a signer with key (KeySize bytes) whose links start with
// publicURL (http(s)://host[/path]). It returns an error for a key of
// another size or a base that is not an absolute http(s) URL.
func New(key []byte, publicURL string) (*Signer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("statuslink: a key has %d bytes, not %d", KeySize, len(key))
	}
	s := &Signer{key: append([]byte(nil), key...)}
	if err := s.SetPublicURL(publicURL); err != nil {
		return nil, err
	}
	return s, nil
}

// SetPublicURL changes the base of the links URL makes, for a server that
// learns its address only once it listens. It returns an error, and keeps
// the base it had, for a URL that is not absolute http(s) without a query.
func (s *Signer) SetPublicURL(publicURL string) error {
	u, err := url.Parse(publicURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("statuslink: public URL %q is not an absolute http(s) URL without query", publicURL)
	}
	base := strings.TrimRight(u.String(), "/")
	s.base.Store(&base)
	return nil
}

// Token returns the token for reservation id (a UUID) booked with
// phoneNumber. It returns an error when id is not a UUID.
func (s *Signer) Token(reservationID, phoneNumber string) (string, error) {
	id, err := uuid.Parse(reservationID)
	if err != nil {
		return "", fmt.Errorf("statuslink: reservation id %q: %w", reservationID, err)
	}
	b := make([]byte, 0, tokenSize)
	b = append(b, version)
	b = append(b, id[:]...)
	b = append(b, s.mac(id, phoneNumber)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// URL returns the status page link for reservation id booked with
// phoneNumber, or "" when id is not a UUID (no link is better than a
// broken one in a message).
func (s *Signer) URL(reservationID, phoneNumber string) string {
	t, err := s.Token(reservationID, phoneNumber)
	if err != nil {
		return ""
	}
	return *s.base.Load() + PathPrefix + t
}

// StatusURL is URL under the name the notice service asks for.
func (s *Signer) StatusURL(reservationID, phoneNumber string) string {
	return s.URL(reservationID, phoneNumber)
}

// ReservationID returns the reservation a token claims to name, without
// checking it: the reader looks the reservation up, then calls Verify with
// its phone. It returns ErrInvalid for a token that is not well formed.
func ReservationID(token string) (string, error) {
	b, err := decode(token)
	if err != nil {
		return "", err
	}
	return uuid.UUID(b[1:17]).String(), nil
}

// Verify checks that token names reservation id and was made for
// phoneNumber, the phone on the reservation now. It returns ErrInvalid
// otherwise. The comparison takes the same time wherever the MACs differ.
func (s *Signer) Verify(token, reservationID, phoneNumber string) error {
	b, err := decode(token)
	if err != nil {
		return err
	}
	id, err := uuid.Parse(reservationID)
	if err != nil || uuid.UUID(b[1:17]) != id || phone.Normalize(phoneNumber) == "" {
		return ErrInvalid
	}
	if !hmac.Equal(b[17:], s.mac(id, phoneNumber)) {
		return ErrInvalid
	}
	return nil
}

func decode(token string) ([]byte, error) {
	if len(token) != base64.RawURLEncoding.EncodedLen(tokenSize) {
		return nil, ErrInvalid
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) != tokenSize || b[0] != version {
		return nil, ErrInvalid
	}
	return b, nil
}

// mac binds the reservation to the phone's lookup key, so the ways of
// writing one number (010-1234-5678, +82 10 1234 5678) give one token.
func (s *Signer) mac(id uuid.UUID, phoneNumber string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(domainTag))
	m.Write([]byte{0})
	m.Write(id[:])
	m.Write([]byte{0})
	m.Write([]byte(phone.Normalize(phoneNumber)))
	return m.Sum(nil)[:macSize]
}
