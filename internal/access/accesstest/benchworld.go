package accesstest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sqlstore"
)

// Sizes of the benchmark world (the figures).
const (
	BenchUsers       = 100_000
	BenchGrants      = 1_000_000
	BenchDepth       = 10 // folder levels, top level included
	benchFaculties   = 10 // top-level folders; each folder above the last level has two children
	benchStaff       = 2_000
	benchGroups      = 10_000
	benchGroupsPer   = 4  // course groups per student
	benchLeafSess    = 20 // sessions per bottom-level folder
	benchInnerSess   = 2  // sessions per other folder
	benchStaffGrants = 3
)

// BenchWorld is a large SQLite site for benchmarks, built once per process
// (or kept across processes at $LECTERN_BENCH_DB), and samples from it.
type BenchWorld struct {
	DB        *sqlstore.DB
	Path      string
	Now       time.Time
	BuildTime time.Duration // zero when an existing file was reused
	Counts    map[string]int
	Admin     lectern.Principal
	Students  []string // user ids
	Staff     []string
	Sessions  []string
	Folders   []string
	// Granted pairs (user, session) where the user holds a direct grant on
	// the session (some of them expired).
	Granted [][2]string
}

var (
	benchOnce  sync.Once
	benchWorld *BenchWorld
	benchErr   error
	benchDir   string
)

// Bench returns the process's benchmark world, building it on first use.
// Building takes a minute or so; set LECTERN_BENCH_DB to a file path to
// keep the database and reuse it in later runs.
func Bench(b *testing.B) *BenchWorld {
	b.Helper()
	benchOnce.Do(func() { benchWorld, benchErr = openBenchWorld() })
	if benchErr != nil {
		b.Fatalf("benchmark world: %v", benchErr)
	}
	return benchWorld
}

