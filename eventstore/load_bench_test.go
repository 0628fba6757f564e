package eventstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"
)

// Quick load benchmarks through the official client, for profiling the
// server (the official numbers come from the conformance package):
//
//	go test -run '^$' -bench 'Load' -benchtime 20000x -cpuprofile cpu.out ./eventstore/

// benchServer starts a server for b and returns it with a client.
func benchServer(b *testing.B) (*Server, *esdb.Client) {
	srv, err := Start(context.Background(), "127.0.0.1:0", Options{Dir: b.TempDir(), Logger: quietLog()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	cfg, err := esdb.ParseConnectionString(srv.URL())
	if err != nil {
		b.Fatal(err)
	}
	c, err := esdb.NewClient(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return srv, c
}

// cpuTime is the CPU time this process (client and server) used so far; per
// operation it is steadier than throughput on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchEvents(n int) []esdb.EventData {
	out := make([]esdb.EventData, n)
	for i := range out {
		out[i] = esdb.EventData{EventID: uuid.New(), EventType: "Seed", ContentType: esdb.ContentTypeJson,
			Data: []byte(fmt.Sprintf(`{"n":%d,"reservationId":"0f8fad5b-d9cb-469f-a165-70867728950e"}`, i))}
	}
	return out
}

func benchAppend(b *testing.B, writers, perAppend int) {
	srv, c := benchServer(b)
	ctx := context.Background()
	// connect before timing
	if _, err := c.AppendToStream(ctx, "warmup", esdb.AppendToStreamOptions{}, benchEvents(1)...); err != nil {
		b.Fatal(err)
	}
	data := []byte(`{"reservationId":"0f8fad5b-d9cb-469f-a165-70867728950e","slot":"2026-11-26T10:00"}`)
	var next atomic.Int64
	lat := make([][]time.Duration, writers)
	var wg sync.WaitGroup
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			stream := fmt.Sprintf("bench-%d-%s", w, uuid.NewString())
			evs := make([]esdb.EventData, perAppend)
			for next.Add(1) <= int64(b.N) {
				for i := range evs {
					evs[i] = esdb.EventData{EventType: "Placed", ContentType: esdb.ContentTypeJson, Data: data}
				}
				t0 := time.Now()
				if _, err := c.AppendToStream(ctx, stream, esdb.AppendToStreamOptions{}, evs...); err != nil {
					b.Error(err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}(w)
	}
	wg.Wait()
	el := time.Since(start)
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/append")
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	if len(all) > 0 {
		b.ReportMetric(float64(len(all))/el.Seconds(), "appends/s")
		b.ReportMetric(float64(len(all)*perAppend)/el.Seconds(), "events/s")
		b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	}
	st := srv.writer.stats()
	b.ReportMetric(float64(st.ops)/float64(max(st.commits, 1)), "ops/commit")
	b.ReportMetric(float64(st.syncNanos)/float64(max(st.commits, 1))/1e6, "ms/commit")
}

func BenchmarkLoadAppend1(b *testing.B)        { benchAppend(b, 1, 1) }
func BenchmarkLoadAppend64(b *testing.B)       { benchAppend(b, 64, 1) }
func BenchmarkLoadAppendBatch100(b *testing.B) { benchAppend(b, 4, 100) }

func BenchmarkLoadReadAll(b *testing.B) {
	_, c := benchServer(b)
	ctx := context.Background()
	evs := benchEvents(100)
	for i := 0; i < 500; i++ {
		for j := range evs {
			evs[j].EventID = uuid.New()
		}
		if _, err := c.AppendToStream(ctx, fmt.Sprintf("seed-%d", i%50), esdb.AppendToStreamOptions{}, evs...); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	n := 0
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{}, ^uint64(0))
		if err != nil {
			b.Fatal(err)
		}
		for {
			_, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		rs.Close()
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "events/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n), "cpu-ns/event")
}
