package identity_test

import (
	"context"
	"strings"
	"testing"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/sqlstore"
	"github.com/lectern-edu/lectern/testkit"
)

func TestCreateUserNormalisesEmailAndHashesPassword(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u, err := f.svc.CreateUser(ctx, identity.NewUser{Email: "  Ann.Lee@Example.ORG ", Name: " Ann Lee ", Password: password, IsAdmin: true})
		testkit.Must(t, err, "create")
		if u.Email != "ann.lee@example.org" || u.Name != "Ann Lee" || u.Kind != lectern.UserLocal || !u.IsAdmin {
			t.Fatalf("created %+v", u)
		}
		if !strings.HasPrefix(u.PasswordHash, "$argon2id$v=19$m=1024,t=1,p=1$") {
			t.Fatalf("hash %q is not argon2id with the test parameters", u.PasswordHash)
		}
		if !u.CreatedAt.Equal(f.clock.Now()) {
			t.Fatalf("created at %v, want %v", u.CreatedAt, f.clock.Now())
		}
		for name, lookup := range map[string]func() (lectern.User, error){
			"by id":    func() (lectern.User, error) { return f.svc.UserByID(ctx, u.ID) },
			"by email": func() (lectern.User, error) { return f.svc.UserByEmail(ctx, "ANN.LEE@example.org") },
		} {
			got, err := lookup()
			testkit.Must(t, err, "%s", name)
			if got != u {
				t.Fatalf("%s: got %+v, want %+v", name, got, u)
			}
		}
		n, err := f.svc.CountUsers(ctx)
		testkit.Must(t, err, "count")
		if n != 1 {
			t.Fatalf("count = %d", n)
		}
	})
}

func TestCreateUserRejectsBadInput(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		f.user(t, "taken@example.org")
		cases := []struct {
			name  string
			nu    identity.NewUser
			code  lectern.ErrorCode
			field string
		}{
			{"duplicate email in another case", identity.NewUser{Email: "Taken@Example.org", Password: password}, lectern.EConflict, "email"},
			{"email without at", identity.NewUser{Email: "not-an-email", Password: password}, lectern.EInvalid, "email"},
			{"email with display name", identity.NewUser{Email: "Ann <ann@example.org>", Password: password}, lectern.EInvalid, "email"},
			{"email with space", identity.NewUser{Email: "ann lee@example.org", Password: password}, lectern.EInvalid, "email"},
			{"empty email for local", identity.NewUser{Email: "", Password: password}, lectern.EInvalid, "email"},
			{"too long email", identity.NewUser{Email: strings.Repeat("a", 250) + "@example.org", Password: password}, lectern.EInvalid, "email"},
			{"short password", identity.NewUser{Email: "a@example.org", Password: "123456789"}, lectern.EInvalid, "password"},
			{"empty password for local", identity.NewUser{Email: "a@example.org"}, lectern.EInvalid, "password"},
			{"too long password", identity.NewUser{Email: "a@example.org", Password: strings.Repeat("p", 1025)}, lectern.EInvalid, "password"},
			{"name with newline", identity.NewUser{Email: "a@example.org", Password: password, Name: "Ann\nLee"}, lectern.EInvalid, "name"},
			{"unknown kind", identity.NewUser{Email: "a@example.org", Password: password, Kind: "robot"}, lectern.EInvalid, "kind"},
		}
		for _, c := range cases {
			_, err := f.svc.CreateUser(ctx, c.nu)
			e := wantCode(t, err, c.code)
			if !strings.Contains(strings.ToLower(e.Message), c.field) {
				t.Errorf("%s: message %q does not name %s", c.name, e.Message, c.field)
			}
		}
		if n, _ := f.svc.CountUsers(ctx); n != 1 {
			t.Fatalf("%d users after rejected creations, want 1", n)
		}
	})
}

