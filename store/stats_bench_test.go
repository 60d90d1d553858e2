package store

import "testing"

// BenchmarkStatsCount measures what counting costs the owner: count for
// each request and publish once per turn, for turns of 1 and of 256
// requests (MaxDrain's default), per request. Compare with a request's
// round trip through the owner (BenchmarkGet in bench/apibench, about a
// microsecond).
//
//	go test -run '^$' -bench StatsCount -count 5 ./store/
func BenchmarkStatsCount(b *testing.B) {
	for _, turn := range []int{1, 256} {
		b.Run(map[int]string{1: "turn=1", 256: "turn=256"}[turn], func(b *testing.B) {
			e := New[Command, Query, Result](NewKV(0), decodeCommand, 0)
			o := &owner[Command, Query, Result]{e: e}
			reqs := make([]*request[Command, Query, Result], turn)
			for i := range reqs {
				reqs[i] = &request[Command, Query, Result]{kind: kindQuery, query: Query{Op: QueryGet, Key: "k"}}
				if i%2 == 1 {
					reqs[i].kind, reqs[i].cmd = kindUpdate, Command{Op: OpSet, Key: "k"}
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i += turn {
				for _, r := range reqs {
					o.count(r)
				}
				e.lsn++
				e.live.publish(e.lsn)
			}
		})
	}
}
