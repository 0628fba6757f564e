package httpapi

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// Listener accepts at most max connections at once (as
// golang.org/x/net/netutil.LimitListener does). When every place is taken
// and a new client waits, it closes the connection that has been idle
// longest, so keep-alive connections a client parks cannot lock out new
// clients until their idle timeout. Each connection it returns also
// rewrites net/http's own 431 answer (see problemConn).
//
// The server must report its connections' states to it: set http.Server's
// ConnState to the Listener's ConnState.
type Listener struct {
	net.Listener
	places    chan struct{}
	answer431 []byte
	done      chan struct{}
	closeOnce sync.Once

	mu   sync.Mutex
	idle map[net.Conn]time.Time // connections between requests, since when
}

// NewListener limits l to maxConns connections at once; maxHeaderBytes is
// the server's MaxHeaderBytes, which its 431 answer names.
func NewListener(l net.Listener, maxConns, maxHeaderBytes int) *Listener {
	return &Listener{Listener: l, places: make(chan struct{}, max(1, maxConns)),
		answer431: headerTooLarge(maxHeaderBytes), done: make(chan struct{}), idle: map[net.Conn]time.Time{}}
}

// Accept waits for a free place, freeing the longest-idle one if all are
// taken, then accepts.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case l.places <- struct{}{}:
	default:
		l.closeOldestIdle()
		select {
		case l.places <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.places
		return nil, err
	}
	return &problemConn{Conn: c, release: l.release, answer431: l.answer431}, nil
}

func (l *Listener) release() { <-l.places }

// Close stops accepting, also for an Accept waiting for a place.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// ConnState is the server's ConnState hook: it tracks which connections
// are idle.
func (l *Listener) ConnState(c net.Conn, st http.ConnState) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if st == http.StateIdle {
		l.idle[c] = time.Now()
	} else {
		delete(l.idle, c)
	}
}

func (l *Listener) closeOldestIdle() {
	l.mu.Lock()
	var oldest net.Conn
	var since time.Time
	for c, t := range l.idle {
		if oldest == nil || t.Before(since) {
			oldest, since = c, t
		}
	}
	delete(l.idle, oldest)
	l.mu.Unlock()
	if oldest != nil {
		// The same race as an idle timeout: a request that arrives just
		// now sees the connection close, which HTTP clients retry.
		_ = oldest.Close()
	}
}

// netHTTP431 is what net/http writes straight to the connection, before
// any handler runs, when a request's header is over MaxHeaderBytes. Its
// handler responses always carry a Date header, so these exact bytes in
// one write cannot be one of them.
const netHTTP431 = "HTTP/1.1 431 Request Header Fields Too Large\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n" +
	"431 Request Header Fields Too Large"

// headerTooLarge is the API's answer instead: problem+json like every
// error.
func headerTooLarge(maxHeaderBytes int) []byte {
	var body bytes.Buffer
	_ = writeJSON(&body, problem{Type: kindHeaderTooLarge.uri(), Title: kindHeaderTooLarge.title, Status: kindHeaderTooLarge.status,
		Detail: fmt.Sprintf("send a request header of at most %d bytes", maxHeaderBytes)})
	return fmt.Appendf(nil, "HTTP/1.1 431 Request Header Fields Too Large\r\n"+
		"Content-Type: application/problem+json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s", body.Len(), body.Bytes())
}

// problemConn is a server connection that gives its place back once closed
// and turns net/http's plain-text 431 into problem+json. net/http has no
// hook for the errors it answers before routing.
type problemConn struct {
	net.Conn
	release   func()
	answer431 []byte
	once      sync.Once
}

func (c *problemConn) Write(p []byte) (int, error) {
	if len(p) == len(netHTTP431) && string(p) == netHTTP431 {
		if _, err := c.Conn.Write(c.answer431); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// CloseWrite lets net/http half-close after an error answer, so the client
// reads the answer before the connection goes.
func (c *problemConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c *problemConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
