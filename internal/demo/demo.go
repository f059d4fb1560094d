// Package demo seeds a fresh embedded site with people, a course and a
// sample lecture, so that `make run` shows a working Lectern on first
// start.
package demo

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"

	"github.com/lectern-edu/lectern"
	"github.com/lectern-edu/lectern/internal/access"
	"github.com/lectern-edu/lectern/internal/catalog"
	"github.com/lectern-edu/lectern/internal/identity"
	"github.com/lectern-edu/lectern/internal/upload"
)

// Accounts are the demo people, by role.
var Accounts = []struct {
	Role, Email, Name string
	Admin             bool
}{
	{"admin", "admin@demo.lectern.test", "Ada Admin", true},
	{"lecturer", "lecturer@demo.lectern.test", "Dr Lee Lecturer", false},
	{"student", "student@demo.lectern.test", "Sam Student", false},
}

// CourseName is the demo course folder.
const CourseName = "DEMO101 Introduction to Lecture Capture"

// Services are what seeding uses. Uploads may be nil: the site then has
// no sample lecture.
type Services struct {
	Identity *identity.Service
	Catalog  *catalog.Service
	Access   *access.Service
	Uploads  *upload.Service
	Logger   *slog.Logger
	// TempDir is where the sample lecture is made (and removed after);
	// empty: the system's temporary directory.
	TempDir string
}

// Result is what Seed created; Passwords is keyed by role.
type Result struct {
	Seeded    bool
	Passwords map[string]string
	Course    lectern.Folder
	// Sample is the sample lecture's session, queued for processing; its
	// zero value when it could not be made (no ffmpeg).
	Sample lectern.Session
}

// Seed creates the demo accounts and course when the site has no users
// yet, and prints the passwords once to out. The student may view the
// course folder. A sample lecture (SampleTitle) is generated with ffmpeg
// and espeak-ng and ingested as the lecturer, as an upload would be: it
// is published once the pipeline has made it playable, about a minute
// later. A site that already has users is left alone.
func Seed(ctx context.Context, svc Services, out io.Writer) (Result, error) {
	if svc.Logger == nil {
		svc.Logger = slog.Default()
	}
	ids, cat := svc.Identity, svc.Catalog
	n, err := ids.CountUsers(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("demo: count users: %w", err)
	}
	if n > 0 {
		return Result{}, nil
	}
	res := Result{Seeded: true, Passwords: map[string]string{}}
	people := map[string]lectern.User{}
	for _, a := range Accounts {
		pw := password()
		u, err := ids.CreateUser(ctx, identity.NewUser{Email: a.Email, Name: a.Name, Password: pw, IsAdmin: a.Admin, Kind: lectern.UserLocal})
		if err != nil {
			return Result{}, fmt.Errorf("demo: create %s: %w", a.Role, err)
		}
		res.Passwords[a.Role] = pw
		people[a.Role] = u
	}
	lecturer, student := people["lecturer"], people["student"]
	res.Course, err = cat.CreateFolder(ctx, catalog.NewFolder{Name: CourseName, OwnerID: lecturer.ID})
	if err != nil {
		return Result{}, fmt.Errorf("demo: create course folder: %w", err)
	}
	if svc.Access != nil {
		if _, err := svc.Access.Grant(ctx, lectern.PrincipalOf(lecturer), access.NewGrant{
			PrincipalType: lectern.PrincipalUser, PrincipalID: student.ID,
			Resource: lectern.FolderResource(res.Course.ID), Role: lectern.RoleViewer,
		}, ""); err != nil {
			return Result{}, fmt.Errorf("demo: let the student view the course: %w", err)
		}
	}
	sampleNote := ""
	if svc.Uploads != nil {
		res.Sample, err = seedSample(ctx, svc, lecturer, res.Course.ID)
		switch {
		case err != nil:
			svc.Logger.WarnContext(ctx, "demo: no sample lecture", "err", err)
			sampleNote = "  (No sample lecture: " + lectern.ErrorMessage(err) + ")\n"
		default:
			sampleNote = fmt.Sprintf("  Sample lecture: %q, playable in about a minute.\n", SampleTitle)
		}
	}
	fmt.Fprintln(out, "")
	fmt.Fprintln(out, "  Demo site created. These passwords are shown only once:")
	for _, a := range Accounts {
		fmt.Fprintf(out, "    %-9s %-28s %s\n", a.Role, a.Email, res.Passwords[a.Role])
	}
	fmt.Fprintf(out, "  Course folder: %s (the student may watch it)\n", CourseName)
	fmt.Fprint(out, sampleNote)
	fmt.Fprintln(out, "")
	return res, nil
}

// password returns a random 26-character password (128 bits).
func password() string { return rand.Text() }