func TestCreateUserAcceptsLimits(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		cases := []identity.NewUser{
			{Email: "ten@example.org", Password: "0123456789"},
			{Email: "long@example.org", Password: strings.Repeat("é", 1024)},
			{Email: "guest@example.org", Kind: lectern.UserGuest},        // sets a password on first visit
			{Name: "LTI learner", Kind: lectern.UserLTI},                 // no email from the LMS
			{Name: "Another LTI learner", Kind: lectern.UserLTI},         // several may lack one
			{Email: "sso@example.org", Kind: lectern.UserSSO, Name: "S"}, // password managed elsewhere
		}
		for _, nu := range cases {
			if _, err := f.svc.CreateUser(ctx, nu); err != nil {
				t.Errorf("create %+v: %v", nu, err)
			}
		}
		if _, err := f.svc.UserByEmail(ctx, ""); lectern.ErrorCodeOf(err) != lectern.ENotFound {
			t.Fatalf("empty email must match no account, got %v", err)
		}
	})
}

func TestListUsersPagesOldestFirst(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		var want []string
		for _, e := range []string{"c@example.org", "a@example.org", "b@example.org"} {
			want = append(want, f.user(t, e).ID)
			f.clock.Advance(1)
		}
		page1, err := f.svc.ListUsers(ctx, 2, 0)
		testkit.Must(t, err, "page 1")
		page2, err := f.svc.ListUsers(ctx, 2, 2)
		testkit.Must(t, err, "page 2")
		var got []string
		for _, u := range append(page1, page2...) {
			got = append(got, u.ID)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}

func TestSetAdminKeepsAtLeastOneAdmin(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		a, b := f.user(t, "a@example.org"), f.user(t, "b@example.org")
		testkit.Must(t, f.svc.SetAdmin(ctx, a.ID, true), "promote a")
		wantCode(t, f.svc.SetAdmin(ctx, a.ID, false), lectern.EConflict)
		testkit.Must(t, f.svc.SetAdmin(ctx, b.ID, true), "promote b")
		testkit.Must(t, f.svc.SetAdmin(ctx, a.ID, false), "demote a")
		testkit.Must(t, f.svc.SetAdmin(ctx, a.ID, false), "demote a again")
		if u, _ := f.svc.UserByID(ctx, a.ID); u.IsAdmin {
			t.Fatal("a is still admin")
		}
		if u, _ := f.svc.UserByID(ctx, b.ID); !u.IsAdmin {
			t.Fatal("b is not admin")
		}
		wantCode(t, f.svc.SetAdmin(ctx, "no-such-user", true), lectern.ENotFound)
		wantCode(t, f.svc.SetAdmin(ctx, "no-such-user", false), lectern.ENotFound)
	})
}

func TestSetPasswordChangesPasswordAndEndsSessions(t *testing.T) {
	t.Parallel()
	testkit.EachDB(t, func(t *testing.T, db *sqlstore.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		u := f.user(t, "a@example.org")
		token, _, err := f.svc.StartSession(ctx, u.ID, "192.0.2.1", "test")
		testkit.Must(t, err, "start session")

		wantMessageNames(t, f.svc.SetPassword(ctx, u.ID, "short"), "password")
		wantCode(t, f.svc.SetPassword(ctx, "no-such-user", "a new long password"), lectern.ENotFound)
		testkit.Must(t, f.svc.SetPassword(ctx, u.ID, "a new long password"), "set password")

		if _, _, err := f.svc.SessionUser(ctx, token); lectern.ErrorCodeOf(err) != lectern.EUnauthorized {
			t.Fatalf("session survived a password change: %v", err)
		}
		wantCode(t, err2(f.svc.Authenticate(ctx, u.Email, password, "")), lectern.EUnauthorized)
		if _, err := f.svc.Authenticate(ctx, u.Email, "a new long password", ""); err != nil {
			t.Fatalf("new password: %v", err)
		}
	})
}

// err2 keeps the error of a two-value call.
func err2[T any](_ T, err error) error { return err }
