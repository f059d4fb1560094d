package sqlstore

import (
	"context"
	"database/sql"
	"runtime"
	"sync"
	"weak"
)

// Hot queries (the access decision, the access-filtered lists) are
// prepared once per database and reused: on SQLite, parsing and planning
// the decision's statement costs ten times more than running it.
//
// The cache hangs off the *DB through a weak pointer, so that it needs no
// field in DB and goes away (its statements closed) when the DB does.

// maxCachedStatements bounds each cache; queries beyond it run unprepared.
const maxCachedStatements = 128

type stmtCache struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

var (
	cachesMu sync.Mutex
	caches   = map[weak.Pointer[DB]]*stmtCache{}
)

func (db *DB) stmtCache() *stmtCache {
	key := weak.Make(db)
	cachesMu.Lock()
	defer cachesMu.Unlock()
	c := caches[key]
	if c == nil {
		c = &stmtCache{m: map[string]*sql.Stmt{}}
		caches[key] = c
		runtime.AddCleanup(db, dropStmtCache, key)
	}
	return c
}

func dropStmtCache(key weak.Pointer[DB]) {
	cachesMu.Lock()
	c := caches[key]
	delete(caches, key)
	cachesMu.Unlock()
	if c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		for _, st := range c.m {
			st.Close()
		}
	}
}

// prepared returns the cached statement for q (with `?` placeholders),
// preparing it on first use; nil when the cache is full.
func (db *DB) prepared(ctx context.Context, q string) (*sql.Stmt, error) {
	c := db.stmtCache()
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st, nil
	}
	if len(c.m) >= maxCachedStatements {
		return nil, nil
	}
	st, err := db.DB.PrepareContext(ctx, db.rebind(q))
	if err != nil {
		return nil, err
	}
	c.m[q] = st
	return st, nil
}

// queryCached is Query through a prepared statement. Use it for
// statements whose text comes from a small fixed set.
func (db *DB) queryCached(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := db.prepared(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return db.Query(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}