// CleanupBench removes the process's temporary benchmark database; call it
// from TestMain after m.Run.
func CleanupBench() {
	if benchWorld != nil {
		benchWorld.DB.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
}

func openBenchWorld() (*BenchWorld, error) {
	ctx := context.Background()
	path := os.Getenv("LECTERN_BENCH_DB")
	reuse := false
	if path == "" {
		dir, err := os.MkdirTemp("", "lectern-bench-")
		if err != nil {
			return nil, err
		}
		benchDir = dir
		path = filepath.Join(dir, "bench.db")
	} else if _, err := os.Stat(path); err == nil {
		reuse = true
	}
	db, err := sqlstore.Open(ctx, "sqlite:"+path, "")
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	w := &BenchWorld{DB: db, Path: path, Now: Epoch, Counts: map[string]int{}}
	if !reuse {
		start := time.Now()
		if err := build(ctx, db); err != nil {
			db.Close()
			return nil, fmt.Errorf("build: %w", err)
		}
		w.BuildTime = time.Since(start)
	}
	if err := w.sample(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return w, nil
}

// inserter batches rows into multi-row INSERT statements.
type inserter struct {
	ctx   context.Context
	tx    *sqlstore.Tx
	head  string
	ncol  int
	batch int
	rows  int
	args  []any
	err   error
	total int
}

func newInserter(ctx context.Context, tx *sqlstore.Tx, table, cols string) *inserter {
	n := len(strings.Split(cols, ","))
	return &inserter{ctx: ctx, tx: tx, head: "INSERT INTO " + table + " (" + cols + ") VALUES ", ncol: n, batch: 30000 / n}
}

func (in *inserter) add(vals ...any) {
	if in.err != nil {
		return
	}
	in.args = append(in.args, vals...)
	in.rows++
	if in.rows == in.batch {
		in.flush()
	}
}

func (in *inserter) flush() {
	if in.err != nil || in.rows == 0 {
		return
	}
	row := "(" + strings.TrimSuffix(strings.Repeat("?,", in.ncol), ",") + ")"
	q := in.head + strings.TrimSuffix(strings.Repeat(row+",", in.rows), ",")
	if _, err := in.tx.Exec(in.ctx, q, in.args...); err != nil {
		in.err = fmt.Errorf("%s: %w", in.head[:40], err)
	}
	in.total += in.rows
	in.rows, in.args = 0, in.args[:0]
}

type benchFolder struct {
	id, owner string
	depth     int
	ancestors []string // nearest first, self excluded
}

// build generates the world in one transaction. Deterministic: the same
// seed gives the same shape (ids differ).
func build(ctx context.Context, db *sqlstore.DB) error {
	rng := rand.New(rand.NewPCG(42, 4242))
	now := Epoch.UnixMilli()
	return db.InTx(ctx, func(tx *sqlstore.Tx) error {
		// Users: the first benchStaff are staff, user 0 is an admin.
		users := make([]string, BenchUsers)
		in := newInserter(ctx, tx, "users", "id, email, name, kind, is_admin, created_at, updated_at")
		for i := range users {
			users[i] = sqlstore.NewID()
			in.add(users[i], fmt.Sprintf("u%d@example.edu", i), fmt.Sprintf("User %d", i), "local", i == 0, now, now)
		}
		in.flush()
		if in.err != nil {
			return in.err
		}
		staff := func() string { return users[1+rng.IntN(benchStaff-1)] }

		// Folders: benchFaculties trees, binary, BenchDepth levels.
		var folders []benchFolder
		byDepth := make([][]int, BenchDepth)
		fin := newInserter(ctx, tx, "folders", "id, parent_id, name, owner_id, requires_approval, created_at, updated_at")
		var grow func(parent *benchFolder, depth int)
		grow = func(parent *benchFolder, depth int) {
			f := benchFolder{id: sqlstore.NewID(), owner: staff(), depth: depth}
			var parentID any
			if parent != nil {
				parentID = parent.id
				f.ancestors = append([]string{parent.id}, parent.ancestors...)
				if rng.IntN(4) > 0 {
					f.owner = parent.owner
				}
			}
			fin.add(f.id, parentID, fmt.Sprintf("Folder %d", len(folders)), f.owner, depth == 3 && rng.IntN(5) == 0, now, now)
			folders = append(folders, f)
			byDepth[depth] = append(byDepth[depth], len(folders)-1)
			if depth+1 < BenchDepth {
				me := f
				grow(&me, depth+1)
				grow(&me, depth+1)
			}
		}
		for range benchFaculties {
			grow(nil, 0)
		}
		fin.flush()
		if fin.err != nil {
			return fin.err
		}
		ain := newInserter(ctx, tx, "folder_ancestors", "folder_id, ancestor_id, depth")
		for _, f := range folders {
			ain.add(f.id, f.id, 0)
			for d, a := range f.ancestors {
				ain.add(f.id, a, d+1)
			}
		}
		ain.flush()
		if ain.err != nil {
			return ain.err
		}

		// Sessions.
		var sessions []string
		sin := newInserter(ctx, tx, "sessions", "id, folder_id, owner_id, title, processing, publication, lifecycle, duration_seconds, created_at, updated_at")
		minute := int64(60_000)
		for fi, f := range folders {
			n := benchInnerSess
			if f.depth == BenchDepth-1 {
				n = benchLeafSess
			}
			for j := 0; j < n; j++ {
				id := sqlstore.NewID()
				pub, lc := "published", "active"
				switch r := rng.IntN(100); {
				case r < 12:
					pub = "draft"
				case r < 17:
					pub = "pending-approval"
				}
				switch r := rng.IntN(100); {
				case r < 3:
					lc = "recycled"
				case r < 5:
					lc = "archived"
				}
				created := now - int64(rng.IntN(2*365*24*60))*minute
				sin.add(id, f.id, f.owner, fmt.Sprintf("Lecture %d.%d", fi, j), "ready", pub, lc, 3000.0, created, created)
				sessions = append(sessions, id)
			}
		}
		sin.flush()
		if sin.err != nil {
			return sin.err
		}

		// Course groups, each on a folder of depth 6-9, and memberships.
		gin := newInserter(ctx, tx, "groups", "id, kind, name, external_key, created_at, updated_at")
		groups := make([]string, benchGroups)
		for i := range groups {
			groups[i] = sqlstore.NewID()
			gin.add(groups[i], "lti-context", fmt.Sprintf("Course %d", i), fmt.Sprintf("ctx-%d", i), now, now)
		}
		gin.flush()
		if gin.err != nil {
			return gin.err
		}
		expiry := func(pExpired, pFuture int) any {
			switch r := rng.IntN(100); {
			case r < pExpired:
				return now - int64(1+rng.IntN(30*24*3600))*1000
			case r < pExpired+pFuture:
				return now + int64(1+rng.IntN(30*24*3600))*1000
			}
			return nil
		}
		mem := newInserter(ctx, tx, "group_members", "group_id, user_id, expires_at, added_at")
		for _, u := range users[benchStaff:] {
			seen := map[int]bool{}
			for len(seen) < benchGroupsPer {
				g := rng.IntN(benchGroups)
				if !seen[g] {
					seen[g] = true
					mem.add(groups[g], u, expiry(5, 10), now)
				}
			}
		}
		mem.flush()
		if mem.err != nil {
			return mem.err
		}

		// Grants, exactly BenchGrants of them.
		grin := newInserter(ctx, tx, "grants", "id, principal_type, principal_id, resource_type, resource_id, role, expires_at, source, created_at, updated_at")
		grants := 0
		grant := func(pt, pid, rt, rid, role, source string, exp any) {
			grin.add(sqlstore.NewID(), pt, pid, rt, rid, role, exp, source, now, now)
			grants++
		}
		deep := func(lo, hi int) benchFolder {
			d := lo + rng.IntN(hi-lo+1)
			return folders[byDepth[d][rng.IntN(len(byDepth[d]))]]
		}
		for _, g := range groups {
			grant("group", g, "folder", deep(6, 9).id, "viewer", "lti", nil)
			grant("group", g, "session", sessions[rng.IntN(len(sessions))], "viewer", "lti", nil)
		}
		staffGrants := map[[2]string]bool{} // one manual grant per (user, folder)
		staffGrant := func(u string, f benchFolder, role string) {
			if k := [2]string{u, f.id}; !staffGrants[k] {
				staffGrants[k] = true
				grant("user", u, "folder", f.id, role, "manual", nil)
			}
		}
		for _, u := range users[1:benchStaff] {
			for range benchStaffGrants {
				staffGrant(u, deep(4, 8), "creator")
			}
		}
		for i := 0; i < 500; i++ {
			staffGrant(staff(), deep(2, 5), "publisher")
		}
		students := users[benchStaff:]
		for _, u := range students {
			grant("user", u, "folder", deep(7, 9).id, "viewer", "lti", expiry(5, 10))
		}
		// The rest: direct session grants (LMS links, shares), spread evenly
		// over the students, distinct per student.
		rest := BenchGrants - grants
		for i, u := range students {
			n := rest / len(students)
			if i < rest%len(students) {
				n++
			}
			seen := map[int]bool{}
			for len(seen) < n {
				k := rng.IntN(len(sessions))
				if !seen[k] {
					seen[k] = true
					grant("user", u, "session", sessions[k], "viewer", "share", expiry(10, 10))
				}
			}
		}
		grin.flush()
		return grin.err
	})
}

// sample reads ids to drive the benchmarks with.
func (w *BenchWorld) sample(ctx context.Context) error {
	db := w.DB
	for _, t := range []string{"users", "folders", "folder_ancestors", "sessions", "groups", "group_members", "grants"} {
		var n int
		if err := db.QueryRow(ctx, "SELECT count(*) FROM "+t).Scan(&n); err != nil {
			return err
		}
		w.Counts[t] = n
	}
	var maxDepth int
	if err := db.QueryRow(ctx, "SELECT max(depth) FROM folder_ancestors").Scan(&maxDepth); err != nil {
		return err
	}
	w.Counts["max_depth"] = maxDepth
	strs := func(q string, args ...any) ([]string, error) {
		rows, err := db.Query(ctx, q, args...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, rows.Err()
	}
	var err error
	admins, err := strs(`SELECT id FROM users WHERE is_admin`)
	if err != nil || len(admins) == 0 {
		return fmt.Errorf("no admin: %v", err)
	}
	w.Admin = lectern.Principal{UserID: admins[0], IsAdmin: true}
	if w.Staff, err = strs(`SELECT DISTINCT principal_id FROM grants WHERE role = 'creator' AND principal_type = 'user' ORDER BY principal_id LIMIT 1000`); err != nil {
		return err
	}
	if w.Students, err = strs(`SELECT DISTINCT principal_id FROM grants WHERE resource_type = 'session' AND principal_type = 'user' ORDER BY principal_id LIMIT 5000`); err != nil {
		return err
	}
	if w.Sessions, err = strs(`SELECT id FROM sessions ORDER BY id`); err != nil {
		return err
	}
	if w.Folders, err = strs(`SELECT id FROM folders ORDER BY id`); err != nil {
		return err
	}
	rows, err := db.Query(ctx, `SELECT principal_id, resource_id FROM grants
		WHERE principal_type = 'user' AND resource_type = 'session' ORDER BY id LIMIT 20000`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var u, s string
		if err := rows.Scan(&u, &s); err != nil {
			return err
		}
		w.Granted = append(w.Granted, [2]string{u, s})
	}
	return rows.Err()
}

// Percentiles sorts durations in place and returns the p50 and p99.
func Percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1))] }
	return at(0.50), at(0.99)
}

// ReportPercentiles adds p50 and p99, in microseconds, to b's output.
func ReportPercentiles(b *testing.B, ds []time.Duration) {
	p50, p99 := Percentiles(ds)
	b.ReportMetric(float64(p50.Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(p99.Nanoseconds())/1e3, "p99-µs")
}

// LogWorld prints the world's size and build time once per benchmark.
func (w *BenchWorld) LogWorld(b *testing.B) {
	b.Helper()
	b.Logf("bench world %s: %v; build %v", w.Path, w.Counts, w.BuildTime.Round(time.Millisecond))
}
