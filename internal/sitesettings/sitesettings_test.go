package sitesettings_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/sitesettings"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

var fixedNow = func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }

func TestGetReturnsDefaultsWhenNothingIsStored(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		got, err := sitesettings.New(db, fixedNow).Get(context.Background())
		testkit.Must(t, err, "get")
		if got != sitesettings.Defaults() || got.SiteName != "Lectern" {
			t.Fatalf("got %+v, want defaults", got)
		}
	})
}

func TestUpdateStoresNormalizedValuesAndOverwrites(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		svc := sitesettings.New(db, fixedNow)
		testkit.Must(t, svc.Update(ctx, sitesettings.Settings{SiteName: "  Lecture Hall  ", SupportEmail: "help@uni.example"}, "admin-1"), "first update")
		testkit.Must(t, svc.Update(ctx, sitesettings.Settings{SiteName: "Recordings", SupportEmail: ""}, "admin-2"), "second update")
		got, err := svc.Get(ctx)
		testkit.Must(t, err, "get")
		want := sitesettings.Settings{SiteName: "Recordings", SupportEmail: ""}
		if got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		var by string
		var at int64
		testkit.Must(t, db.QueryRow(ctx, `SELECT updated_by, updated_at FROM settings WHERE key = ?`, "site_name").Scan(&by, &at), "read row")
		if by != "admin-2" || at != fixedNow().UnixMilli() {
			t.Fatalf("updated_by=%q updated_at=%d", by, at)
		}
	})
}

func TestUpdateRejectsInvalidSettingsAndStoresNothing(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		in    sitesettings.Settings
		field string
	}{
		{"empty site name", sitesettings.Settings{SiteName: "   "}, "Site name"},
		{"site name too long", sitesettings.Settings{SiteName: strings.Repeat("é", 101)}, "Site name"},
		{"control character in site name", sitesettings.Settings{SiteName: "a\x07b"}, "Site name"},
		{"support email without at sign", sitesettings.Settings{SiteName: "X", SupportEmail: "help"}, "Support email"},
		{"support email with display name", sitesettings.Settings{SiteName: "X", SupportEmail: "Help <help@uni.example>"}, "Support email"},
	}
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		svc := sitesettings.New(db, fixedNow)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				err := svc.Update(ctx, tc.in, "admin")
				if lectern.ErrorCodeOf(err) != lectern.EInvalid || !strings.Contains(lectern.ErrorMessage(err), tc.field) {
					t.Fatalf("err = %v, want invalid naming %q", err, tc.field)
				}
			})
		}
		got, err := svc.Get(ctx)
		testkit.Must(t, err, "get")
		if got != sitesettings.Defaults() {
			t.Fatalf("stored %+v after invalid updates", got)
		}
	})
}

func TestValidateAcceptsBoundaryValues(t *testing.T) {
	t.Parallel()
	for name, s := range map[string]sitesettings.Settings{
		"one character":             {SiteName: "L"},
		"exactly 100 characters":    {SiteName: strings.Repeat("ü", 100)},
		"plain support address":     {SiteName: "L", SupportEmail: "it-help@cam.example.ac.uk"},
		"no support address at all": {SiteName: "L"},
	} {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
