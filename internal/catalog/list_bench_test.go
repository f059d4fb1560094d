package catalog_test

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access/accesstest"
	"github.com/lectern-edu/lectern/internal/catalog"
)

func TestMain(m *testing.M) {
	code := m.Run()
	accesstest.CleanupBench()
	os.Exit(code)
}

// BenchmarkListVisibleSessions measures "the sessions this user can see"
// (first page of 50, newest first, filtered in SQL by the access rules) on
// the benchmark world (100k users, 1M grants, folders 10 deep) on SQLite,
// and reports p50 and p99 latency.
func BenchmarkListVisibleSessions(b *testing.B) {
	w := accesstest.Bench(b)
	w.LogWorld(b)
	cat := catalog.New(w.DB, func() time.Time { return w.Now })
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(9, 9))
	cases := []struct {
		name string
		who  func() lectern.Principal
	}{
		{"student", func() lectern.Principal { return lectern.Principal{UserID: w.Students[rng.IntN(len(w.Students))]} }},
		{"lecturer", func() lectern.Principal { return lectern.Principal{UserID: w.Staff[rng.IntN(len(w.Staff))]} }},
		{"admin", func() lectern.Principal { return w.Admin }},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			who := make([]lectern.Principal, 1024)
			for i := range who {
				who[i] = c.who()
			}
			lat := make([]time.Duration, 0, b.N)
			rowsSeen := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				start := time.Now()
				page, err := cat.ListVisibleSessions(ctx, who[i%len(who)], 50, "")
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				rowsSeen += len(page.Items)
			}
			b.StopTimer()
			accesstest.ReportPercentiles(b, lat)
			b.ReportMetric(float64(rowsSeen)/float64(b.N), "rows/op")
		})
	}
}

// BenchmarkListFolderSessions measures one folder's listing for a student
// (the course page), filtered in SQL.
func BenchmarkListFolderSessions(b *testing.B) {
	w := accesstest.Bench(b)
	cat := catalog.New(w.DB, func() time.Time { return w.Now })
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(11, 11))
	type q struct {
		p      lectern.Principal
		folder string
	}
	qs := make([]q, 1024)
	for i := range qs {
		qs[i] = q{lectern.Principal{UserID: w.Students[rng.IntN(len(w.Students))]}, w.Folders[rng.IntN(len(w.Folders))]}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		x := qs[i%len(qs)]
		start := time.Now()
		_, err := cat.ListSessions(ctx, x.p, x.folder, 50, "")
		lat = append(lat, time.Since(start))
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	accesstest.ReportPercentiles(b, lat)
}
