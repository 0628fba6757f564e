package bolt_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"

	"github.com/vetclinic/clinic/bolt"
	"github.com/vetclinic/clinic/projections"
)

// The engine choice: bbolt against Pebble on the read store's two hot
// paths, a catch-up commit (1,000 documents of about 600 bytes with two
// index entries each, plus the checkpoint, durably) and a read by id.
//
//	go test -run '^$' -bench . -benchtime 20x ./bolt       (commits)
//	go test -run '^$' -bench Get -benchtime 200000x ./bolt (reads)

var body = []byte(`{"id":"x","status":"booked","slot":"2026-12-01T01:00:00Z","day":"2026-12-01","doctorId":"dr-kim",` +
	`"customer":{"name":"Jackson","phone":"010-1234-5678"},"pet":{"name":"Coco","species":"dog"},` +
	`"medicalRecord":{"id":"6f1c2a52-9a3e-5b7e-8e64-3d7c1b9f2a10","status":"open"},"bill":null,` +
	`"timeline":[{"status":"booked","at":"2026-11-30T23:00:00Z","slot":"2026-12-01T01:00:00Z","reason":"vaccination"}],` +
	`"position":123456,"updatedAt":"2026-11-30T23:00:00Z","padding":"` + strings.Repeat("x", 100) + `"}`)

const batch = 1000

func docs(n, round int) []projections.Write {
	ws := make([]projections.Write, n)
	for i := range ws {
		p := uint64(round*n + i + 1)
		ws[i] = projections.Write{Coll: "reservations", Doc: projections.Doc{ID: fmt.Sprintf("%08d-0000-4000-8000-000000000000", round*n+i),
			Position: projections.Position{Commit: p, Prepare: p}, Body: body,
			Keys: map[string]string{"phone": fmt.Sprintf("010%08d", i), "doctorDay": "dr-kim|2026-12-01"}}}
	}
	return ws
}

func BenchmarkCommitBolt(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "read.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ws := docs(batch, i)
		cp := &projections.Checkpoint{Position: ws[len(ws)-1].Doc.Position}
		if err := s.Commit(context.Background(), "lookup~1", ws, cp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkCommitPebble does what bolt.Store.Commit does (guard read,
// document, two index entries, checkpoint) in one synced Pebble batch.
func BenchmarkCommitPebble(b *testing.B) {
	db, err := pebble.Open(filepath.Join(b.TempDir(), "pebble"), &pebble.Options{Logger: quiet{}})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wb := db.NewIndexedBatch()
		for _, w := range docs(batch, i) {
			key := []byte("d/lookup~1/reservations/" + w.Doc.ID)
			if v, closer, err := wb.Get(key); err == nil {
				_ = v
				closer.Close()
			}
			wb.Set(key, append([]byte(w.Doc.Position.Key()), w.Doc.Body...), nil)
			for k, v := range w.Doc.Keys {
				wb.Set([]byte("i/lookup~1/reservations/"+k+"/"+v+"\x00"+w.Doc.ID), nil, nil)
			}
		}
		wb.Set([]byte("c/lookup~1"), []byte("checkpoint"), nil)
		if err := wb.Commit(pebble.Sync); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "docs/s")
}

func BenchmarkGetBolt(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "read.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for r := 0; r < 20; r++ {
		if err := s.Commit(context.Background(), "lookup~1", docs(batch, r), nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			if _, ok, err := s.Get(context.Background(), "lookup~1", "reservations", fmt.Sprintf("%08d-0000-4000-8000-000000000000", i*7919%20000)); err != nil || !ok {
				b.Fatal("missing", err)
			}
		}
	})
}

func BenchmarkGetPebble(b *testing.B) {
	db, err := pebble.Open(filepath.Join(b.TempDir(), "pebble"), &pebble.Options{Logger: quiet{}})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for r := 0; r < 20; r++ {
		wb := db.NewBatch()
		for _, w := range docs(batch, r) {
			wb.Set([]byte("d/lookup~1/reservations/"+w.Doc.ID), append([]byte(w.Doc.Position.Key()), w.Doc.Body...), nil)
		}
		if err := wb.Commit(pebble.Sync); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			v, closer, err := db.Get([]byte("d/lookup~1/reservations/" + fmt.Sprintf("%08d-0000-4000-8000-000000000000", i*7919%20000)))
			if err != nil {
				b.Fatal(err)
			}
			_ = append([]byte(nil), v...)
			closer.Close()
		}
	})
}

// quiet silences Pebble's informational log lines in benchmark output.
type quiet struct{}

func (quiet) Infof(string, ...any)              {}
func (quiet) Errorf(string, ...any)             {}
func (quiet) Fatalf(format string, args ...any) { panic(fmt.Sprintf(format, args...)) }

// BenchmarkCommitBoltRandomIDs commits batches of documents with random
// (UUID) ids into a growing file, as a rebuild of the lookup does; each op
// is one batch of 1,000.
func BenchmarkCommitBoltRandomIDs(b *testing.B) {
	for _, size := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) { commitRandom(b, size) })
	}
}

func commitRandom(b *testing.B, size int) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "read.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	var pos uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		ws := docs(size, i)
		for j := range ws {
			pos++
			ws[j].Doc.ID = uuid.NewString()
			ws[j].Doc.Position = projections.Position{Commit: pos, Prepare: pos}
			ws[j].Doc.Keys["phone"] = uuid.NewString()[:11]
		}
		cp := &projections.Checkpoint{Position: ws[len(ws)-1].Doc.Position}
		if err := s.Commit(context.Background(), "lookup~1", ws, cp); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*size)/b.Elapsed().Seconds(), "docs/s")
}

// BenchmarkCommitPebbleRandomIDs is BenchmarkCommitBoltRandomIDs on Pebble.
func BenchmarkCommitPebbleRandomIDs(b *testing.B) {
	db, err := pebble.Open(filepath.Join(b.TempDir(), "pebble"), &pebble.Options{Logger: quiet{}})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var pos uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		wb := db.NewIndexedBatch()
		for _, w := range docs(batch, i) {
			pos++
			w.Doc.ID = uuid.NewString()
			key := []byte("d/lookup~1/reservations/" + w.Doc.ID)
			if v, closer, err := wb.Get(key); err == nil {
				_ = v
				closer.Close()
			}
			wb.Set(key, append([]byte(projections.Position{Commit: pos}.Key()), w.Doc.Body...), nil)
			wb.Set([]byte("i/lookup~1/reservations/phone/"+uuid.NewString()[:11]+"\x00"+w.Doc.ID), nil, nil)
			wb.Set([]byte("i/lookup~1/reservations/doctorDay/dr-kim|2026-12-01\x00"+w.Doc.ID), nil, nil)
		}
		wb.Set([]byte("c/lookup~1"), []byte("checkpoint"), nil)
		if err := wb.Commit(pebble.Sync); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "docs/s")
}
