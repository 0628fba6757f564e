package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/vetclinic/clinic/auth"
)

// BenchmarkLookupByID is GET /api/v1/lookup/reservations/{id} over
// loopback HTTP with 64 concurrent clients, each with a customer token
// (verified on every request), on the embedded read store.
func BenchmarkLookupByID(b *testing.B) {
	phones := make([]string, 2000)
	for i := range phones {
		phones[i] = "010-" + string(rune('1'+i%9)) + "000-" + time.Duration(i).String()
	}
	f := newLookupFixture(b, phones...)
	srv := httptest.NewServer(f.h)
	defer srv.Close()
	type target struct{ url, token string }
	var targets []target
	for phone, id := range f.ids {
		targets = append(targets, target{srv.URL + "/api/v1/lookup/reservations/" + id.String(), customerToken(b, f.auth, phone)})
		if len(targets) == 200 {
			break
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}}
	const clients = 64
	lat := make([][]time.Duration, clients)
	var next sync.Mutex
	n := 0
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				next.Lock()
				if n >= b.N {
					next.Unlock()
					return
				}
				n++
				next.Unlock()
				tg := targets[(c*7+i)%len(targets)]
				req, _ := http.NewRequest("GET", tg.url, nil)
				req.Header.Set("Authorization", "Bearer "+tg.token)
				t0 := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
				lat[c] = append(lat[c], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
}

func customerToken(b testing.TB, a testAuth, phone string) string {
	tok, err := a.issuer.Issue(phone, auth.RoleCustomer, time.Hour)
	if err != nil {
		b.Fatal(err)
	}
	return tok
}
