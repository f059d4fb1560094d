package sharing_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sharing"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// TestConcurrentOpensAreExact: 100 opens racing for a total limit of 10,
// each from its own browser and network, let exactly 10 through; 40 opens
// by one viewer racing for a per-viewer limit of 3 let exactly 3 through.
// On both engines.
func TestConcurrentOpensAreExact(t *testing.T) {
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		w := newWorld(t, db)
		off := &lectern.SpikeRule{Action: lectern.SpikeOff}

		total, token := w.link(sharing.LinkInput{MaxOpens: ptr(10), Spike: off})
		ok, refused := race(t, 100, func(i int) error {
			_, err := w.open(token, "", browser(fmt.Sprintf("10.%d.%d.1", i/250, i%250)))
			return err
		}, sharing.RefusedUsedUp)
		if ok != 10 || refused != 90 {
			t.Fatalf("total limit 10: %d opens succeeded and %d were refused, want 10 and 90", ok, refused)
		}
		got, err := db.ShareLinkByID(w.ctx(), total.ID)
		testkit.Must(t, err, "read link")
		st, err := db.ShareLinkStats(w.ctx(), total.ID)
		testkit.Must(t, err, "stats")
		if got.Opens != 10 || st.Opens != 10 || st.Viewers != 10 {
			t.Fatalf("counter %d, logged opens %d, viewers %d; want 10 each", got.Opens, st.Opens, st.Viewers)
		}

		_, token = w.link(sharing.LinkInput{MaxViewsPerViewer: ptr(3), Spike: off})
		one := browser("192.0.2.33")
		ok, refused = race(t, 40, func(int) error {
			_, err := w.open(token, "", one)
			return err
		}, sharing.RefusedViewer)
		if ok != 3 || refused != 37 {
			t.Fatalf("per-viewer limit 3: %d succeeded and %d were refused, want 3 and 37", ok, refused)
		}
		if n := w.issuer.issued.Load(); n != 13 {
			t.Fatalf("%d playback tokens issued, want 13", n)
		}
	})
}

// race runs n calls at once and counts successes and refusals for the
// wanted reason; any other error fails the test.
func race(t *testing.T, n int, call func(i int) error, want sharing.Refusal) (ok, refused int) {
	t.Helper()
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			err := call(i)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case sharing.ReasonOf(err) == want:
				refused++
			default:
				t.Errorf("open %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	return ok, refused
}
