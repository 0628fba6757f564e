package eventstore

import (
	"encoding/binary"
	"path/filepath"
	"testing"

	"github.com/cockroachdb/pebble/v2"
	bolt "go.etcd.io/bbolt"
)

// These benchmarks chose the storage engine: one durable commit of a batch
// of 8 small events (the shape of a group commit under moderate load), with
// an fsync per commit, on Pebble and on bbolt.
//
//	go test -run '^$' -bench 'Engine' -benchtime 2000x ./eventstore/

const benchBatch = 8

var benchValue = make([]byte, 200)

func BenchmarkEnginePebbleBatch8Sync(b *testing.B) {
	db, err := pebble.Open(b.TempDir(), &pebble.Options{Logger: pebbleLogger{quietLog()}})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var pos uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		batch := db.NewBatch()
		for j := 0; j < benchBatch; j++ {
			pos++
			batch.Set(allKey(pos), benchValue, nil)
		}
		if err := batch.Commit(pebble.Sync); err != nil {
			b.Fatal(err)
		}
		batch.Close()
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkEngineBboltBatch8Sync(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "bench.db"), 0o600, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	name := []byte("all")
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(name); return err }); err != nil {
		b.Fatal(err)
	}
	var pos uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		err := db.Update(func(tx *bolt.Tx) error {
			bk := tx.Bucket(name)
			for j := 0; j < benchBatch; j++ {
				pos++
				var k [8]byte
				binary.BigEndian.PutUint64(k[:], pos)
				if err := bk.Put(k[:], benchValue); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*benchBatch)/b.Elapsed().Seconds(), "events/s")
}
