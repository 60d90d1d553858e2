package store

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// BenchmarkExpiryTurn times owner turns of one request each, as the owner
// runs them (tick, the request, the end-of-turn expiry check, untick), on
// 100k-key KVs whose keys have no deadline ("plain") or all have one an
// hour away ("ttl"): get reads a key, set sets one (with a TTL in "ttl").
// The four are interleaved, round after round, in alternating order, so
// that the drift of a shared machine falls on all alike; it reports the
// median ns/op of each and the median over the rounds of ttl/plain, with
// its interquartile range. Run:
//
//	go test -run '^$' -bench ExpiryTurn -benchtime 1x -count 6 ./store
func BenchmarkExpiryTurn(b *testing.B) {
	const n, rounds, per = 100_000, 31, 20_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%012d", i)
	}
	value := make([]byte, 100)
	build := func(at int64) *KV {
		kv := NewKV(0)
		for _, k := range keys {
			kv.Apply(Command{Op: OpSetAt, Key: k, Value: value, At: at})
		}
		return kv
	}
	hour := time.Now().Add(time.Hour).UnixNano()
	plain, ttl := build(0), build(hour)
	timed := func(kv *KV, op func(kv *KV, key string)) float64 {
		t0 := time.Now()
		for i := range per {
			kv.tick()
			op(kv, keys[i*7919%n])
			if kv.due() {
				b.Fatal("nothing is due")
			}
			_ = kv.nextDeadline()
			kv.untick()
		}
		return float64(time.Since(t0).Nanoseconds()) / per
	}
	get := func(kv *KV, key string) {
		if r := kv.Query(Query{Op: QueryGet, Key: key}); !r.Found {
			b.Fatal("missing")
		}
	}
	set := func(at int64) func(*KV, string) {
		return func(kv *KV, key string) {
			if at != 0 {
				at++ // a refresh pushes the deadline back, as a TTL set does
			}
			kv.Apply(Command{Op: OpSetAt, Key: key, Value: value, At: at})
		}
	}
	variants := []struct {
		name string
		kv   *KV
		op   func(*KV, string)
	}{
		{"get", plain, get}, {"get-ttl", ttl, get},
		{"set", plain, set(0)}, {"set-ttl", ttl, set(hour)},
	}
	for range b.N {
		ns := make([][]float64, len(variants))
		for r := range rounds {
			for j := range variants {
				v := j
				if r%2 == 1 {
					v = len(variants) - 1 - j
				}
				ns[v] = append(ns[v], timed(variants[v].kv, variants[v].op))
			}
		}
		for _, pair := range [][2]int{{0, 1}, {2, 3}} {
			ratios := make([]float64, rounds)
			for r := range rounds {
				ratios[r] = ns[pair[1]][r] / ns[pair[0]][r]
			}
			slices.Sort(ratios)
			name := variants[pair[1]].name
			b.ReportMetric(ratios[rounds/2], name+"/plain")
			b.ReportMetric(ratios[3*rounds/4]-ratios[rounds/4], name+"-iqr")
		}
		for v := range variants {
			s := slices.Sorted(slices.Values(ns[v]))
			b.ReportMetric(s[rounds/2], variants[v].name+"-ns/op")
		}
	}
}
