package access_test

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/access/accesstest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	accesstest.CleanupBench()
	os.Exit(code)
}

// BenchmarkDecide measures one access decision on the benchmark world
// (100k users, 1M grants, folders 10 deep) on SQLite, and reports p50 and
// p99 latency. The world is built only when a benchmark runs.
func BenchmarkDecide(b *testing.B) {
	w := accesstest.Bench(b)
	w.LogWorld(b)
	svc := access.New(w.DB, nil, access.Options{Now: func() time.Time { return w.Now }})
	ctx := context.Background()
	type q struct {
		p lectern.Principal
		a lectern.Action
		r lectern.Resource
	}
	rng := rand.New(rand.NewPCG(7, 7))
	cases := []struct {
		name string
		next func() q
	}{
		{"granted-session", func() q { // a student on a session they hold a grant on (allow, or deny:expired)
			g := w.Granted[rng.IntN(len(w.Granted))]
			return q{lectern.Principal{UserID: g[0]}, lectern.ActionView, lectern.SessionResource(g[1])}
		}},
		{"random-session", func() q { // a student on any session: mostly deny after checking every path
			return q{lectern.Principal{UserID: w.Students[rng.IntN(len(w.Students))]}, lectern.ActionView,
				lectern.SessionResource(w.Sessions[rng.IntN(len(w.Sessions))])}
		}},
		{"staff-edit", func() q { // a lecturer editing any session
			return q{lectern.Principal{UserID: w.Staff[rng.IntN(len(w.Staff))]}, lectern.ActionEdit,
				lectern.SessionResource(w.Sessions[rng.IntN(len(w.Sessions))])}
		}},
		{"random-folder", func() q {
			return q{lectern.Principal{UserID: w.Students[rng.IntN(len(w.Students))]}, lectern.ActionView,
				lectern.FolderResource(w.Folders[rng.IntN(len(w.Folders))])}
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			qs := make([]q, 4096)
			for i := range qs {
				qs[i] = c.next()
			}
			lat := make([]time.Duration, 0, b.N)
			allowed := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				x := qs[i%len(qs)]
				start := time.Now()
				d, err := svc.Decide(ctx, x.p, x.a, x.r)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				if d.Allowed {
					allowed++
				}
			}
			b.StopTimer()
			accesstest.ReportPercentiles(b, lat)
			b.ReportMetric(float64(allowed)/float64(b.N), "allowed/op")
		})
	}
}
