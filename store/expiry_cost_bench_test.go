package store

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkExpiryTurn times one owner turn of one request, as the owner
// runs it (tick, the request, the end-of-turn expiry check, untick), on a
// 100k-key KV whose keys have no deadline ("plain") or all have one an
// hour away ("ttl"): get reads a key, set sets one (with a TTL in "ttl").
// Compare plain and ttl of one op for what expiry costs the owner. Run:
//
//	go test -run '^$' -bench ExpiryTurn -count 6 ./store
func BenchmarkExpiryTurn(b *testing.B) {
	const n = 100_000
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%012d", i)
	}
	value := make([]byte, 100)
	build := func(ttl bool) (*KV, int64) {
		kv := NewKV(0)
		var at int64
		if ttl {
			at = time.Now().Add(time.Hour).UnixNano()
		}
		for _, k := range keys {
			kv.Apply(Command{Op: OpSetAt, Key: k, Value: value, At: at})
		}
		return kv, at
	}
	turn := func(kv *KV, do func()) {
		kv.tick()
		do()
		if kv.due() {
			panic("nothing is due")
		}
		_ = kv.nextDeadline()
		kv.untick()
	}
	for _, ttl := range []bool{false, true} {
		name := map[bool]string{false: "plain", true: "ttl"}[ttl]
		kv, at := build(ttl)
		b.Run("get-"+name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				turn(kv, func() {
					if r := kv.Query(Query{Op: QueryGet, Key: keys[i*7919%n]}); !r.Found {
						b.Fatal("missing")
					}
				})
			}
		})
		b.Run("set-"+name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				turn(kv, func() {
					kv.Apply(Command{Op: OpSetAt, Key: keys[i*7919%n], Value: value, At: at})
				})
			}
		})
	}
}
