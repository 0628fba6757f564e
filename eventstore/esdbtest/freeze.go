package esdbtest

import (
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Freezer is a TCP proxy in front of an event store that can freeze: its
// connections stay open and it keeps accepting, but nothing more passes in
// either direction, like a paused server or a network that drops every
// packet. Unlike a stopped server, no error ever comes back.
type Freezer struct {
	ln     net.Listener
	target string
	frozen chan struct{}
	once   sync.Once
	mu     sync.Mutex
	conns  []net.Conn
}

// Freeze returns a proxy in front of the server of url (an esdb://
// connection string), and the proxy's connection string. It closes when t
// ends.
func Freeze(t testing.TB, esdbURL string) (*Freezer, string) {
	t.Helper()
	u, err := url.Parse(esdbURL)
	if err != nil {
		t.Fatalf("parse %q: %v", esdbURL, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &Freezer{ln: ln, target: u.Host, frozen: make(chan struct{})}
	go f.accept()
	t.Cleanup(f.close)
	return f, strings.Replace(esdbURL, u.Host, ln.Addr().String(), 1)
}

// Freeze stops every byte from now on.
func (f *Freezer) Freeze() { f.once.Do(func() { close(f.frozen) }) }

func (f *Freezer) accept() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.track(c)
		go f.relay(c)
	}
}

func (f *Freezer) track(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conns = append(f.conns, c)
}

func (f *Freezer) relay(c net.Conn) {
	select {
	case <-f.frozen:
		return // a frozen server accepts and never answers
	default:
	}
	up, err := net.Dial("tcp", f.target)
	if err != nil {
		c.Close()
		return
	}
	f.track(up)
	go f.copy(up, c)
	f.copy(c, up)
}

// copy forwards src to dst until the proxy freezes, then holds both.
func (f *Freezer) copy(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		select {
		case <-f.frozen:
			return
		default:
		}
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			dst.Close()
			return
		}
	}
}

func (f *Freezer) close() {
	f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		c.Close()
	}
}
