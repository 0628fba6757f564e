package conformance

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/eventstore/esdbtest"
)

// The benchmarks drive the embedded server in this process through the
// official client over loopback (or the server named by ESDB_URL), with one
// client shared by all writers, as an application would. See
// docs/eventstore-bench.md for the commands and the numbers.

// benchEvent is a typical small domain event.
func benchEvent(i int) esdb.EventData {
	return esdb.EventData{
		EventID:     uuid.New(),
		EventType:   "BenchEvent",
		ContentType: esdb.ContentTypeJson,
		Data:        fmt.Appendf(nil, `{"visit":"%08d","patient":"p-00042","kind":"checkup","fee":35000,"note":"routine"}`, i),
		Metadata:    []byte(`{"user":"bench"}`),
	}
}

// runWriters has writers goroutines share ops appends of batch events each,
// every writer on its own stream, and reports events/s and the p50/p99
// latency of one append in milliseconds.
func runWriters(b *testing.B, c *esdb.Client, writers, batch, ops int) {
	ctx := context.Background()
	streams := make([]string, writers)
	for i := range streams {
		streams[i] = newID("bench")
	}
	lat := make([]time.Duration, ops)
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	b.ResetTimer()
	start, cpu := time.Now(), cpuTime()
	for w := range writers {
		wg.Go(func() {
			evs := make([]esdb.EventData, batch)
			for {
				i := int(next.Add(1) - 1)
				if i >= ops {
					return
				}
				for j := range evs {
					evs[j] = benchEvent(i*batch + j)
				}
				t0 := time.Now()
				_, err := c.AppendToStream(ctx, streams[w], esdb.AppendToStreamOptions{}, evs...)
				lat[i] = time.Since(t0)
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu
	b.StopTimer()
	if firstErr != nil {
		b.Fatalf("append: %v", firstErr)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(ops*batch)/elapsed.Seconds(), "events/s")
	b.ReportMetric(us(cpu)/float64(ops*batch), "cpu-µs/event")
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// BenchmarkAppend: durable single-event appends with 1, 16 and 64 concurrent
// writers. Target: >= 12,000 events/s and p99 <= 15 ms with 64 writers.
func BenchmarkAppend(b *testing.B) {
	c := esdbtest.Connect(b, esdbtest.URL(b))
	if _, err := c.GetServerVersion(); err != nil {
		b.Fatal(err)
	}
	for _, writers := range []int{1, 16, 64} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			runWriters(b, c, writers, 1, b.N)
		})
	}
}

// BenchmarkAppendBatch100: appends of 100 events each. Target: >= 100,000
// events/s (with 8 writers).
func BenchmarkAppendBatch100(b *testing.B) {
	c := esdbtest.Connect(b, esdbtest.URL(b))
	if _, err := c.GetServerVersion(); err != nil {
		b.Fatal(err)
	}
	for _, writers := range []int{1, 8} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			runWriters(b, c, writers, 100, b.N)
		})
	}
}

// catchUpEvents is how many events BenchmarkCatchUp stores before reading.
const catchUpEvents = 200_000

// BenchmarkCatchUp reads $all from the start over 200,000 stored events,
// once with ReadAll and once with a catch-up subscription. Target: >=
// 200,000 events/s.
func BenchmarkCatchUp(b *testing.B) {
	ctx := context.Background()
	c := esdbtest.Connect(b, esdbtest.URL(b))
	fill := time.Now()
	b.StopTimer()
	runWriters(b, c, 4, 1000, catchUpEvents/1000)
	b.Logf("stored %d events in %v", catchUpEvents, time.Since(fill).Round(time.Millisecond))
	last, err := collect(c.ReadAll(ctx, esdb.ReadAllOptions{Direction: esdb.Backwards, From: esdb.End{}}, 1))
	if err != nil || len(last) != 1 {
		b.Fatalf("read the end of $all: %d events, %v", len(last), err)
	}
	lastID := last[0].EventID

	b.Run("ReadAll", func(b *testing.B) {
		total, cpu := 0, cpuTime()
		for b.Loop() {
			rs, err := c.ReadAll(ctx, esdb.ReadAllOptions{From: esdb.Start{}}, 1<<62)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
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
			if n < catchUpEvents {
				b.Fatalf("read %d events, stored %d", n, catchUpEvents)
			}
			total += n
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(us(cpuTime()-cpu)/float64(total), "cpu-µs/event")
	})
	b.Run("SubscribeToAll", func(b *testing.B) {
		total, cpu := 0, cpuTime()
		for b.Loop() {
			sub, err := c.SubscribeToAll(ctx, esdb.SubscribeToAllOptions{From: esdb.Start{}})
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for {
				m := sub.Recv()
				if m.SubscriptionDropped != nil {
					b.Fatalf("dropped after %d events: %v", n, m.SubscriptionDropped.Error)
				}
				if m.EventAppeared == nil {
					continue
				}
				n++
				if m.EventAppeared.OriginalEvent().EventID == lastID {
					break
				}
			}
			sub.Close()
			total += n
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
		b.ReportMetric(us(cpuTime()-cpu)/float64(total), "cpu-µs/event")
	})
}
