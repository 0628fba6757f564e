package httpapi

import (
	"math"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"
)

// RateLimit is a per-client bound on requests: Rate a second on average,
// up to Burst at once. A zero Rate means no bound.
type RateLimit struct {
	Rate  float64
	Burst int
}

// clientLimiter keeps one token bucket per client address. It forgets a
// client whose bucket has filled up again (it would start afresh anyway),
// so its memory follows the clients of the last moments, not all of them.
type clientLimiter struct {
	limit rate.Limit
	burst int
	full  time.Duration // how long an empty bucket takes to fill

	mu        sync.Mutex
	clients   map[string]*clientBucket
	lastSweep time.Time
}

type clientBucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// maxClients bounds the buckets kept between sweeps; past it, every bucket
// is dropped (the clients get a fresh burst, the process keeps its memory).
const maxClients = 1 << 16

func newClientLimiter(l RateLimit) *clientLimiter {
	burst := max(1, l.Burst)
	return &clientLimiter{limit: rate.Limit(l.Rate), burst: burst, clients: map[string]*clientBucket{},
		full: time.Duration(float64(burst) / l.Rate * float64(time.Second))}
}

// allow takes one token of client's bucket at now, or says how long until
// there is one.
func (l *clientLimiter) allow(client string, now time.Time) (time.Duration, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > l.full || len(l.clients) >= maxClients {
		l.sweep(now)
	}
	b, ok := l.clients[client]
	if !ok {
		b = &clientBucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.clients[client] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return d, false
	}
	return 0, true
}

func (l *clientLimiter) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.clients {
		if now.Sub(b.seen) > l.full {
			delete(l.clients, k)
		}
	}
	if len(l.clients) >= maxClients {
		clear(l.clients)
	}
}

// clientKey names the client behind remoteAddr: its IP address, or for
// IPv6 its /64 network, which one subscriber usually holds whole. Headers
// such as X-Forwarded-For are not trusted: any client can send them.
func clientKey(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

// limitPerClient refuses a client over l with 429 and Retry-After. Staff
// (authenticated before it) are not limited: the bound is for anonymous
// callers and customers. It guards the customers' lookup; sign-in, once it
// exists, takes a limiter of its own through it the same way, before any
// credential check.
func (s *Server) limitPerClient(l RateLimit) gin.HandlerFunc {
	if l.Rate <= 0 {
		return func(c *gin.Context) { c.Next() }
	}
	cl := newClientLimiter(l)
	return func(c *gin.Context) {
		if principal(c).IsStaff() {
			c.Next()
			return
		}
		wait, ok := cl.allow(clientKey(c.Request.RemoteAddr), s.now())
		if !ok {
			c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			s.writeError(c, &requestError{kind: kindTooMany, detail: "too many lookups from your address; try again after Retry-After seconds"})
			return
		}
		c.Next()
	}
}
