package playback_test

import (
	"context"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/playback"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

// site is an owner's session of a given length and a second user who may
// watch, on a clock the test moves by setting Now.
type site struct {
	db            *sqlstore.DB
	acc           *access.Service
	owner, viewer lectern.User
	sess          lectern.Session
	Now           time.Time
}

func newSite(t *testing.T, db *sqlstore.DB, duration time.Duration) *site {
	t.Helper()
	ctx := context.Background()
	s := &site{db: db, Now: time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)}
	ids := identity.New(db, nil, identity.Options{Params: identity.TestParams, Now: s.clock})
	var err error
	s.owner, err = ids.CreateUser(ctx, identity.NewUser{Email: "owner@uni.example", Name: "Owner", Password: "long-enough-password-1"})
	testkit.Must(t, err, "create owner")
	s.viewer, err = ids.CreateUser(ctx, identity.NewUser{Email: "viewer@uni.example", Name: "Viewer", Password: "long-enough-password-2"})
	testkit.Must(t, err, "create viewer")
	s.acc = access.New(db, nil, access.Options{Now: s.clock})
	cat := catalog.New(db, s.clock, catalog.WithAccess(s.acc))
	s.sess, err = cat.CreateSession(ctx, lectern.PrincipalOf(s.owner), catalog.NewSession{Title: "Lecture 1"}, "")
	testkit.Must(t, err, "create session")
	testkit.Must(t, cat.SetDuration(ctx, s.sess.ID, duration), "set duration")
	return s
}

func (s *site) clock() time.Time { return s.Now }

// service is a playback service on the site's clock.
func (s *site) service(t *testing.T, opts playback.Options) *playback.Service {
	t.Helper()
	opts.Now = s.clock
	svc, err := playback.New(context.Background(), s.db, nil, s.acc, opts)
	testkit.Must(t, err, "playback.New")
	return svc
}
